"""The working-day calendar against the published State Council holiday arrangements.

Expected dates come from the notices, not from the code under test:
- 2026 (国办发明电〔2025〕7号): New Year Jan 1–3 off, Sun Jan 4 worked; Spring Festival
  Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked; Mid-Autumn Sep 25–27 off; National Day
  Oct 1–7 off, Sun Sep 20 and Sat Oct 10 worked.
- 2025 (国办发明电〔2024〕12号): National Day with Mid-Autumn Oct 1–8 off, Sun Sep 28 and
  Sat Oct 11 worked.
"""

from __future__ import annotations

import logging
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from models.calendar import (
    CalendarDataWarning,
    Coverage,
    DayInForce,
    Source,
    WorkCalendar,
    YearCoverage,
    calendar_for,
    load_holidays,
    load_overrides,
)
from models.config import ConfigError

SH = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[2]


def local(text: str) -> datetime:
    """A Shanghai wall-clock time, e.g. '2026-11-27 10:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# --- is_working_day: the published calendar ---------------------------------------------------

PUBLISHED = [
    # plain week, late 2026 (no holidays)
    ("2026-11-25", True),  # Wednesday
    ("2026-11-28", False),  # Saturday
    ("2026-11-29", False),  # Sunday
    # 2026 New Year
    ("2026-01-02", False),  # Friday, holiday
    ("2026-01-04", True),  # Sunday, make-up working day
    # 2026 Spring Festival
    ("2026-02-14", True),  # Saturday, make-up
    *((f"2026-02-{day}", False) for day in range(15, 24)),  # Feb 15–23 off
    ("2026-02-24", True),  # Tuesday, back to work
    ("2026-02-28", True),  # Saturday, make-up
    # 2026 Mid-Autumn and National Day
    ("2026-09-20", True),  # Sunday, make-up
    ("2026-09-25", False),  # Friday, Mid-Autumn
    *((f"2026-10-0{day}", False) for day in range(1, 8)),  # Oct 1–7 off
    ("2026-10-08", True),  # Thursday
    ("2026-10-10", True),  # Saturday, make-up
    # 2025 National Day
    ("2025-09-28", True),  # Sunday, make-up
    *((f"2025-10-0{day}", False) for day in range(1, 9)),  # Oct 1–8 off
    ("2025-10-09", True),  # Thursday
    ("2025-10-11", True),  # Saturday, make-up
]


@pytest.mark.parametrize(("day", "working"), PUBLISHED)
def test_is_working_day_follows_published_calendar(
    cal: WorkCalendar, day: str, working: bool
) -> None:
    assert cal.is_working_day(d(day)) is working


# --- add_working_days -------------------------------------------------------------------------

ADD = [
    # plain weekend
    ("2026-11-27 10:00", 1, "2026-11-30 10:00"),  # Fri -> Mon
    ("2026-11-27 10:00", 5, "2026-12-04 10:00"),  # Fri -> next Fri
    ("2026-11-26 16:30", 2, "2026-11-30 16:30"),  # Thu -> Mon
    # t's own date never counts, whatever it is
    ("2026-11-30 09:00", 1, "2026-12-01 09:00"),  # Mon (working) -> Tue
    ("2026-11-28 10:00", 1, "2026-11-30 10:00"),  # Sat -> Mon
    ("2026-11-29 23:59", 1, "2026-11-30 23:59"),  # Sun -> Mon
    ("2026-02-16 10:00", 1, "2026-02-24 10:00"),  # Spring Festival Monday -> first day back
    ("2026-10-03 10:00", 1, "2026-10-08 10:00"),  # National Day Saturday -> Thu Oct 8
    ("2026-02-14 10:00", 1, "2026-02-24 10:00"),  # make-up Saturday itself does not count
    # 2026 Spring Festival: Sat Feb 14 counts, Feb 15–23 skipped, Sat Feb 28 counts
    ("2026-02-13 10:00", 1, "2026-02-14 10:00"),
    ("2026-02-13 10:00", 2, "2026-02-24 10:00"),
    ("2026-02-12 10:00", 3, "2026-02-24 10:00"),
    ("2026-02-27 10:00", 1, "2026-02-28 10:00"),
    ("2026-02-26 10:00", 3, "2026-03-02 10:00"),
    ("2026-02-13 10:00", 7, "2026-03-02 10:00"),  # 14, 24, 25, 26, 27, 28, Mar 2
    # 2026 New Year across the year boundary: Jan 1–3 off, Sunday Jan 4 worked
    ("2025-12-31 10:00", 1, "2026-01-04 10:00"),
    ("2025-12-31 10:00", 2, "2026-01-05 10:00"),
    # 2026 Mid-Autumn and National Day
    ("2026-09-19 10:00", 1, "2026-09-20 10:00"),  # Sat -> make-up Sun
    ("2026-09-24 10:00", 1, "2026-09-28 10:00"),  # Thu -> Mon (Fri 25–Sun 27 off)
    ("2026-09-30 10:00", 1, "2026-10-08 10:00"),
    ("2026-09-30 10:00", 3, "2026-10-10 10:00"),  # Oct 8, 9, make-up Sat 10
    ("2026-10-09 10:00", 1, "2026-10-10 10:00"),
    # 2025 National Day
    ("2025-09-27 10:00", 1, "2025-09-28 10:00"),  # Sat -> make-up Sun
    ("2025-09-30 10:00", 1, "2025-10-09 10:00"),
    ("2025-10-10 10:00", 1, "2025-10-11 10:00"),
    ("2025-10-10 10:00", 2, "2025-10-13 10:00"),
]


@pytest.mark.parametrize(("start", "n", "expected"), ADD)
def test_add_working_days(cal: WorkCalendar, start: str, n: int, expected: str) -> None:
    result = cal.add_working_days(local(start), n)
    assert result == local(expected)
    assert result.tzinfo is UTC


@pytest.mark.parametrize(("start", "n", "expected"), ADD)
def test_working_days_between_inverts_add(
    cal: WorkCalendar, start: str, n: int, expected: str
) -> None:
    assert cal.working_days_between(local(start), local(expected)) == n


@pytest.mark.parametrize(
    ("start_utc", "expected_local"),
    [
        # 17:00 UTC Friday is 01:00 Saturday in Shanghai: the local date (Sat) is t's date
        ("2026-11-27 17:00", "2026-11-30 01:00"),
        # 15:59 UTC Friday is still Friday 23:59 local
        ("2026-11-27 15:59", "2026-11-30 23:59"),
        # 16:00 UTC Feb 13 is 00:00 on make-up Saturday Feb 14, which itself does not count
        ("2026-02-13 16:00", "2026-02-24 00:00"),
    ],
)
def test_local_date_decides_not_utc_date(
    cal: WorkCalendar, start_utc: str, expected_local: str
) -> None:
    start = datetime.fromisoformat(start_utc).replace(tzinfo=UTC)
    result = cal.add_working_days(start, 1)
    assert result == local(expected_local)
    assert result.utcoffset() == timedelta(0)


def test_other_input_zone_gives_same_instant(cal: WorkCalendar) -> None:
    berlin = datetime(2026, 11, 27, 3, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Fri 10:00 Shanghai
    assert cal.add_working_days(berlin, 1) == local("2026-11-30 10:00")


def test_configurable_zone() -> None:
    cal = WorkCalendar(timezone="UTC")
    assert cal.zone == ZoneInfo("UTC")
    # 17:00 UTC Friday stays Friday in a UTC calendar
    start = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert cal.add_working_days(start, 1) == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def test_unknown_zone_refused() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        WorkCalendar(timezone="Mars/Olympus")


@pytest.mark.parametrize("n", [0, -1])
def test_add_needs_at_least_one_day(cal: WorkCalendar, n: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_working_days(local("2026-11-27 10:00"), n)


def test_naive_datetime_refused(cal: WorkCalendar) -> None:
    naive = datetime(2026, 11, 27, 10, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        cal.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="naive datetime"):
        cal.working_days_between(naive, local("2026-12-01 10:00"))
    with pytest.raises(ValueError, match="naive datetime"):
        cal.working_days_between(local("2026-11-27 10:00"), naive)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-11-27 10:00", "2026-11-27 18:00", 0),  # same date
        ("2026-11-27 10:00", "2026-11-29 10:00", 0),  # only the weekend
        ("2026-11-27 10:00", "2026-11-30 09:00", 1),  # Monday counts, whatever the clock
        ("2026-11-30 10:00", "2026-11-27 10:00", 0),  # end before start
        ("2026-11-27 10:00", "2026-11-27 10:00", 0),  # end == start
        ("2026-02-13 10:00", "2026-02-28 10:00", 6),  # 14, 24, 25, 26, 27, 28
        ("2026-09-30 10:00", "2026-10-31 10:00", 18),  # Oct 8, 9, 10 + 15 weekdays Oct 12–30
    ],
)
def test_working_days_between(cal: WorkCalendar, start: str, end: str, expected: int) -> None:
    assert cal.working_days_between(local(start), local(end)) == expected


# --- district overrides ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workdays", "days_off", "start", "n", "expected"),
    [
        # district day off on a normal Wednesday
        ([], ["2026-11-25"], "2026-11-24 10:00", 1, "2026-11-26 10:00"),
        # district workday on a Saturday
        (["2026-11-28"], [], "2026-11-27 10:00", 1, "2026-11-28 10:00"),
        # overrides win over the national calendar, both ways
        ([], ["2026-02-14"], "2026-02-13 10:00", 1, "2026-02-24 10:00"),
        (["2026-02-16"], [], "2026-02-13 10:00", 2, "2026-02-16 10:00"),
    ],
)
def test_overrides(
    workdays: list[str], days_off: list[str], start: str, n: int, expected: str
) -> None:
    cal = WorkCalendar(workdays=map(d, workdays), days_off=map(d, days_off))
    assert cal.add_working_days(local(start), n) == local(expected)
    assert WorkCalendar().add_working_days(local(start), n) != local(expected)


def test_override_in_both_lists_refused() -> None:
    with pytest.raises(ValueError, match="2026-11-25"):
        WorkCalendar(workdays=[d("2026-11-25")], days_off=[d("2026-11-25")])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_override_file_is_empty(tmp_path: Path) -> None:
    assert load_overrides(tmp_path / "nope.yaml") == ([], [])


@pytest.mark.parametrize("text", ["", "# only comments\n", "workdays:\ndays_off: []\n"])
def test_empty_override_file(tmp_path: Path, text: str) -> None:
    assert load_overrides(write(tmp_path, text)) == ([], [])


def test_sample_file_leaves_national_calendar_alone() -> None:
    path = REPO / "config" / "holidays.yaml"
    assert path.is_file()
    assert load_overrides(path) == ([], [])
    assert load_holidays(path).years == {}  # no official 2027 schedule to cite yet


def test_override_file_entry_forms(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "workdays:\n"
        "  - 2026-11-28\n"
        "  - '2026-12-05'\n"
        "days_off:\n"
        "  - date: 2026-11-25\n"
        "    reason: 区级节日\n"
        "  - {date: '2026-12-02'}\n",
    )
    workdays, days_off = load_overrides(path)
    assert workdays == [d("2026-11-28"), d("2026-12-05")]
    assert days_off == [d("2026-11-25"), d("2026-12-02")]
    cal = WorkCalendar(workdays=workdays, days_off=days_off)
    assert cal.is_working_day(d("2026-11-28"))  # Saturday
    assert not cal.is_working_day(d("2026-11-25"))  # Wednesday
    assert cal.add_working_days(local("2026-11-24 10:00"), 2) == local("2026-11-27 10:00")


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("- 2026-11-25\n", "(top level)", "expected a mapping"),
        ("just text\n", "(top level)", "expected a mapping"),
        ("days_off: 2026-11-25\n", "days_off", "must be a list"),
        ("days_off: [2026-11-25, 2026-02-30]\n", "days_off[1]", "2026-02-30"),
        ("days_off: [2026-11-25, 2026-11-26, tomorrow]\n", "days_off[2]", "not a date"),
        ("workdays: [20261128]\n", "workdays[0]", "not a date"),
        ("workdays: ['2026-11-28 09:00']\n", "workdays[0]", "not a date"),
        ("workdays: [{reason: x}]\n", "workdays[0].date", "is required"),
        ("workdays: [{date: 2026-13-01}]\n", "workdays[0].date", "not a date"),
        ("workdays: [{date: 2026-11-28, why: x}]\n", "workdays[0].why", "is not a known field"),
        ("holidays: [2026-11-25]\n", "holidays", "is not a known field"),
        (
            "workdays: [2026-11-28]\ndays_off: [2026-11-25, 2026-11-28]\n",
            "days_off[1]",
            "also in workdays[0]",
        ),
        ("days_off: [2026-11-25, 2026-11-25]\n", "days_off[1]", "appears twice"),
        ("days_off: [2026-11-25\n", "(top level)", "not valid YAML"),
    ],
)
def test_override_file_errors(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_overrides(path)
    message = str(info.value)
    assert message.startswith(str(path))
    if key != "(top level)":
        assert f": {key}:" in message
    assert problem in message


# --- beyond both packages ---------------------------------------------------------------------
# chinesecalendar 1.11 knows 2004–2026 and the holidays package 1950–2100: 2103 and 1949 are in
# neither, and fall back to Monday to Friday with a CalendarDataWarning.


def calendar_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, CalendarDataWarning)]


def test_year_without_data_falls_back_to_weekends(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar()
    with pytest.warns(CalendarDataWarning, match="2103"):
        # Friday Jan 5 -> Monday Jan 8: only the weekend is skipped
        assert cal.add_working_days(local("2103-01-05 10:00"), 1) == local("2103-01-08 10:00")
    assert any(
        r.name == "whistle.calendar" and r.levelno == logging.WARNING and "2103" in r.message
        for r in caplog.records
    )
    # weekdays are working days (even Jan 1, New Year's Day in reality), weekends are not
    assert [cal.is_working_day(d(f"2103-01-0{day}")) for day in range(1, 8)] == [
        True,  # Mon Jan 1
        True,
        True,
        True,
        True,  # Fri
        False,  # Sat
        False,  # Sun
    ]
    assert cal.coverage(2103) == YearCoverage(2103, Coverage.weekends, Source.none)
    assert cal.year_days(2103) == []


def test_fallback_warns_once_per_year_per_instance() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cal = WorkCalendar()
        for week in range(10):
            cal.add_working_days(local("2103-03-05 10:00") + timedelta(weeks=week), 3)
        assert len(calendar_warnings(caught)) == 1
        # Thu Dec 28 2102 -> Fri 29 -> Mon Jan 1 2103: 2102 is new for this instance, 2103 is not
        assert cal.add_working_days(local("2102-12-28 10:00"), 2) == local("2103-01-01 10:00")
        assert len(calendar_warnings(caught)) == 2
        # a year before both packages' data starts is handled the same way
        assert cal.is_working_day(d("1949-06-10"))  # a Friday
        assert not cal.is_working_day(d("1949-06-11"))  # a Saturday
        assert len(calendar_warnings(caught)) == 3
        # years either package knows never warn
        cal.add_working_days(local("2026-02-13 10:00"), 7)
        cal.add_working_days(local("2027-02-04 10:00"), 7)
        assert len(calendar_warnings(caught)) == 3
        # another instance warns again, once
        other = WorkCalendar()
        other.add_working_days(local("2103-03-05 10:00"), 20)
        other.working_days_between(local("2103-03-05 10:00"), local("2103-06-05 10:00"))
        found = calendar_warnings(caught)
    assert len(found) == 4
    assert [sum(str(year) in m for m in found) for year in (2102, 2103, 1949)] == [1, 2, 1]


def test_override_in_unknown_year_needs_no_data() -> None:
    cal = WorkCalendar(workdays=[d("2103-01-06")], days_off=[d("2103-01-08")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cal.is_working_day(d("2103-01-06"))  # Saturday, declared by the district
        assert not cal.is_working_day(d("2103-01-08"))  # Monday, declared off
    assert calendar_warnings(caught) == []


# --- which source covers which year ------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "coverage", "source"),
    [
        (2004, Coverage.official, Source.chinesecalendar),  # chinesecalendar's first year
        (2025, Coverage.official, Source.chinesecalendar),
        (2026, Coverage.official, Source.chinesecalendar),  # ... and its last (1.11)
        (2027, Coverage.statutory, Source.holidays),  # holidays 0.108+: no 调休 for 2027
        (2030, Coverage.statutory, Source.holidays),
        (2100, Coverage.statutory, Source.holidays),  # the holidays package's last year
        (2003, Coverage.statutory, Source.holidays),
        (2101, Coverage.weekends, Source.none),
        (1949, Coverage.weekends, Source.none),
    ],
)
def test_coverage_per_year(year: int, coverage: Coverage, source: Source) -> None:
    found = WorkCalendar().coverage(year)
    assert (found.coverage, found.source, found.notice) == (coverage, source, None)


# --- the turn of the year 2026/2027: the holidays package's statutory days ---------------------
# Expected dates come from what holidays 0.108 and 0.109 list for China 2027 (checked by hand:
# 元旦 Jan 1; 农历除夕 Feb 5, 春节 Feb 6–8 and 春节（补假） Feb 9–10; 清明节 Apr 5; 劳动节 May 1–2,
# 补假 May 3–4; 端午节 Jun 9; 中秋节 Sep 15; 国庆节 Oct 1–3, 补假 Oct 4–5), not from the code. The
# State Council's 2027 notice (with its make-up working days) is not in either package.

YEAR_TURN = [
    # 5 working days from Mon Dec 28: Dec 29, 30, 31, (Jan 1 off, weekend), Jan 4, Jan 5
    ("2026-12-28 09:00", 5, "2027-01-05 09:00"),
    ("2026-12-31 09:00", 1, "2027-01-04 09:00"),  # Thu -> Mon: New Year's Day Friday is off
    ("2027-02-04 09:00", 1, "2027-02-11 09:00"),  # Thu -> after Feb 5–10
    ("2027-02-04 09:00", 2, "2027-02-12 09:00"),
    ("2027-04-02 09:00", 1, "2027-04-06 09:00"),  # Fri -> Tue: 清明 Monday off
    ("2027-04-30 09:00", 1, "2027-05-05 09:00"),  # Fri -> Wed: May 1–4 off
    ("2027-06-08 09:00", 1, "2027-06-10 09:00"),  # 端午 Wednesday off
    ("2027-09-14 09:00", 1, "2027-09-16 09:00"),  # 中秋 Wednesday off
    ("2027-09-30 09:00", 1, "2027-10-06 09:00"),  # Thu -> Wed: Oct 1–5 off
]


@pytest.mark.parametrize(("start", "n", "expected"), YEAR_TURN)
def test_the_turn_of_the_year_counts_2027_holidays(
    cal: WorkCalendar, start: str, n: int, expected: str
) -> None:
    # pytest turns warnings into errors: a fallback to weekends would fail this test
    assert cal.add_working_days(local(start), n) == local(expected)
    assert cal.working_days_between(local(start), local(expected)) == n


def test_2027_lists_statutory_days_and_no_make_up_days(cal: WorkCalendar) -> None:
    days = cal.year_days(2027)
    assert not [x for x in days if x.working]
    off = {x.day.isoformat(): x.name for x in days}
    assert off["2027-01-01"] == "元旦"
    assert [k for k in off if k.startswith("2027-02")] == [f"2027-02-{n:02d}" for n in range(5, 11)]
    assert off["2027-02-05"] == "农历除夕" and off["2027-02-09"] == "春节（补假）"
    assert {x.source for x in days} == {Source.holidays}
    english = {x.day.isoformat(): x.name_en for x in days}
    assert english["2027-02-09"] == "Chinese New Year (Spring Festival) (observed)"


def test_2026_lists_the_official_make_up_days(cal: WorkCalendar) -> None:
    days = {x.day.isoformat(): x for x in cal.year_days(2026)}
    assert days["2026-01-04"].working and days["2026-01-04"].name == "元旦"
    assert days["2026-02-14"].working and days["2026-02-28"].working
    assert not days["2026-02-16"].working and days["2026-02-16"].name == "春节"
    assert days["2026-02-16"].name_en == "Spring Festival"
    assert {x.source for x in days.values()} == {Source.chinesecalendar}


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        # Feb 2026: 20 weekdays, Feb 16–20 and 23 off, Saturdays 14 and 28 worked
        (2026, 2, 16),
        # Oct 2026: 22 weekdays, Oct 1, 2, 5, 6, 7 off, Saturday 10 worked
        (2026, 10, 18),
        # Feb 2027 (statutory only): 20 weekdays, Feb 5, 8, 9, 10 off
        (2027, 2, 16),
        # Jan 2027: 21 weekdays, Jan 1 off
        (2027, 1, 20),
        # Jan 2103 (weekends only): 23 weekdays
        (2103, 1, 23),
    ],
)
def test_working_days_per_month(year: int, month: int, expected: int) -> None:
    cal = WorkCalendar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarDataWarning)
        assert cal.working_days_per_month(year)[month - 1] == expected


# --- an official year schedule in holidays.yaml wins over both packages ------------------------
# FICTIONAL schedules, made up for these tests: they are not the State Council's.

SCHEDULE_2027 = """years:
  2027:
    notice: 测试用放假安排（虚构）
    published: 2026-12-01
    days_off:
      - {name: 元旦, name_en: New Year's Day, from: 2027-01-01, to: 2027-01-03}
      - {name: 春节, name_en: Spring Festival, from: 2027-02-06, to: 2027-02-13}
    workdays:
      - {date: 2027-02-14, name: 春节, name_en: Spring Festival}
"""

SCHEDULE_2026 = """years:
  2026:
    notice: 测试用放假安排（虚构）
    published: 2025-11-04
    days_off:
      - {name: 元旦, date: 2026-01-01}
"""


@pytest.mark.parametrize(
    ("text", "start", "n", "expected", "packages"),
    [
        # Feb 5 is off in the holidays package, worked in the schedule; Feb 9–10 likewise the
        # other way round, and Sunday Feb 14 is a make-up working day only the schedule knows.
        (SCHEDULE_2027, "2027-02-04 09:00", 1, "2027-02-05 09:00", "2027-02-11 09:00"),
        (SCHEDULE_2027, "2027-02-05 09:00", 1, "2027-02-14 09:00", "2027-02-11 09:00"),
        (SCHEDULE_2027, "2027-02-05 09:00", 2, "2027-02-15 09:00", "2027-02-12 09:00"),
        # May 3–4 are off in the holidays package; this schedule has no Labour Day at all
        (SCHEDULE_2027, "2027-04-30 09:00", 1, "2027-05-03 09:00", "2027-05-05 09:00"),
        # the 2026 schedule replaces chinesecalendar: Jan 2 worked, Sunday Jan 4 not, and the
        # Spring Festival it does not list is worked
        (SCHEDULE_2026, "2026-01-01 09:00", 1, "2026-01-02 09:00", "2026-01-04 09:00"),
        (SCHEDULE_2026, "2026-02-13 09:00", 1, "2026-02-16 09:00", "2026-02-14 09:00"),
    ],
)
def test_a_year_schedule_wins_over_both_packages(
    tmp_path: Path, text: str, start: str, n: int, expected: str, packages: str
) -> None:
    cal = calendar_for(load_holidays(write(tmp_path, text)))
    assert cal.add_working_days(local(start), n) == local(expected)
    assert WorkCalendar().add_working_days(local(start), n) == local(packages)


def test_a_year_schedule_is_official_and_named(tmp_path: Path) -> None:
    cal = calendar_for(load_holidays(write(tmp_path, SCHEDULE_2027)))
    assert cal.coverage(2027) == YearCoverage(
        2027, Coverage.official, Source.district, "测试用放假安排（虚构）", d("2026-12-01")
    )
    assert cal.coverage(2028).coverage is Coverage.statutory  # the next year is untouched
    days = cal.year_days(2027)
    assert [(x.day.isoformat(), x.working, x.name) for x in days][:3] == [
        ("2027-01-01", False, "元旦"),
        ("2027-01-02", False, "元旦"),
        ("2027-01-03", False, "元旦"),
    ]
    assert [(x.day.isoformat(), x.name_en) for x in days if x.working] == [
        ("2027-02-14", "Spring Festival")
    ]
    assert len(days) == 3 + 8 + 1


def test_district_days_still_win_over_a_year_schedule(tmp_path: Path) -> None:
    text = SCHEDULE_2027 + "workdays:\n  - {date: 2027-02-08, reason: 防汛值守}\n"
    cal = calendar_for(load_holidays(write(tmp_path, text)))
    assert cal.is_working_day(d("2027-02-08"))
    assert [x for x in cal.year_days(2027) if x.day == d("2027-02-08")] == [
        DayInForce(d("2027-02-08"), True, "防汛值守", "防汛值守", None)
    ]


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("years: [2027]\n", "years", "must be a JSON object"),
        ("years:\n  abc: {}\n", "years.abc", "must be a whole number"),
        ("years:\n  1999: {}\n", "years.1999", "must be at least 2000"),
        ("years:\n  2027: {}\n", "years.2027.notice", "is required"),
        (
            SCHEDULE_2027.replace("published: 2026-12-01", "published: 2026-12-32"),
            "years.2027.published",
            "not a date",
        ),
        (SCHEDULE_2027.replace("notice:", "notise:"), "years.2027.notise", "is not a known field"),
        (
            SCHEDULE_2027.replace("from: 2027-01-01, to: 2027-01-03", "from: 2027-01-01"),
            "years.2027.days_off[0]",
            "from and to",
        ),
        (
            SCHEDULE_2027.replace("to: 2027-01-03", "to: 2026-12-30"),
            "years.2027.days_off[0]",
            "is before from",
        ),
        (
            SCHEDULE_2027.replace("from: 2027-01-01", "from: 2026-12-31"),
            "years.2027.days_off[0].from",
            "not in 2027",
        ),
        (
            SCHEDULE_2027.replace("to: 2027-02-13", "to: 2027-04-13"),
            "years.2027.days_off[1]",
            "longer than a month",
        ),
        (
            SCHEDULE_2027.replace("2027-02-06, to: 2027-02-13", "2027-01-03, to: 2027-01-05"),
            "years.2027.days_off[1]",
            "(also days_off[0])",
        ),
        (
            SCHEDULE_2027.replace("{date: 2027-02-14,", "{date: 2027-02-13,"),
            "years.2027.workdays[0].date",
            "also in days_off[1]",
        ),
        (
            SCHEDULE_2027.replace("{date: 2027-02-14,", "{date: 2027-02-15,"),
            "years.2027.workdays[0].date",
            "Saturday or Sunday",
        ),
        (
            SCHEDULE_2027.replace("{date: 2027-02-14,", "{date: 2028-01-01,"),
            "years.2027.workdays[0].date",
            "not in 2027",
        ),
        (
            SCHEDULE_2027.replace("{name: 元旦, name_en: New Year's Day,", "{"),
            "years.2027.days_off[0].name",
            "is required",
        ),
        (
            SCHEDULE_2027.replace("    days_off:\n", "    days_off:\n    days_off:\n"),
            "",
            "written twice",
        ),
    ],
)
def test_year_schedule_errors_name_the_key(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_holidays(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: " if key else f"{path}: "), message
    assert problem in message, message
