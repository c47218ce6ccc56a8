"""The statistics report: the figures as the templates read them, rendered as Markdown or HTML.

The wording lives in notifications/templates/{zh,en}/report.{md,html}; this module only turns
codes into the district's names, numbers into display strings and chart points. The report
carries codes, names and numbers only, never a matter's free text, so it may go to Prefect.
"""

from __future__ import annotations

from typing import Any, Literal

from models.grading import colour_label, tier_label
from models.stats import NONE, Rate, Statistics, Times
from notifications.render import LANGUAGES, environment
from service.app import App

RATES = ("response", "resolution", "satisfaction", "whistle")


def percent(rate: Rate) -> str:
    """'87.5%', or '—' when nothing was due (a zero denominator is not a zero rate)."""
    value = rate.value
    return "—" if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None, language: str) -> str:
    """Seconds as a supervisor reads them: minutes, hours, or days."""
    if seconds is None:
        return "—"
    zh = language == "zh"
    if seconds < 3600:
        minutes = round(seconds / 60)
        return f"{minutes} 分钟" if zh else f"{minutes} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} 小时" if zh else f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} 天" if zh else f"{seconds / 86400:.1f} days"


def _month(label: str, language: str) -> str:
    year, month = label.split("-")
    return f"{year}年{int(month)}月" if language == "zh" else label


def _figure_text(value: int | dict[str, int]) -> str:
    return f"{value['batches']}/{value['people']}" if isinstance(value, dict) else str(value)


def _figure_number(value: int | dict[str, int]) -> int:
    return value["batches"] if isinstance(value, dict) else value


def _names(app: App, kind: str, code: str, language: str) -> str:
    config = app.config
    if kind == "category":
        return config.category_name(code, language)
    if kind == "colour":
        return colour_label(code, language)
    if kind == "tier":
        return tier_label(code, language)
    if kind == "channel":
        channel = config.channels_in.get(code)
        if channel is None:
            return code
        return channel.name_en or channel.name if language == "en" else channel.name
    if kind == "town":
        town = config.towns.get(code)
        if town is None:
            return code
        return town.name_en or town.name if language == "en" else town.name
    if code == NONE:
        return "（未分流或待重新分流）" if language == "zh" else "(not referred, or waiting)"
    return config.department_name(code, language)


ORDER = {"colour": ("red", "orange", "yellow", "green"), "tier": ("district", "town", "village")}


def _order(kind: str, item: tuple[str, int]) -> tuple[int, int, str]:
    """Colours from red down and tiers from the district down; the rest by count."""
    fixed = ORDER.get(kind, ())
    code, n = item
    return (fixed.index(code) if code in fixed else len(fixed), -n, code)


def _rate_row(key: str, rate: Rate) -> dict[str, Any]:
    value = rate.value
    return {
        "key": key,
        "text": percent(rate),
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "pending": rate.pending,
        "value": None if value is None else round(value * 100, 1),
    }


def _times_row(key: str, t: Times, language: str) -> dict[str, Any]:
    return {
        "key": key,
        "count": t.count,
        "average": duration(t.average, language),
        "p90": duration(t.p90, language),
    }


def report_view(stats: Statistics, app: App, language: str) -> dict[str, Any]:
    """Everything the report templates show, as display strings and chart points."""
    zone = app.calendar.zone
    rules = app.config.figures.figures
    figures = [
        {"key": f.key, "name": f.name_en or f.name if language == "en" else f.name} for f in rules
    ]
    months = [
        {
            "label": _month(m["month"], language),
            "short": m["month"][5:],
            "matters": m["matters"],
            "people": m["people"],
            "figures": {k: _figure_text(v) for k, v in m["figures"].items()},
            "numbers": {k: _figure_number(v) for k, v in m["figures"].items()},
            "rates": {k: percent(m["rates"][k]) for k in RATES},
        }
        for m in stats.months
    ]
    counts = {
        kind: [
            {"label": _names(app, kind, code, language), "code": code, "value": n}
            for code, n in sorted(stats.counts[kind].items(), key=lambda kv: _order(kind, kv))
        ]
        for kind in ("category", "colour", "tier", "channel")
    }
    departments = sorted(set(stats.overdue) | set(stats.returns))
    return {
        "language": language,
        "district": app.config.district.name_en or app.config.district.name
        if language == "en"
        else app.config.district.name,
        "first": stats.period.first.isoformat(),
        "last": stats.period.last.isoformat(),
        "as_of": stats.now.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "matters": stats.matters,
        "people": stats.people,
        "rates": {k: _rate_row(k, stats.rates[k]) for k in RATES},
        "times": {k: _times_row(k, stats.times[k], language) for k in ("acknowledge", "resolve")},
        "figures": figures,
        "totals": {k: _figure_text(v) for k, v in stats.figures.items()},
        "months": months,
        "counts": counts,
        "departments": [
            {
                "label": _names(app, "department", code, language),
                "code": code,
                "overdue": stats.overdue.get(code, 0),
                "returns": stats.returns.get(code, 0),
            }
            for code in departments
        ],
        "feedback_lapsed": stats.feedback_lapsed,
        "anonymous": stats.anonymous,
        "by": stats.by,
        "groups": [
            {
                "label": _names(app, stats.by or "department", g["key"], language),
                "code": g["key"],
                "matters": g["matters"],
                "rates": {k: percent(g["rates"][k]) for k in RATES},
            }
            for g in stats.groups
        ],
        "series": {
            "months": [{"label": m["short"], "value": m["matters"]} for m in months],
            "figures": [
                {
                    "name": f["name"],
                    "points": [
                        {"label": m["short"], "value": m["numbers"][f["key"]]} for m in months
                    ],
                }
                for f in figures
            ],
            "categories": [{"label": c["label"], "value": c["value"]} for c in counts["category"]],
        },
    }


def render_report(
    stats: Statistics, app: App, *, form: Literal["md", "html"], language: str | None = None
) -> str:
    """The report as Markdown (the Prefect artifact, the CLI) or a standalone HTML page."""
    language = language or app.language
    if language not in LANGUAGES:
        raise ValueError(f"unknown report language {language!r}; use one of {LANGUAGES}")
    env = environment(app.config.folder / "templates")
    template = env.get_template(f"{language}/report.{form}")
    return template.render(**report_view(stats, app, language)).strip() + "\n"
