"""Deadline arithmetic: when a window that starts at a given moment runs out, and its wording.

Minutes, hours and days are elapsed clock time (t + timedelta), so a 2-hour window is two hours
whatever the calendar says; working days are counted on the district's WorkCalendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from models.calendar import WorkCalendar, require_aware
from models.config import DeadlinesFile
from models.durations import Duration

_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    # unit -> (singular, plural); zh has no plural
    "zh": {
        "minutes": ("{n}分钟", "{n}分钟"),
        "hours": ("{n}小时", "{n}小时"),
        "days": ("{n}天", "{n}天"),
        "working_days": ("{n}个工作日", "{n}个工作日"),
    },
    "en": {
        "minutes": ("{n} minute", "{n} minutes"),
        "hours": ("{n} hour", "{n} hours"),
        "days": ("{n} day", "{n} days"),
        "working_days": ("{n} working day", "{n} working days"),
    },
}


def due_at(start: datetime, duration: Duration, calendar: WorkCalendar) -> datetime:
    """The moment (UTC) a window of `duration` opened at `start` runs out."""
    require_aware(start)
    if duration.unit == "working_days":
        return calendar.add_working_days(start, duration.amount)
    step = {
        "minutes": timedelta(minutes=duration.amount),
        "hours": timedelta(hours=duration.amount),
        "days": timedelta(days=duration.amount),
    }[duration.unit]
    return start.astimezone(UTC) + step


def replayed_due(
    start: datetime, window: Duration, extensions: Iterable[Duration], calendar: WorkCalendar
) -> datetime:
    """The due time a clock opened at `start` has on `calendar`: its window, then each approved
    extension counted on from the due time before it, as the approvals moved it."""
    due = due_at(start, window, calendar)
    for extension in extensions:
        due = due_at(due, extension, calendar)
    return due


def depends_on_calendar(window: Duration, extensions: Iterable[Duration]) -> bool:
    """Whether a calendar change can move this clock: only working days are counted on it."""
    return any(d.unit == "working_days" for d in (window, *extensions))


def describe_duration(duration: Duration, language: str = "zh") -> str:
    """Words for notices, e.g. '3个工作日' or '3 working days' ('1 working day')."""
    words = _WORDS.get(language)
    if words is None:
        raise ValueError(f"no wording for language '{language}' (use zh or en)")
    singular, plural = words[duration.unit]
    return (singular if duration.amount == 1 else plural).format(n=duration.amount)


def clock_windows(
    deadlines: DeadlinesFile, *, colour: str, category: str, role: str
) -> tuple[Duration, Duration]:
    """The acknowledgement window and the resolve (lead) or report (co) window for a part.

    A category override wins over the colour; a co-handler without a report window gets the
    resolution window.
    """
    base = deadlines.colours[colour]  # type: ignore[index]
    override = deadlines.categories.get(category)
    ack = (override and override.acknowledge) or base.acknowledge
    if role == "lead":
        window = (override and override.resolve) or base.resolve
    else:
        window = (override and override.report) or base.report or base.resolve
    if ack is None or window is None:  # the loader refuses such a file; keep mypy honest
        raise ValueError(f"no deadline configured for {colour} {category} {role}")
    return ack, window
