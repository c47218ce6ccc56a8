"""The district's working-day calendar: which local dates count as working days.

Working days follow the mainland China calendar (weekends off, statutory holidays off, make-up
working days 调休 on weekends on), taken from the ``chinesecalendar`` package, with the district's
own override file (config/holidays.yaml) on top.

Fallback: the package only knows the years it ships data for (a new year appears once the State
Council publishes it, usually in November). For a date in any other year the calendar logs a
warning on ``whistle.calendar`` and emits a ``CalendarDataWarning``, once per year per calendar,
then counts Monday to Friday as working days. It never crashes and never guesses silently.
Updating ``chinesecalendar`` removes the warning; until then the override file can declare that
year's holidays and make-up days (the warning still shows, as the rest of the year is a guess).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import yaml

from models.refusals import Code, ConfigError

log = logging.getLogger("whistle.calendar")

OVERRIDE_KEYS = ("workdays", "days_off")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _DatesAsText(yaml.SafeLoader):
    """Leaves dates as text so a bad one (2026-02-30) is reported with its key, not by YAML."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class CalendarDataWarning(UserWarning):
    """The official calendar has no data for a year; weekends-only fallback is in use."""


def require_aware(t: datetime) -> datetime:
    """Refuse naive datetimes: a deadline needs to know which clock it was measured on."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()}: give a timezone-aware datetime")
    return t


class WorkCalendar:
    """Working days in the district's local time zone; results are returned in UTC."""

    def __init__(
        self,
        *,
        timezone: str = "Asia/Shanghai",
        workdays: Iterable[date] = (),
        days_off: Iterable[date] = (),
    ) -> None:
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{timezone}'") from exc
        self._workdays = frozenset(workdays)
        self._days_off = frozenset(days_off)
        both = self._workdays & self._days_off
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"{listed}: declared both a working day and a day off")
        self._unknown_years: set[int] = set()

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def is_working_day(self, day: date) -> bool:
        """Override file first, then the official data, then Mon–Fri with a warning."""
        if isinstance(day, datetime):
            day = day.date()
        if day in self._workdays:
            return True
        if day in self._days_off:
            return False
        if day.year not in self._unknown_years:
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError as exc:
                self._unknown_years.add(day.year)
                self._warn(day.year, str(exc))
        return day.weekday() < 5

    def add_working_days(self, t: datetime, n: int) -> datetime:
        """Same local clock time on the nth working day after t's local date (never itself)."""
        require_aware(t)
        if n < 1:
            raise ValueError(f"working days must be at least 1, got {n}")
        local = t.astimezone(self._zone)
        day = local.date()
        while n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return datetime.combine(day, local.time(), tzinfo=self._zone).astimezone(UTC)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after start's local date up to and including end's; 0 if end <= start."""
        require_aware(start)
        require_aware(end)
        if end <= start:
            return 0
        day, last = start.astimezone(self._zone).date(), end.astimezone(self._zone).date()
        count = 0
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def _warn(self, year: int, detail: str) -> None:
        message = (
            f"no official holiday data for {year} ({detail}): counting Monday to Friday as "
            f"working days in {year}; update chinesecalendar or list {year}'s days in the "
            "holidays override file"
        )
        log.warning(message)
        warnings.warn(message, CalendarDataWarning, stacklevel=3)


def load_overrides(path: Path) -> tuple[list[date], list[date]]:
    """Read the district's (workdays, days_off); a missing file means no overrides."""
    path = Path(path)
    if not path.is_file():
        return [], []
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText)
    except yaml.YAMLError as exc:
        raise ConfigError(Code.config_yaml, path=str(path), error=str(exc)) from exc
    if raw is None:
        return [], []
    if not isinstance(raw, dict):
        raise ConfigError(Code.config_expected_keys, path=str(path), keys=" / ".join(OVERRIDE_KEYS))
    unknown = [str(k) for k in raw if k not in OVERRIDE_KEYS]
    if unknown:
        raise ConfigError(
            Code.config_unknown_key,
            path=str(path),
            key=unknown[0],
            expected=" / ".join(OVERRIDE_KEYS),
        )
    lists: dict[str, list[date]] = {}
    where: dict[date, str] = {}
    for key in OVERRIDE_KEYS:
        entries = raw.get(key) or []
        if not isinstance(entries, list):
            raise ConfigError(Code.config_not_dates, path=str(path), key=key)
        lists[key] = []
        for i, entry in enumerate(entries):
            here = f"{key}[{i}]"
            day = _entry_date(path, here, entry)
            if day in where:
                other = where[day]
                raise ConfigError(
                    Code.config_date_twice if other.startswith(key) else Code.config_date_both,
                    path=str(path),
                    key=here,
                    value=day.isoformat(),
                    other=other,
                )
            where[day] = here
            lists[key].append(day)
    return lists["workdays"], lists["days_off"]


def _entry_date(path: Path, key: str, entry: Any) -> date:
    """One list entry: a date, an ISO string, or {date: ..., reason: ...}."""
    if isinstance(entry, dict):
        extra = [str(k) for k in entry if k not in ("date", "reason")]
        if extra:
            raise ConfigError(
                Code.config_unknown_key,
                path=str(path),
                key=f"{key}.{extra[0]}",
                expected="date / reason",
            )
        if "date" not in entry:
            raise ConfigError(Code.config_missing_key, path=str(path), key=f"{key}.date")
        key, entry = f"{key}.date", entry["date"]
    text = str(entry).strip()
    if not isinstance(entry, str) or not _ISO_DATE.match(text):
        raise ConfigError(Code.config_not_date, path=str(path), key=key, value=text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(Code.config_not_date, path=str(path), key=key, value=text) from None
