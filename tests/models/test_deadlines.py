"""Deadline arithmetic: clock windows are elapsed time, working days follow the calendar.

Working-day expectations come from the 2026 State Council arrangement (Spring Festival Feb 15–23
off, Saturdays Feb 14 and Feb 28 worked); see test_calendar.py.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from models.calendar import CalendarDataWarning, WorkCalendar
from models.deadlines import depends_on_calendar, describe_duration, due_at, replayed_due
from models.durations import Duration

SH = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    ("start", "window", "expected"),
    [
        # clock time across local midnight
        ("2026-11-27 23:45", "30m", "2026-11-28 00:15"),
        ("2026-11-27 23:00", "2h", "2026-11-28 01:00"),
        ("2026-11-27 10:00", "7d", "2026-12-04 10:00"),
        ("2026-12-31 22:00", "7d", "2027-01-07 22:00"),  # across the year, ignoring New Year
        # clock windows ignore weekends and holidays entirely
        ("2026-02-13 18:00", "2h", "2026-02-13 20:00"),
        ("2026-02-13 10:00", "7d", "2026-02-20 10:00"),  # lands inside the Spring Festival
        ("2026-02-14 23:50", "30m", "2026-02-15 00:20"),
        # working days
        ("2026-11-27 10:00", "1wd", "2026-11-30 10:00"),
        ("2026-02-13 10:00", "2wd", "2026-02-24 10:00"),
        ("2026-02-26 10:00", "3wd", "2026-03-02 10:00"),
    ],
)
def test_due_at(cal: WorkCalendar, start: str, window: str, expected: str) -> None:
    result = due_at(local(start), Duration.parse(window), cal)
    assert result == local(expected)
    assert result.tzinfo is UTC


def test_due_at_from_utc_input(cal: WorkCalendar) -> None:
    # 15:45 UTC is 23:45 local; 30 minutes later is 00:15 local the next day
    start = datetime(2026, 11, 27, 15, 45, tzinfo=UTC)
    assert due_at(start, Duration(30, "minutes"), cal) == local("2026-11-28 00:15")
    # 17:00 UTC Friday is Saturday local: one working day is Monday 01:00 local
    start = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert due_at(start, Duration(1, "working_days"), cal) == local("2026-11-30 01:00")


def test_clock_windows_never_consult_the_calendar(cal: WorkCalendar) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # 2103 is in no holiday source: counting working days there would warn
        assert due_at(local("2103-01-02 10:00"), Duration(7, "days"), cal) == local(
            "2103-01-09 10:00"
        )
    assert not [w for w in caught if issubclass(w.category, CalendarDataWarning)]


@pytest.mark.parametrize(
    ("start", "window", "extensions", "expected"),
    [
        # 15 working days from Thu Dec 24, 2026: Dec 25, 28–31, (Jan 1 off), Jan 4–8, 11–15
        ("2026-12-24 09:00", "15wd", [], "2027-01-15 09:00"),
        # then 5 more counted on from Jan 15, as the approval moved it: Jan 18–22
        ("2026-12-24 09:00", "15wd", ["5wd"], "2027-01-22 09:00"),
        ("2026-12-24 09:00", "15wd", ["5wd", "2d"], "2027-01-24 09:00"),
        # 60 calendar days to Monday Feb 22, then 3 working days: Feb 23–25
        ("2026-12-24 09:00", "60d", ["3wd"], "2027-02-25 09:00"),
    ],
)
def test_replayed_due(
    cal: WorkCalendar, start: str, window: str, extensions: list[str], expected: str
) -> None:
    parsed = [Duration.parse(e) for e in extensions]
    assert replayed_due(local(start), Duration.parse(window), parsed, cal) == local(expected)


@pytest.mark.parametrize(
    ("window", "extensions", "depends"),
    [("3wd", [], True), ("60d", [], False), ("60d", ["30d"], False), ("60d", ["5wd"], True)],
)
def test_only_working_days_depend_on_the_calendar(
    window: str, extensions: list[str], depends: bool
) -> None:
    parsed = [Duration.parse(e) for e in extensions]
    assert depends_on_calendar(Duration.parse(window), parsed) is depends


@pytest.mark.parametrize("window", ["30m", "2h", "7d", "3wd"])
def test_naive_start_refused(cal: WorkCalendar, window: str) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        due_at(datetime(2026, 11, 27, 10, 0), Duration.parse(window), cal)


@pytest.mark.parametrize(
    ("window", "zh", "en"),
    [
        ("3wd", "3个工作日", "3 working days"),
        ("1wd", "1个工作日", "1 working day"),
        ("30m", "30分钟", "30 minutes"),
        ("1m", "1分钟", "1 minute"),
        ("2h", "2小时", "2 hours"),
        ("1h", "1小时", "1 hour"),
        ("7d", "7天", "7 days"),
        ("1d", "1天", "1 day"),
    ],
)
def test_describe_duration(window: str, zh: str, en: str) -> None:
    duration = Duration.parse(window)
    assert describe_duration(duration) == zh
    assert describe_duration(duration, "zh") == zh
    assert describe_duration(duration, "en") == en


def test_describe_duration_unknown_language() -> None:
    with pytest.raises(ValueError, match="fr"):
        describe_duration(Duration(3, "days"), "fr")
