"""Plain-text rendering of CLI results for people at a terminal."""

from __future__ import annotations

from typing import Any


def human(result: Any) -> str:
    """A matter as a short card, a list as aligned rows, anything else as key: value lines."""
    if isinstance(result, dict) and "number" in result and "events" in result:
        return _matter(result)
    if isinstance(result, list):
        if not result:
            return "(none)"
        keys = list(result[0].keys())
        return "\n".join("  ".join(str(row.get(k, "")) for k in keys) for row in result)
    if isinstance(result, dict):
        return "\n".join(f"{k}: {v}" for k, v in result.items())
    return str(result)


def _when(iso: str | None) -> str:
    """'2026-11-30T09:00:00.123+08:00' → '2026-11-30 09:00' (local time, as stored in the view)."""
    return iso[:16].replace("T", " ") if iso else "-"


def _matter(m: dict[str, Any]) -> str:
    lines = [
        f"{m['number']}  {m['status_label']} ({m['status']})  "
        f"{m['colour_label']}  {m['category_label']}  {m['tier']} {m['area']}",
        f"  {m['title']}",
    ]
    for a in m["assignments"]:
        if a["status"] == "withdrawn":
            continue
        lines.append(
            f"  {a['role']:4} {a['department_name']} [{a['status']}] "
            f"ack by {_when(a['ack_due'])}, due {_when(a['due'])}"
        )
    for e in m["events"][-5:]:
        who = e["department"] or e["actor"]
        lines.append(f"  {_when(e['at'])}  {e['action']}  {who}")
    return "\n".join(lines)
