"""models/retry.py, table-driven: which delay follows the n-th failure, and the give-up line,
including a try that lands exactly on it (kept) and one a second past it (given up)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.config import DeliveryRules
from models.durations import Duration
from models.retry import clock, next_attempt

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
RULES = DeliveryRules()  # 1m, 5m, 30m, then every 2h, give up 1d after the first attempt
M, H = timedelta(minutes=1), timedelta(hours=1)


@pytest.mark.parametrize(
    ("attempts", "now", "expected"),
    [
        (1, T0, T0 + 1 * M),  # the first failure: the first delay
        (2, T0 + 1 * M, T0 + 6 * M),
        (3, T0 + 6 * M, T0 + 36 * M),  # the last listed delay (attempts == len(retry))
        (4, T0 + 36 * M, T0 + 36 * M + 2 * H),  # then every 2h
        (9, T0 + 10 * H, T0 + 12 * H),
        # a try that would land exactly on first attempt + give_up_after is still made
        (12, T0 + 22 * H, T0 + 24 * H),
        # one a second later is not: the notice is given up
        (12, T0 + 22 * H + timedelta(seconds=1), None),
        (13, T0 + 24 * H, None),
    ],
)
def test_next_attempt_after_each_failure(
    attempts: int, now: datetime, expected: datetime | None
) -> None:
    assert next_attempt(RULES, attempts=attempts, first_attempt_at=T0, now=now) == expected


@pytest.mark.parametrize(
    ("give_up_after", "delay", "expected"),
    [
        ("10m", "10m", T0 + 10 * M),  # exactly on the line: kept
        ("10m", "11m", None),
        ("1h", "59m", T0 + 59 * M),
    ],
)
def test_the_give_up_line_is_inclusive(give_up_after: str, delay: str, expected: datetime) -> None:
    rules = DeliveryRules.model_validate(
        {"retry": [delay], "then_every": delay, "give_up_after": give_up_after}
    )
    assert next_attempt(rules, attempts=1, first_attempt_at=T0, now=T0) == expected


@pytest.mark.parametrize(
    ("duration", "delta"),
    [
        (Duration(90, "minutes"), timedelta(minutes=90)),
        (Duration(2, "hours"), timedelta(hours=2)),
        (Duration(1, "days"), timedelta(days=1)),
    ],
)
def test_clock_durations(duration: Duration, delta: timedelta) -> None:
    assert clock(duration) == delta
