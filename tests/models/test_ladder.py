"""The escalation ladder's moments, order and once-only rule, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.ladder import Level, due_steps, highest, next_moment, step_times

START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
DUE = START + timedelta(hours=8)  # an 8-hour window: reminder 6h, urging 8h, 12h, 16h


def test_step_moments_are_fractions_of_the_window() -> None:
    steps = step_times(START, DUE)
    assert [s.level for s in steps] == list(Level)
    assert [s.at - START for s in steps] == [
        timedelta(hours=6),
        timedelta(hours=8),
        timedelta(hours=12),
        timedelta(hours=16),
    ]


@pytest.mark.parametrize(
    ("hours", "taken", "expected"),
    [
        (5.9, [], []),
        (6, [], [Level.reminder]),
        (8, [], [Level.reminder, Level.urging]),  # a late sweep takes what it missed, in order
        (8, [Level.reminder], [Level.urging]),
        (11.9, [Level.reminder, Level.urging], []),
        (12, [Level.reminder, Level.urging], [Level.supervision]),
        (40, [], list(Level)),
        (40, list(Level), []),  # each step once
        (16, [Level.reminder, Level.urging, Level.supervision], [Level.circular]),
    ],
)
def test_due_steps(hours: float, taken: list[Level], expected: list[Level]) -> None:
    now = START + timedelta(hours=hours)
    assert [s.level for s in due_steps(START, DUE, now, taken)] == expected


@pytest.mark.parametrize(
    ("taken", "hours"),
    [([], 6), ([Level.reminder], 8), ([Level.reminder, Level.urging], 12), (list(Level), None)],
)
def test_next_moment(taken: list[Level], hours: float | None) -> None:
    expected = None if hours is None else START + timedelta(hours=hours)
    assert next_moment(START, DUE, taken) == expected


def test_custom_fractions_and_highest() -> None:
    at = {Level.urging: 1.0, Level.supervision: 1.25}
    assert [s.level for s in step_times(START, DUE, at)] == [Level.urging, Level.supervision]
    assert highest([]) is None
    assert highest([Level.urging, Level.reminder]) is Level.urging
    assert highest(list(Level)) is Level.circular
