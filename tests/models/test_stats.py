"""The statistics' definitions, table-driven, and every figure on a constructed history with
known answers, including empty periods (no division by zero: a rate with nothing due is None)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.stats import (
    DurationBucket,
    Figure,
    MatterFacts,
    OutcomeCount,
    Part,
    Period,
    Rate,
    Tallies,
    percentile,
    rates,
    resolution,
    response,
    summarise,
    tally_facts,
)

ZONE = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A local (Asia/Shanghai) time, 'MM-DD HH:MM' in 2026, as aware UTC."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=ZONE).astimezone(UTC)


NOW = at("11-30 12:00")
H = timedelta(hours=1)


def part(**fields: object) -> Part:
    values: dict[str, object] = {
        "number": "M1",
        "department": "hrss",
        "role": "lead",
        "status": "referred",
        "assigned_at": at("11-02 09:00"),
        "ack_due": at("11-02 11:00"),
    } | fields
    return Part(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "fields", "expected"),
    [
        ("acknowledged before the deadline", {"acknowledged_at": at("11-02 10:00")}, "in_time"),
        ("acknowledged at the deadline", {"acknowledged_at": at("11-02 11:00")}, "in_time"),
        ("acknowledged after it", {"acknowledged_at": at("11-02 11:01")}, "late"),
        (
            "returned unacknowledged in time",
            {"status": "returned", "finished_at": at("11-02 10:30")},
            "in_time",
        ),
        (
            "returned unacknowledged too late",
            {"status": "returned", "finished_at": at("11-02 12:00")},
            "late",
        ),
        (
            "acknowledged in time, returned later",
            {
                "status": "returned",
                "acknowledged_at": at("11-02 10:00"),
                "finished_at": at("11-05 10:00"),
            },
            "in_time",
        ),
        ("no answer, deadline passed", {}, "late"),
        ("no answer, clock running", {"ack_due": NOW + H}, "pending"),
        (
            "withdrawn before its deadline, unanswered",
            {"status": "withdrawn", "finished_at": at("11-02 10:00")},
            "excluded",
        ),
        (
            "withdrawn after its deadline, unanswered",
            {"status": "withdrawn", "finished_at": at("11-02 13:00")},
            "late",
        ),
        (
            "withdrawn after acknowledging in time",
            {
                "status": "withdrawn",
                "acknowledged_at": at("11-02 10:00"),
                "finished_at": at("11-03 10:00"),
            },
            "in_time",
        ),
        (
            "answered after now (a past --at)",
            {"acknowledged_at": NOW + H, "ack_due": NOW + 2 * H},
            "pending",
        ),
        (
            "no acknowledgement clock, answered",
            {"ack_due": None, "acknowledged_at": at("11-09 09:00")},
            "in_time",
        ),
        ("no acknowledgement clock, no answer", {"ack_due": None}, "pending"),
    ],
)
def test_response(case: str, fields: dict[str, object], expected: str) -> None:
    assert response(part(**fields), NOW) == expected, case


def matter(**fields: object) -> MatterFacts:
    values: dict[str, object] = {
        "number": "M1",
        "category": "wage_arrears",
        "colour": "orange",
        "tier": "town",
        "channel": "walk_in",
        "town": "T01",
        "status": "in_progress",
        "created_at": at("11-02 09:00"),
        "lead_department": "hrss",
        "lead_status": "acknowledged",
        "lead_due": at("11-09 09:00"),
    } | fields
    return MatterFacts(**values)  # type: ignore[arg-type]


RESOLVED = {"status": "resolved", "lead_status": "resolved"}


@pytest.mark.parametrize(
    ("case", "fields", "expected"),
    [
        (
            "resolved before the deadline",
            RESOLVED | {"lead_finished_at": at("11-05 09:00")},
            "in_time",
        ),
        ("resolved at the deadline", RESOLVED | {"lead_finished_at": at("11-09 09:00")}, "in_time"),
        ("resolved after it", RESOLVED | {"lead_finished_at": at("11-12 09:00")}, "late"),
        (
            "closed after resolving in time",
            RESOLVED | {"status": "closed", "lead_finished_at": at("11-05 09:00")},
            "in_time",
        ),
        ("in hand, deadline passed", {}, "late"),
        ("in hand, clock running", {"lead_due": NOW + H}, "pending"),
        (
            "reopened: the new deadline counts",
            {"lead_due": at("12-20 09:00"), "reopen_count": 1},
            "pending",
        ),
        (
            "returned, waiting: the latest lead deadline passed",
            {"status": "returned", "lead_status": None, "lead_department": None},
            "late",
        ),
        (
            "returned, waiting: still within it",
            {"status": "returned", "lead_status": None, "lead_due": NOW + H},
            "pending",
        ),
        (
            "never referred",
            {"status": "received", "lead_status": None, "lead_due": None},
            "excluded",
        ),
        (
            "resolved after now (a past --at)",
            RESOLVED | {"lead_finished_at": NOW + H, "lead_due": NOW + 2 * H},
            "pending",
        ),
    ],
)
def test_resolution(case: str, fields: dict[str, object], expected: str) -> None:
    assert resolution(matter(**fields), NOW) == expected, case


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([(5.0, 1)], 5.0),
        (
            [
                (1.0, 1),
                (2.0, 1),
                (3.0, 1),
                (4.0, 1),
                (5.0, 1),
                (6.0, 1),
                (7.0, 1),
                (8.0, 1),
                (9.0, 1),
                (10.0, 1),
            ],
            9.0,
        ),
        ([(1.0, 9), (100.0, 1)], 1.0),  # 90% at or below 1
        ([(1.0, 8), (100.0, 2)], 100.0),
        ([(3.0, 2), (1.0, 0)], 3.0),  # zero weights do not count
    ],
)
def test_percentile_nearest_rank(values: list[tuple[float, int]], expected: float | None) -> None:
    assert percentile(values) == expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(0, 0, None), (0, 4, 0.0), (3, 4, 0.75), (4, 4, 1.0)],
)
def test_a_rate_with_nothing_due_is_none(
    numerator: int, denominator: int, expected: float | None
) -> None:
    assert Rate(numerator, denominator).value == expected
    assert Rate(numerator, denominator).as_dict()["rate"] == expected


def test_rates_ignore_pending_and_excluded() -> None:
    outcomes = [
        OutcomeCount("response", "in_time", "2026-11", None, 3),
        OutcomeCount("response", "late", "2026-11", None, 1),
        OutcomeCount("response", "pending", "2026-11", None, 5),
        OutcomeCount("response", "excluded", "2026-11", None, 7),
        OutcomeCount("satisfaction", "no_feedback", "2026-11", None, 2),
    ]
    found = rates(outcomes)
    assert found["response"] == Rate(3, 4, 5)
    assert found["resolution"] == Rate(0, 0, 0) and found["resolution"].value is None
    assert found["satisfaction"].value is None  # lapsed feedback is not an answer


@pytest.mark.parametrize(
    ("first", "last", "now", "months", "end"),
    [
        (date(2026, 10, 1), date(2026, 11, 30), NOW, ["2026-10", "2026-11"], NOW),
        (date(2026, 11, 1), date(2026, 11, 15), NOW, ["2026-11"], at("11-16 00:00")),
        (date(2025, 12, 31), date(2026, 1, 1), NOW, ["2025-12", "2026-01"], at("01-02 00:00")),
        # a period wholly after now is empty: it ends where it starts
        (date(2026, 12, 1), date(2026, 12, 31), NOW, ["2026-12"], at("12-01 00:00")),
    ],
)
def test_period_months_and_end(
    first: date, last: date, now: datetime, months: list[str], end: datetime
) -> None:
    period = Period.of_dates(first, last, ZONE, now)
    assert [m.label for m in period.months()] == months
    assert period.end == end
    assert period.months()[0].start == period.start
    assert period.months()[-1].end == period.end


def test_period_months_follow_local_midnight() -> None:
    # 2026-10-31 20:00 UTC is 1 November 04:00 in Asia/Shanghai: November, not October.
    period = Period.of_dates(date(2026, 10, 1), date(2026, 11, 30), ZONE, NOW)
    assert period.month_of(datetime(2026, 10, 31, 20, 0, tzinfo=UTC)) == "2026-11"
    assert period.month_of(datetime(2026, 10, 31, 15, 59, tzinfo=UTC)) == "2026-10"
    assert period.month_of(NOW) is None  # the end is not inside
    berlin = ZoneInfo("Europe/Berlin")  # a zone with summer time: boundaries stay at midnight
    months = Period.of_dates(date(2026, 3, 1), date(2026, 4, 30), berlin, NOW).months()
    assert [m.end.astimezone(berlin).hour for m in months] == [0, 0]


def test_period_refuses_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Period.of_dates(date(2026, 11, 2), date(2026, 11, 1), ZONE, NOW)


# --- a constructed history with known answers ----------------------------------------------------

FIGURES = [
    Figure("visitors", "people", channels=("walk_in",)),
    Figure("legal", "people", categories=("legal_consult",)),
    Figure("petitions", "batches", categories=("petition",)),
    Figure("mediated", "matters", outcomes=("mediated",)),
]

# Seven matters in October and November, as a center would see them on 30 November at noon.
MATTERS = [
    # A: orange wage arrears, 8 workers, three departments; resolved in a day; satisfied.
    matter(
        number="A", people=8, status="closed", created_at=at("10-12 09:00"),
        lead_status="resolved", lead_due=at("10-19 09:00"), lead_finished_at=at("10-13 09:00"),
        resolved_at=at("10-13 09:00"), outcome="mediated", feedback="satisfied", co_handled=True,
    ),
    # B: a green legal consultation at a town, answered late and resolved late; no feedback yet.
    matter(
        number="B", category="legal_consult", colour="green", town="T02", status="resolved",
        created_at=at("10-20 10:00"), lead_department="justice", lead_status="resolved",
        lead_due=at("11-10 10:00"), lead_finished_at=at("11-20 10:00"),
        resolved_at=at("11-20 10:00"), outcome="explained",
    ),
    # C: a petition by letter from 12 people; reopened once, then satisfied.
    matter(
        number="C", category="petition", channel="letter", people=12, town="T03",
        status="closed", created_at=at("11-03 09:00"), lead_department="petitions",
        lead_status="resolved", lead_due=at("12-20 09:00"), lead_finished_at=at("11-25 15:00"),
        resolved_at=at("11-25 15:00"), outcome="explained", feedback="satisfied",
        reopen_count=1,
    ),
    # D: counselling, resolved the next day, the feedback window lapsed.
    matter(
        number="D", category="counselling", colour="green", tier="village", town="T04",
        status="closed", created_at=at("11-16 14:00"), lead_department="health",
        lead_status="resolved", lead_due=at("12-07 14:00"), lead_finished_at=at("11-17 10:00"),
        resolved_at=at("11-17 10:00"), outcome="handled", feedback="no_feedback",
    ),
    # E: a yellow neighbour dispute returned by the village and re-referred to the town.
    matter(
        number="E", category="neighbour", colour="yellow", tier="village", town="T05",
        people=2, created_at=at("11-23 09:00"), lead_department="T05.judicial_office",
        lead_due=at("12-07 11:00"),
    ),
    # F: a red land dispute nobody has acknowledged; H: a green one just in.
    matter(
        number="F", category="land", colour="red", tier="district", town="T08", people=3,
        status="referred", created_at=at("11-30 11:00"), lead_department="natural_resources",
        lead_status="referred", lead_due=at("12-03 11:00"),
    ),
    matter(
        number="H", category="other", colour="green", tier="village", town="T06",
        status="referred", created_at=at("11-30 11:50"), lead_department="T06V01.center",
        lead_status="referred", lead_due=at("12-21 11:50"),
    ),
]  # fmt: skip

PARTS = [
    part(number="A", department="hrss", status="resolved", assigned_at=at("10-12 09:00"),
         ack_due=at("10-12 11:00"), acknowledged_at=at("10-12 10:00")),
    part(number="A", department="public_security", role="co", status="reported",
         assigned_at=at("10-12 09:00"), ack_due=at("10-12 11:00"),
         acknowledged_at=at("10-12 12:00")),
    part(number="A", department="justice", role="co", status="returned",
         assigned_at=at("10-12 09:00"), ack_due=at("10-12 11:00"),
         finished_at=at("10-12 09:30")),
    part(number="B", department="justice", status="resolved", assigned_at=at("10-20 10:00"),
         ack_due=at("10-21 10:00"), acknowledged_at=at("10-23 10:00"), overdue=True),
    part(number="C", department="petitions", status="resolved", assigned_at=at("11-03 09:00"),
         ack_due=at("11-18 09:00"), acknowledged_at=at("11-05 09:00")),
    part(number="D", department="health", status="resolved", assigned_at=at("11-16 14:00"),
         ack_due=at("11-17 14:00"), acknowledged_at=at("11-16 14:30")),
    part(number="E", department="T05V03.mediation", status="returned",
         assigned_at=at("11-23 09:00"), ack_due=at("11-24 09:00"),
         finished_at=at("11-23 10:00")),
    part(number="E", department="T05.judicial_office", status="acknowledged",
         assigned_at=at("11-23 11:00"), ack_due=at("11-24 11:00"),
         acknowledged_at=at("11-24 15:00")),
    part(number="F", department="natural_resources", assigned_at=at("11-30 11:00"),
         ack_due=at("11-30 11:30")),
    part(number="H", department="T06V01.center", assigned_at=at("11-30 11:50"),
         ack_due=at("12-01 11:50")),
]  # fmt: skip

PERIOD = Period.of_dates(date(2026, 10, 1), date(2026, 11, 30), ZONE, NOW)


def test_every_figure_on_the_constructed_history() -> None:
    stats = summarise(tally_facts(PARTS, MATTERS, PERIOD, NOW), PERIOD, NOW, figures=FIGURES)
    # 响应率: A.hrss, A.justice (returned in time), C, D, E.mediation in time; A.public_security,
    # B, E.judicial_office, F late; H's clock still runs.
    assert stats.rates["response"] == Rate(5, 9, 1)
    # 解决率: A, C, D in time, B late; E, F, H not yet due.
    assert stats.rates["resolution"] == Rate(3, 4, 3)
    # 满意率: A and C satisfied, C once unsatisfied before; D lapsed (not an answer).
    assert stats.rates["satisfaction"] == Rate(2, 3, 0)
    assert stats.feedback_lapsed == 1
    # 吹哨率: only A summoned co-handlers.
    assert stats.rates["whistle"] == Rate(1, 7, 0)
    assert stats.matters == 7 and stats.people == 8 + 1 + 12 + 1 + 2 + 3 + 1
    assert stats.counts["colour"] == {"green": 3, "orange": 2, "red": 1, "yellow": 1}
    assert stats.counts["tier"] == {"town": 3, "village": 3, "district": 1}
    assert stats.counts["channel"] == {"walk_in": 6, "letter": 1}
    assert sum(stats.counts["category"].values()) == 7
    # Acknowledging took 1 h, 3 h, 72 h, 48 h, 30 min and 28 h.
    ack = stats.times["acknowledge"]
    assert (ack.count, ack.average, ack.p90) == (6, 549_000 / 6, 72 * 3600)
    # Resolving took 24 h, 31 days, 22 days 6 h and 20 h.
    done = stats.times["resolve"]
    assert (done.count, done.average, done.p90) == (4, 4_759_200 / 4, 31 * 86400)
    assert stats.overdue == {"justice": 1}
    assert stats.returns == {"T05V03.mediation": 1, "justice": 1}
    october, november = stats.months
    assert (october["month"], october["matters"], november["matters"]) == ("2026-10", 2, 5)
    assert october["figures"] == {
        "visitors": 9,
        "legal": 1,
        "petitions": {"batches": 0, "people": 0},
        "mediated": 1,
    }
    assert november["figures"] == {
        "visitors": 7,
        "legal": 0,
        "petitions": {"batches": 1, "people": 12},
        "mediated": 0,
    }
    assert october["rates"]["response"] == Rate(2, 4, 0)
    assert november["rates"]["response"] == Rate(3, 5, 1)
    assert stats.figures["visitors"] == 16 and stats.figures["mediated"] == 1


@pytest.mark.parametrize(
    ("by", "key", "response_rate", "resolution_rate", "matters"),
    [
        ("department", "justice", Rate(1, 2, 0), Rate(0, 1, 0), 1),
        ("department", "hrss", Rate(1, 1, 0), Rate(1, 1, 0), 1),
        ("colour", "green", Rate(1, 2, 1), Rate(1, 2, 1), 3),
        ("town", "T01", Rate(2, 3, 0), Rate(1, 1, 0), 1),
        ("category", "neighbour", Rate(1, 2, 0), Rate(0, 0, 1), 1),
    ],
)
def test_grouped(
    by: str, key: str, response_rate: Rate, resolution_rate: Rate, matters: int
) -> None:
    tallies = tally_facts(PARTS, MATTERS, PERIOD, NOW, by=by)  # type: ignore[arg-type]
    stats = summarise(tallies, PERIOD, NOW, by=by)  # type: ignore[arg-type]
    group = next(g for g in stats.groups if g["key"] == key)
    assert group["rates"]["response"] == response_rate
    assert group["rates"]["resolution"] == resolution_rate
    assert group["matters"] == matters


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 9, 1), date(2026, 9, 30)),  # before anything happened
        (date(2026, 12, 1), date(2026, 12, 31)),  # after now: an empty period
    ],
)
def test_an_empty_period_has_no_rates_and_no_errors(first: date, last: date) -> None:
    period = Period.of_dates(first, last, ZONE, NOW)
    stats = summarise(tally_facts(PARTS, MATTERS, period, NOW), period, NOW, figures=FIGURES)
    assert all(rate.value is None for rate in stats.rates.values())
    assert stats.matters == 0 and stats.counts["category"] == {}
    assert stats.times["acknowledge"].average is None and stats.times["resolve"].p90 is None
    assert stats.overdue == {} and stats.returns == {}
    assert stats.figures["petitions"] == {"batches": 0, "people": 0}
    document = stats.as_dict()
    assert document["rates"]["response"] == {
        "numerator": 0,
        "denominator": 0,
        "pending": 0,
        "rate": None,
    }
    assert [m["month"] for m in document["months"]] == [f"{first:%Y-%m}"]


def test_nothing_at_all() -> None:
    stats = summarise(Tallies(), PERIOD, NOW, by="department", figures=FIGURES)
    assert stats.groups == [] and stats.matters == 0
    assert [m["month"] for m in stats.months] == ["2026-10", "2026-11"]


def test_times_average_exactly_and_p90_to_the_minute() -> None:
    buckets = [
        DurationBucket("acknowledge", 0, 2, 50.0),  # 20 s and 30 s
        DurationBucket("acknowledge", 90, 1, 5430.0),  # 1 h 30 min 30 s
    ]
    stats = summarise(Tallies(durations=buckets), PERIOD, NOW)
    assert stats.times["acknowledge"].average == pytest.approx(5480 / 3)
    assert stats.times["acknowledge"].p90 == 5400.0
    assert stats.times["resolve"].count == 0


def test_anonymous_matters_are_counted_apart_from_satisfaction() -> None:
    """匿名: closed at resolution with nobody to ask; neither an answer nor a lapse."""
    closed = {"status": "closed", "lead_status": "resolved", "resolved_at": at("11-03 09:00")}
    matters = [
        matter(number="M1", feedback="satisfied", **closed),
        matter(number="M2", feedback="anonymous", **closed),
        matter(number="M3", feedback="anonymous", **closed),
        matter(number="M4", feedback="no_feedback", **closed),
    ]
    stats = summarise(tally_facts([], matters, PERIOD, NOW), PERIOD, NOW)
    assert stats.rates["satisfaction"] == Rate(1, 1, 0)
    assert (stats.anonymous, stats.feedback_lapsed) == (2, 1)
    assert stats.as_dict()["anonymous"] == 2
    assert stats.months[-1]["rates"]["satisfaction"] == Rate(1, 1, 0)
