"""Configured durations: clock minutes/hours/days or working days, written as '30m', '3wd'."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from models.refusals import Code, Invalid

Unit = Literal["minutes", "hours", "days", "working_days"]

_PATTERN = re.compile(r"^\s*(\d+)\s*(m|min|h|d|wd)\s*$")
_UNITS: dict[str, Unit] = {
    "m": "minutes",
    "min": "minutes",
    "h": "hours",
    "d": "days",
    "wd": "working_days",
}


@dataclass(frozen=True)
class Duration:
    """A window length: working days count on the district calendar, the rest is clock time."""

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse '30m', '2h', '7d' or '3wd'; raise Invalid (a ValueError) with the typed value."""
        match = _PATTERN.match(str(text))
        if not match:
            raise Invalid(Code.duration, value=str(text))
        amount = int(match.group(1))
        if amount <= 0:
            raise Invalid(Code.duration_zero, value=str(text))
        return cls(amount, _UNITS[match.group(2)])

    def __str__(self) -> str:
        suffix = {"minutes": "m", "hours": "h", "days": "d", "working_days": "wd"}[self.unit]
        return f"{self.amount}{suffix}"
