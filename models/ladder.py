"""The escalation ladder (提醒 → 催办 → 督办 → 通报): which steps a clock has earned by `now`.

A clock runs from when a part was assigned (or reopened) to its due time. Each step falls at a
fraction of that window, measured from the start: the reminder before the breach, urging at the
breach, supervision and the circulated notice after it. Each step happens once per clock; a
sweep that runs late takes every step it missed, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from messages.labels import LABELS


class Level(StrEnum):
    reminder = "reminder"  # 提醒: before the breach, to the department
    urging = "urging"  # 催办: at the breach, to the department and its head
    supervision = "supervision"  # 督办: to the center's leadership; colour and tier rise
    circular = "circular"  # 通报: to the committee's leadership, naming the department


LEVEL_LABELS: dict[str, tuple[str, str]] = LABELS["level"]  # the message catalogue's

# Sample defaults: a step's moment as a fraction of the window, counted from the start.
DEFAULT_AT: dict[Level, float] = {
    Level.reminder: 0.75,
    Level.urging: 1.0,
    Level.supervision: 1.5,
    Level.circular: 2.0,
}


@dataclass(frozen=True)
class Step:
    level: Level
    at: datetime


def step_times(start: datetime, due: datetime, at: dict[Level, float] | None = None) -> list[Step]:
    """Every step of one clock with its moment, in ladder order."""
    fractions = at or DEFAULT_AT
    window = due - start
    return [Step(level, start + window * fractions[level]) for level in Level if level in fractions]


def due_steps(
    start: datetime,
    due: datetime,
    now: datetime,
    taken: Iterable[Level],
    at: dict[Level, float] | None = None,
) -> list[Step]:
    """The steps whose moment has come and that were not taken yet, in order."""
    done = set(taken)
    return [s for s in step_times(start, due, at) if s.at <= now and s.level not in done]


def next_moment(
    start: datetime,
    due: datetime,
    taken: Iterable[Level],
    at: dict[Level, float] | None = None,
) -> datetime | None:
    """When this clock next needs the sweep: its first step not yet taken (None when all are)."""
    done = set(taken)
    pending = [s.at for s in step_times(start, due, at) if s.level not in done]
    return min(pending) if pending else None


def highest(taken: Iterable[Level]) -> Level | None:
    """The furthest step taken: what `show` reports as the clock's overdue level."""
    done = set(taken)
    reached = [level for level in Level if level in done]
    return reached[-1] if reached else None


@dataclass(frozen=True)
class Clock:
    name: str  # acknowledge, resolve (lead) or report (co-handler)
    start: datetime
    due: datetime


def running_clocks(
    *,
    role: str,
    status: str,
    start: datetime | None,
    ack_due: datetime | None,
    due: datetime | None,
    first_response_due: datetime | None = None,
    first_response_at: datetime | None = None,
) -> list[Clock]:
    """The clocks of one part that are still running in its status."""
    if start is None:
        return []
    clocks = []
    responding = status in ("referred", "acknowledged") and first_response_at is None
    if first_response_due is not None and responding:
        clocks.append(Clock("first_response", start, first_response_due))
    if status == "referred" and ack_due is not None:
        clocks.append(Clock("acknowledge", start, ack_due))
    if status in ("referred", "acknowledged") and due is not None:
        clocks.append(Clock("resolve" if role == "lead" else "report", start, due))
    return clocks
