"""The district's working-day calendar: which local dates count as working days.

Working days follow the mainland China calendar: weekends off, statutory holidays off, and the
make-up working days (调休) the State Council sets each year on weekends. Each year is taken from
the first source that has it (``whistle calendar`` shows which one did):

1. an official year schedule in the district's config/holidays.yaml (``years:``): official, with
   调休, and it wins over both packages (a district adds a year as soon as the notice is out);
2. the ``chinesecalendar`` package: official, with 调休 (a new year arrives with a package update,
   usually after the State Council's notice in November);
3. the ``holidays`` package's China calendar: the statutory holidays only, from the law's rules,
   with its own estimate of the days moved off weekends and no make-up working days;
4. neither: Monday to Friday. The calendar then logs a warning on ``whistle.calendar`` and emits a
   ``CalendarDataWarning``, once per year per calendar; it never crashes, never guesses silently.

The district's own ``workdays`` and ``days_off`` in holidays.yaml come on top of all of them.
"""

from __future__ import annotations

import calendar as months
import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import yaml
from pydantic import ValidationError

from models.config import _KeyTwice, _OnceLoader
from models.config_files import ENTRY_TAGS, DistrictDay, HolidaysFile, YearSchedule
from models.refusals import Code, ConfigError, issue_of, location

log = logging.getLogger("whistle.calendar")


class CalendarDataWarning(UserWarning):
    """No source has holiday data for a year; the weekends-only fallback is in use."""


class Coverage(StrEnum):
    """How much of a year's official calendar is known."""

    official = "official"  # every day off and make-up working day of the State Council's notice
    statutory = "statutory"  # the statutory holidays only: no make-up working days
    weekends = "weekends"  # nothing: Monday to Friday


COVERAGE_LABELS: dict[Coverage, tuple[str, str]] = {
    Coverage.official: ("官方安排（含调休）", "official with 调休"),
    Coverage.statutory: ("仅法定节假日（无调休）", "statutory only"),
    Coverage.weekends: ("仅周末（无节假日数据）", "weekends only"),
}


class Source(StrEnum):
    """Where a year's holidays come from, in the order they are asked."""

    district = "holidays.yaml"
    chinesecalendar = "chinesecalendar"
    holidays = "holidays"
    none = "none"


@dataclass(frozen=True)
class YearCoverage:
    year: int
    coverage: Coverage
    source: Source
    notice: str | None = None  # the State Council notice of a holidays.yaml year schedule
    published: date | None = None


@dataclass(frozen=True)
class DayInForce:
    """One day that differs from a plain week: a day off on a weekday or in a holiday run, or a
    working day on a weekend."""

    day: date
    working: bool
    name: str
    name_en: str
    source: Source | None  # None: the district's own workdays/days_off list


def require_aware(t: datetime) -> datetime:
    """Refuse naive datetimes: a deadline needs to know which clock it was measured on."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()}: give a timezone-aware datetime")
    return t


_PACKAGE_YEARS = (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)
_CN_NAMES = {h.value: (h.chinese, h.value) for h in chinese_calendar.Holiday}


class WorkCalendar:
    """Working days in the district's local time zone; results are returned in UTC."""

    def __init__(
        self,
        *,
        timezone: str = "Asia/Shanghai",
        workdays: Iterable[date] = (),
        days_off: Iterable[date] = (),
        years: Mapping[int, YearSchedule] | None = None,
        notes: Mapping[date, str] | None = None,
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
        self._notes = dict(notes or {})  # why the district works or rests on a day
        self._years = dict(years or {})
        # Per year, the dates each schedule lists: (days off, make-up working days).
        self._official = {y: _schedule_days(s) for y, s in self._years.items()}
        self._statutory: dict[int, dict[date, tuple[str, str]]] = {}
        self._unknown_years: set[int] = set()
        self._told: set[int] = set()

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    # --- which source covers a year ---------------------------------------------------------

    def coverage(self, year: int) -> YearCoverage:
        """The source this calendar takes the year from, and how complete it is."""
        schedule = self._years.get(year)
        if schedule is not None:
            return YearCoverage(
                year, Coverage.official, Source.district, schedule.notice, schedule.published
            )
        if _PACKAGE_YEARS[0] <= year <= _PACKAGE_YEARS[1]:
            return YearCoverage(year, Coverage.official, Source.chinesecalendar)
        if self._statutory_days(year):
            return YearCoverage(year, Coverage.statutory, Source.holidays)
        return YearCoverage(year, Coverage.weekends, Source.none)

    # --- the days ---------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """District lists first, then the year's source, then Mon–Fri with a warning."""
        if isinstance(day, datetime):
            day = day.date()
        if day in self._workdays:
            return True
        if day in self._days_off:
            return False
        official = self._official.get(day.year)
        if official is not None:
            off, worked = official
            return day in worked or (day.weekday() < 5 and day not in off)
        if _PACKAGE_YEARS[0] <= day.year <= _PACKAGE_YEARS[1]:
            return bool(chinese_calendar.is_workday(day))
        if day.year not in self._unknown_years:
            statutory = self._statutory_days(day.year)
            if statutory:
                self._note_statutory(day.year)
                return day.weekday() < 5 and day not in statutory
            self._unknown_years.add(day.year)
            self._warn(day.year)
        return day.weekday() < 5

    def year_days(self, year: int) -> list[DayInForce]:
        """The days off and make-up working days in force in a year, by date."""
        found: dict[date, DayInForce] = {}
        schedule = self._years.get(year)
        if schedule is not None:
            for entry in schedule.days_off:
                for day in entry.days():
                    found[day] = DayInForce(day, False, entry.name, entry.name_en, Source.district)
            for made_up in schedule.workdays:
                found[made_up.date] = DayInForce(
                    made_up.date, True, made_up.name, made_up.name_en, Source.district
                )
        elif _PACKAGE_YEARS[0] <= year <= _PACKAGE_YEARS[1]:
            tables = ((chinese_calendar.holidays, False), (chinese_calendar.workdays, True))
            for table, working in tables:
                for day, key in table.items():
                    if day.year == year:
                        zh, en = _CN_NAMES.get(key, (key, key))
                        found[day] = DayInForce(day, working, zh, en, Source.chinesecalendar)
        else:
            for day, (zh, en) in self._statutory_days(year).items():
                found[day] = DayInForce(day, False, zh, en, Source.holidays)
        for day in self._workdays | self._days_off:
            if day.year == year:
                note = self._notes.get(day, "")
                found[day] = DayInForce(
                    day, day in self._workdays, note or "区县调整", note or "district", None
                )
        return [found[d] for d in sorted(found)]

    def working_days_per_month(self, year: int) -> list[int]:
        """How many working days each month of the year has (January first)."""
        counts = []
        for month in range(1, 13):
            last = months.monthrange(year, month)[1]
            counts.append(
                sum(self.is_working_day(date(year, month, day)) for day in range(1, last + 1))
            )
        return counts

    # --- arithmetic -------------------------------------------------------------------------

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

    # --- the packages -----------------------------------------------------------------------

    def _statutory_days(self, year: int) -> dict[date, tuple[str, str]]:
        """The holidays package's days off of a year with their (zh, en) names; {} if none."""
        cached = self._statutory.get(year)
        if cached is None:
            zh, en = _china(year, "zh_CN"), _china(year, "en_US")
            cached = {day: (name, en.get(day, name)) for day, name in zh.items()}
            self._statutory[year] = cached
        return cached

    def _note_statutory(self, year: int) -> None:
        if year not in self._told:
            self._told.add(year)
            log.info(
                "%s: only the statutory holidays are known (holidays package), not the make-up "
                "working days (调休); add %s's official schedule to holidays.yaml once published",
                year,
                year,
            )

    def _warn(self, year: int) -> None:
        message = (
            f"no holiday data for {year} in holidays.yaml, chinesecalendar or holidays: "
            f"counting Monday to Friday as working days in {year}; add {year}'s official "
            "schedule to the holidays file (years:) or update chinesecalendar"
        )
        log.warning(message)
        warnings.warn(message, CalendarDataWarning, stacklevel=3)


def _china(year: int, language: str) -> dict[date, str]:
    """The holidays package's China calendar of one year, in one language. Imported here, when
    a year needs it: importing `holidays.countries` loads every country (~0.3 s per process)."""
    from holidays.countries.china import China

    found = China(years=year, language=language)  # type: ignore[no-untyped-call]
    return {day: str(name) for day, name in found.items()}


def _schedule_days(schedule: YearSchedule) -> tuple[frozenset[date], frozenset[date]]:
    off = frozenset(day for entry in schedule.days_off for day in entry.days())
    return off, frozenset(w.date for w in schedule.workdays)


def calendar_for(holidays: HolidaysFile, *, timezone: str = "Asia/Shanghai") -> WorkCalendar:
    """The calendar a loaded holidays file describes."""
    return WorkCalendar(
        timezone=timezone,
        workdays=_dates(holidays.workdays),
        days_off=_dates(holidays.days_off),
        years=holidays.years,
        notes={
            e.date: e.reason
            for e in [*holidays.workdays, *holidays.days_off]
            if isinstance(e, DistrictDay) and e.reason
        },
    )


def _dates(entries: Iterable[date | DistrictDay]) -> list[date]:
    return [e.date if isinstance(e, DistrictDay) else e for e in entries]


# --- the file ----------------------------------------------------------------------------------


class _DatesAsText(_OnceLoader):
    """Leaves dates as text so a bad one (2026-02-30) is reported with its key, not by YAML;
    a key written twice is refused, as in every other file."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_holidays(path: Path) -> HolidaysFile:
    """Read and check the district's holidays file; a missing file means nothing added."""
    path = Path(path)
    if not path.is_file():
        return HolidaysFile()
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText)  # a SafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(Code.config_yaml, path=str(path), error=str(exc)) from exc
    except _KeyTwice as exc:
        raise ConfigError(
            Code.config_key_twice, path=str(path), key=str(exc.key), line=exc.line
        ) from None
    if raw is None:
        return HolidaysFile()
    if not isinstance(raw, dict):
        raise ConfigError(
            Code.config_expected_keys, path=str(path), keys="workdays / days_off / years"
        )
    try:
        parsed = HolidaysFile.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt key also leaves a required one missing: name the misspelling.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        given = first.get("input")
        raise ConfigError(
            Code.config_invalid,
            path=str(path),
            key=_key(first["loc"]),
            problem=issue_of(first, location(first["loc"])),
            given=given if isinstance(given, str | int | float) else None,
            more=0,
        ) from None
    _check_district(path, parsed)
    for year, schedule in parsed.years.items():
        _check_year(path, year, schedule)
    return parsed


def load_overrides(path: Path) -> tuple[list[date], list[date]]:
    """The district's own (workdays, days_off) from the holidays file."""
    parsed = load_holidays(path)
    return _dates(parsed.workdays), _dates(parsed.days_off)


def _key(loc: Iterable[int | str]) -> str:
    """A pydantic location as the file's key: days_off[1], years.2027.days_off[0].from."""
    out, previous = "", None
    for part in loc:
        if part in ENTRY_TAGS or part == "[key]":
            continue
        if isinstance(part, int) and previous != "years":
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
        previous = part
    return out or "(top level)"


def _check_district(path: Path, parsed: HolidaysFile) -> None:
    """A district day is listed once, as a working day or as a day off."""
    where: dict[date, str] = {}
    for key, entries in (("workdays", parsed.workdays), ("days_off", parsed.days_off)):
        for i, day in enumerate(_dates(entries)):
            here = f"{key}[{i}]"
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


def _check_year(path: Path, year: int, schedule: YearSchedule) -> None:
    """Every day of a year's schedule is in that year and listed once."""
    where: dict[date, str] = {}
    for i, entry in enumerate(schedule.days_off):
        for field, day in (("date", entry.date), ("from", entry.first), ("to", entry.to)):
            if day is not None and day.year != year:
                raise ConfigError(
                    Code.config_wrong_year,
                    path=str(path),
                    key=f"years.{year}.days_off[{i}].{field}",
                    value=day.isoformat(),
                    year=year,
                )
        for day in entry.days():
            if day in where:
                raise ConfigError(
                    Code.config_date_twice,
                    path=str(path),
                    key=f"years.{year}.days_off[{i}]",
                    value=day.isoformat(),
                    other=where[day],
                )
            where[day] = f"days_off[{i}]"
    for i, made_up in enumerate(schedule.workdays):
        here = f"years.{year}.workdays[{i}].date"
        if made_up.date.year != year:
            raise ConfigError(
                Code.config_wrong_year,
                path=str(path),
                key=here,
                value=made_up.date.isoformat(),
                year=year,
            )
        if made_up.date in where:
            other = where[made_up.date]
            raise ConfigError(
                Code.config_date_twice if other.startswith("workdays") else Code.config_date_both,
                path=str(path),
                key=here,
                value=made_up.date.isoformat(),
                other=other,
            )
        where[made_up.date] = f"workdays[{i}]"
