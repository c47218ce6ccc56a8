"""Plain-text rendering of CLI results for people at a terminal, in the user's language."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from messages import label, text

NONE = "—"  # what a table shows for nothing (a returned matter has no lead)


@dataclass(frozen=True)
class Table:
    """Rows under a header, printed as aligned columns."""

    header: list[str]
    rows: list[list[str]]


def width(value: str) -> int:
    """Columns a string takes at a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def aligned(table: Table) -> str:
    lines = [table.header, *table.rows]
    widths = [max(width(line[i]) for line in lines) for i in range(len(table.header))]
    out = []
    for line in lines:
        cells = [cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(line)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


COLUMNS = ("number", "status", "colour", "category", "area", "lead", "title")


def matter_table(matters: list[dict[str, Any]], language: str) -> Table | str:
    """`whistle list` for people: a header, statuses in words, the lead by name."""
    if not matters:
        return text("cli.none", language)
    header = [label("column", key, language) for key in COLUMNS]
    rows = [
        [
            m["number"],
            m["status_label"],
            m["colour_label"],
            m["category_label"],
            m["area_name"],
            m["lead_name"] or NONE,
            m["title"],
        ]
        for m in matters
    ]
    return Table(header, rows)


def human(result: Any, language: str = "zh") -> str:
    """A matter as a short card, a list as aligned rows, anything else as key: value lines."""
    if isinstance(result, Table):
        return aligned(result)
    if isinstance(result, dict) and "number" in result and "events" in result:
        return _matter(result, language)
    if isinstance(result, list):
        if not result:
            return text("cli.none", language)
        keys = list(result[0].keys())
        rows = [[_cell(row.get(k)) for k in keys] for row in result]
        return aligned(Table([label("column", k, language) for k in keys], rows))
    if isinstance(result, dict):
        return "\n".join(f"{k}: {_cell(v)}" for k, v in result.items())
    return str(result)


def _cell(value: Any) -> str:
    return NONE if value is None else str(value)


def _when(iso: str | None) -> str:
    """'2026-11-30T09:00:00.123+08:00' → '2026-11-30 09:00' (local time, as stored in the view)."""
    return iso[:16].replace("T", " ") if iso else NONE


def _matter(m: dict[str, Any], language: str) -> str:
    en = language == "en"
    lines = [
        f"{m['number']}  {m['status_label']}  {m['colour_label']}  {m['category_label']}  "
        f"{label('tier', m['tier'], language)} {m.get('area_name') or m['area']}",
        f"  {m['title']}",
    ]
    for a in m["assignments"]:
        if a["status"] == "withdrawn":
            continue
        ack, due = _when(a["ack_due"]), _when(a["due"])
        times = f"ack by {ack}, due {due}" if en else f"签收时限 {ack}，办结时限 {due}"
        lines.append(
            f"  {label('role', a['role'], language)} {a['department_name']} "
            f"[{label('assignment', a['status'], language)}] {times}"
        )
    for e in m["events"][-5:]:
        who = e.get("actor_name") or e["department"] or e["actor"]
        lines.append(f"  {_when(e['at'])}  {label('step', e['action'], language)}  {who}")
    return "\n".join(lines)
