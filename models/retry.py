"""When to try a failed notice again, and when to give up: the district's delivery rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.config import DeliveryRules
from models.durations import Duration


def clock(duration: Duration) -> timedelta:
    """A clock-time duration as a timedelta (delivery rules never use working days)."""
    unit = {"minutes": "minutes", "hours": "hours", "days": "days"}[duration.unit]
    return timedelta(**{unit: duration.amount})


def next_attempt(
    rules: DeliveryRules, *, attempts: int, first_attempt_at: datetime, now: datetime
) -> datetime | None:
    """After the `attempts`-th failure at `now`: the next try, or None when it is time to give
    up (the next try would fall after first attempt + give_up_after)."""
    if attempts <= len(rules.retry):
        delay = clock(rules.retry[attempts - 1])
    else:
        delay = clock(rules.then_every)
    moment = now + delay
    if moment > first_attempt_at + clock(rules.give_up_after):
        return None
    return moment
