"""The supervisor's figures as pure arithmetic: the three rates, counts, times, the source figures.

No Prefect, no session: the store's queries (whistle/stats.py) hand in tallies they counted with
GROUP BY, and the reference path (`tally_facts`) counts the same tallies from one row per part
or matter, so the definitions below are written once in Python and mirrored in SQL.

Every measure looks at a cohort, as it stands at `now`:
- parts (承办部分): those assigned in the period [start, end);
- matters: those received (受理) in the period.

A clock still running at `now` is *pending*: neither in time nor late, so it is left out of
both sides of its rate. A rate whose denominator is 0 is None (shown as "—"), never an error.

- 响应率 response rate = parts that answered in time / parts due to answer. A part answers when
  it acknowledges (签收) or, before acknowledging, returns the matter (退回); in time means at or
  before its acknowledgement deadline. It is due to answer once it answered or its deadline has
  passed. A part the center withdrew (re-routed) before its deadline without an answer is left
  out; one withdrawn after its deadline without an answer is late.
- 解决率 resolution rate = matters resolved in time / matters due. The lead (主办) resolving
  (办结) at or before its resolution deadline (as extended, and reset by a reopening) is in time.
  A matter is due once resolved or once that deadline has passed. For a matter without a live
  lead (returned and waiting to be re-referred) the latest deadline any lead had counts. A
  matter never referred is left out.
- 满意率 satisfaction rate = satisfied answers / feedback answers. Each citizen answer counts:
  satisfied (it closed the matter) or unsatisfied (it reopened it); a feedback window that
  lapsed without an answer (未反馈) is not an answer, nor is an anonymous matter (匿名: no
  phone, closed at resolution without asking), counted apart.
- 吹哨率 whistle rate = matters with at least one co-handling department (协办) / matters
  referred (several departments summoned at once, 多部门协同).
- Times: acknowledge = acknowledged - assigned, per part; resolve = latest resolution - intake,
  per matter. Average exact; p90 is the smallest whole minute at or below which 90% fall.
- Overdue per department: parts that reached 催办 (urging, the deadline) on any clock.
- Returns per department: parts returned (退回).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

Outcome = Literal["in_time", "late", "pending", "excluded"]
Measure = Literal["response", "resolution", "satisfaction", "whistle"]
GroupBy = Literal["department", "town", "category", "colour"]
GROUP_BY: tuple[GroupBy, ...] = ("department", "town", "category", "colour")
NONE = "—"  # the group of matters with no lead department (never referred, or returned)
OVERDUE_LEVELS = ("urging", "supervision", "circular", "circulated")  # circulated: old rows
LIVE_LEAD = ("referred", "acknowledged", "resolved")


# --- the period -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """One local calendar month, clipped to the period: [start, end) in UTC."""

    label: str  # 2026-11
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Period:
    """[start, end) as aware UTC instants, read in the district's time zone."""

    start: datetime
    end: datetime
    zone: ZoneInfo
    first: date  # the local dates asked for, both included
    last: date

    @classmethod
    def of_dates(cls, first: date, last: date, zone: ZoneInfo, now: datetime) -> Period:
        """From local dates (both included); the end never lies after `now`."""
        if last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first})")
        start = datetime.combine(first, time(0), zone)
        end = datetime.combine(last + timedelta(days=1), time(0), zone)
        end = max(start, min(end, now))
        return cls(start, end, zone, first, last)

    def months(self) -> list[Month]:
        """The local months the period touches, each clipped to it (at least one)."""
        out: list[Month] = []
        local = self.start.astimezone(self.zone)
        year, month = local.year, local.month
        while True:
            begin = datetime(year, month, 1, tzinfo=self.zone)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            after = datetime(year, month, 1, tzinfo=self.zone)
            out.append(Month(f"{begin:%Y-%m}", max(begin, self.start), min(after, self.end)))
            if after >= self.end:
                return out

    def month_of(self, moment: datetime) -> str | None:
        """The label of the month holding `moment`, or None outside the period."""
        if not self.start <= moment < self.end:
            return None
        return f"{moment.astimezone(self.zone):%Y-%m}"


# --- the reference rows and their classification -----------------------------------------------


@dataclass(frozen=True)
class Part:
    """One department's part as stored (the fields the definitions read)."""

    number: str  # its matter
    department: str
    role: str
    status: str
    assigned_at: datetime
    ack_due: datetime | None = None
    acknowledged_at: datetime | None = None
    finished_at: datetime | None = None
    overdue: bool = False  # reached urging (催办) on any of its clocks


@dataclass(frozen=True)
class MatterFacts:
    """One matter as stored, with its current lead part's clock (what the definitions read)."""

    number: str
    category: str
    colour: str
    tier: str
    channel: str
    town: str
    status: str
    created_at: datetime
    people: int = 1
    lead_department: str | None = None
    lead_status: str | None = None  # the live lead part's status; None when there is none
    lead_due: datetime | None = None  # its deadline (else the latest deadline any lead had)
    lead_finished_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None
    feedback: str | None = None  # satisfied, unsatisfied, no_feedback, anonymous
    reopen_count: int = 0  # each one an unsatisfied answer
    co_handled: bool = False


def response(part: Part, now: datetime) -> Outcome:
    """Did this part answer (acknowledge, or return unacknowledged) by its deadline?"""
    withdrawn_early = (
        part.status == "withdrawn"
        and part.acknowledged_at is None
        and (part.ack_due is None or part.finished_at is None or part.finished_at <= part.ack_due)
    )
    if withdrawn_early:
        return "excluded"
    answered = part.acknowledged_at
    if answered is None and part.status == "returned":
        answered = part.finished_at
    if answered is not None and answered <= now:
        return "in_time" if part.ack_due is None or answered <= part.ack_due else "late"
    if part.ack_due is not None and part.ack_due <= now:
        return "late"
    return "pending"


def resolution(matter: MatterFacts, now: datetime) -> Outcome:
    """Was this matter resolved by its lead's deadline?"""
    if matter.status == "received":
        return "excluded"  # never referred: no clock yet
    done = matter.lead_finished_at
    if matter.lead_status == "resolved" and done is not None and done <= now:
        return "in_time" if matter.lead_due is None or done <= matter.lead_due else "late"
    if matter.lead_due is not None and matter.lead_due <= now:
        return "late"
    return "pending"


# --- tallies: what the store's GROUP BY queries return ------------------------------------------


@dataclass(frozen=True)
class MatterCount:
    """Matters received in one month with the same codes, and the people they concern."""

    month: str
    category: str
    colour: str
    tier: str
    channel: str
    group: str | None
    matters: int
    people: int


@dataclass(frozen=True)
class ResolvedCount:
    """Matters resolved (办结) in one month with the same codes and outcome (for figures)."""

    month: str
    category: str
    channel: str
    outcome: str
    matters: int
    people: int


@dataclass(frozen=True)
class OutcomeCount:
    """How many parts or matters of one month and group came out one way for one measure.

    response / resolution: in_time, late, pending, excluded; satisfaction: satisfied,
    unsatisfied, no_feedback, anonymous; whistle: several, single.
    """

    measure: Measure
    outcome: str
    month: str
    group: str | None
    count: int


@dataclass(frozen=True)
class DurationBucket:
    """Durations of one kind (acknowledge, resolve) that fall in one whole minute."""

    kind: Literal["acknowledge", "resolve"]
    minute: int
    count: int
    seconds: float  # their exact sum, for the average


@dataclass(frozen=True)
class DepartmentCount:
    """Parts of one department that went overdue, or were returned."""

    kind: Literal["overdue", "returns"]
    department: str
    count: int


@dataclass
class Tallies:
    """Everything the figures are computed from."""

    matters: list[MatterCount] = field(default_factory=list)
    resolved: list[ResolvedCount] = field(default_factory=list)
    outcomes: list[OutcomeCount] = field(default_factory=list)
    durations: list[DurationBucket] = field(default_factory=list)
    departments: list[DepartmentCount] = field(default_factory=list)


def _group(by: GroupBy | None, *, department: str | None, matter: MatterFacts | None) -> str | None:
    if by is None:
        return None
    if by == "department":
        return department or NONE
    assert matter is not None
    return str(getattr(matter, by))


def tally_facts(
    parts: Iterable[Part],
    matters: Iterable[MatterFacts],
    period: Period,
    now: datetime,
    by: GroupBy | None = None,
) -> Tallies:
    """The reference path: count the tallies from one row per part and per matter."""
    matters = list(matters)
    by_number = {m.number: m for m in matters}
    counts: Counter[tuple[str, str, str, str, str, str | None]] = Counter()
    people: Counter[tuple[str, str, str, str, str, str | None]] = Counter()
    outcomes: Counter[tuple[Measure, str, str, str | None]] = Counter()
    resolved: Counter[tuple[str, str, str, str]] = Counter()
    resolved_people: Counter[tuple[str, str, str, str]] = Counter()
    seconds: dict[Literal["acknowledge", "resolve"], list[float]] = defaultdict(list)
    departments: Counter[tuple[Literal["overdue", "returns"], str]] = Counter()

    for m in matters:
        when = period.month_of(m.resolved_at) if m.resolved_at and m.resolved_at <= now else None
        if when is not None and m.outcome:
            done = (when, m.category, m.channel, m.outcome)
            resolved[done] += 1
            resolved_people[done] += m.people
        month = period.month_of(m.created_at)
        if month is None:
            continue
        group = _group(by, department=m.lead_department, matter=m)
        key = (month, m.category, m.colour, m.tier, m.channel, group)
        counts[key] += 1
        people[key] += m.people
        outcomes[("resolution", resolution(m, now), month, group)] += 1
        satisfied = int(m.feedback == "satisfied")
        outcomes[("satisfaction", "satisfied", month, group)] += satisfied
        outcomes[("satisfaction", "unsatisfied", month, group)] += m.reopen_count
        outcomes[("satisfaction", "no_feedback", month, group)] += int(m.feedback == "no_feedback")
        outcomes[("satisfaction", "anonymous", month, group)] += int(m.feedback == "anonymous")
        if m.status != "received":
            outcomes[("whistle", "several" if m.co_handled else "single", month, group)] += 1
        if m.resolved_at is not None and m.resolved_at <= now:
            seconds["resolve"].append((m.resolved_at - m.created_at).total_seconds())

    for p in parts:
        month = period.month_of(p.assigned_at)
        if month is None:
            continue
        group = _group(by, department=p.department, matter=by_number.get(p.number))
        outcomes[("response", response(p, now), month, group)] += 1
        if p.acknowledged_at is not None and p.acknowledged_at <= now:
            seconds["acknowledge"].append((p.acknowledged_at - p.assigned_at).total_seconds())
        if p.overdue:
            departments[("overdue", p.department)] += 1
        if p.status == "returned":
            departments[("returns", p.department)] += 1

    durations: list[DurationBucket] = []
    for kind, values in sorted(seconds.items()):
        per_minute: dict[int, list[float]] = defaultdict(list)
        for value in values:
            per_minute[int(value // 60)].append(value)
        durations += [
            DurationBucket(kind, minute, len(v), sum(v)) for minute, v in sorted(per_minute.items())
        ]
    return Tallies(
        matters=[MatterCount(*k, n, people[k]) for k, n in counts.items()],
        resolved=[ResolvedCount(*k, n, resolved_people[k]) for k, n in resolved.items()],
        outcomes=[OutcomeCount(*k, n) for k, n in outcomes.items() if n],
        durations=durations,
        departments=[DepartmentCount(k, d, n) for (k, d), n in departments.items()],
    )


# --- the computed figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """numerator / denominator, with the pending ones beside it; None when nothing is due."""

    numerator: int = 0
    denominator: int = 0
    pending: int = 0

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "pending": self.pending,
            "rate": self.value,
        }


@dataclass(frozen=True)
class Times:
    """Average and p90 of one kind of duration, in seconds; None when there is none."""

    count: int = 0
    average: float | None = None
    p90: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "average_seconds": self.average, "p90_seconds": self.p90}


@dataclass(frozen=True)
class Figure:
    """One of the source's own figures (e.g. 接待来访群众 … 人次), as configured."""

    key: str
    count: Literal["people", "matters", "batches"] = "matters"
    channels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()


def percentile(buckets: Iterable[tuple[float, int]], q: float = 0.9) -> float | None:
    """Nearest rank: the smallest value with at least q of all weight at or below it."""
    pairs = sorted((v, n) for v, n in buckets if n > 0)
    total = sum(n for _, n in pairs)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total - 1e-9))
    seen = 0
    for value, n in pairs:
        seen += n
        if seen >= rank:
            return value
    return pairs[-1][0]  # pragma: no cover (rank <= total)


def rates(outcomes: Iterable[OutcomeCount]) -> dict[str, Rate]:
    """The four rates from outcome tallies (any subset: one month, one group, or all)."""
    n: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        n[(o.measure, o.outcome)] += o.count
    return {
        "response": Rate(
            n["response", "in_time"],
            n["response", "in_time"] + n["response", "late"],
            n["response", "pending"],
        ),
        "resolution": Rate(
            n["resolution", "in_time"],
            n["resolution", "in_time"] + n["resolution", "late"],
            n["resolution", "pending"],
        ),
        "satisfaction": Rate(
            n["satisfaction", "satisfied"],
            n["satisfaction", "satisfied"] + n["satisfaction", "unsatisfied"],
            0,
        ),
        "whistle": Rate(
            n["whistle", "several"], n["whistle", "several"] + n["whistle", "single"], 0
        ),
    }


def times(buckets: Iterable[DurationBucket], kind: str) -> Times:
    mine = [b for b in buckets if b.kind == kind and b.count > 0]
    count = sum(b.count for b in mine)
    if not count:
        return Times()
    return Times(
        count=count,
        average=sum(b.seconds for b in mine) / count,
        p90=percentile((b.minute * 60.0, b.count) for b in mine),
    )


def figure_value(figure: Figure, month: str | None, tallies: Tallies) -> int | dict[str, int]:
    """One figure for one month (None: the whole period)."""

    def wanted(category: str, channel: str) -> bool:
        return (not figure.categories or category in figure.categories) and (
            not figure.channels or channel in figure.channels
        )

    rows: list[tuple[int, int]]
    if figure.outcomes:
        rows = [
            (r.matters, r.people)
            for r in tallies.resolved
            if (month is None or r.month == month)
            and r.outcome in figure.outcomes
            and wanted(r.category, r.channel)
        ]
    else:
        rows = [
            (r.matters, r.people)
            for r in tallies.matters
            if (month is None or r.month == month) and wanted(r.category, r.channel)
        ]
    matters, people = sum(r[0] for r in rows), sum(r[1] for r in rows)
    if figure.count == "batches":
        return {"batches": matters, "people": people}
    return people if figure.count == "people" else matters


@dataclass(frozen=True)
class Statistics:
    """Everything `whistle stats` and the report show, ready to print or render."""

    period: Period
    now: datetime
    by: GroupBy | None
    rates: dict[str, Rate]
    counts: dict[str, dict[str, int]]
    matters: int
    people: int
    times: dict[str, Times]
    overdue: dict[str, int]
    returns: dict[str, int]
    months: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    figures: dict[str, int | dict[str, int]]
    feedback_lapsed: int
    anonymous: int = 0  # closed without feedback: nobody left a phone (not in the 满意率)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document (`whistle stats --json`)."""
        return {
            "period": {
                "from": self.period.first.isoformat(),
                "to": self.period.last.isoformat(),
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "as_of": self.now.isoformat(),
            },
            "by": self.by,
            "matters": self.matters,
            "people": self.people,
            "rates": {k: r.as_dict() for k, r in self.rates.items()},
            "counts": self.counts,
            "times": {k: t.as_dict() for k, t in self.times.items()},
            "overdue_by_department": self.overdue,
            "returns_by_department": self.returns,
            "feedback_lapsed": self.feedback_lapsed,
            "anonymous": self.anonymous,
            "figures": self.figures,
            "months": [
                dict(m, rates={k: r.as_dict() for k, r in m["rates"].items()}) for m in self.months
            ],
            "groups": [
                dict(g, rates={k: r.as_dict() for k, r in g["rates"].items()}) for g in self.groups
            ],
        }


def _sorted_counts(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for key, n in pairs:
        total[key] += n
    return dict(sorted(((k, v) for k, v in total.items() if v), key=lambda kv: (-kv[1], kv[0])))


def summarise(
    tallies: Tallies,
    period: Period,
    now: datetime,
    *,
    by: GroupBy | None = None,
    figures: Sequence[Figure] = (),
) -> Statistics:
    """Compute every figure from the tallies; empty periods give zeros and None rates."""
    months = period.months()
    month_rows = []
    for month in months:
        mine = [r for r in tallies.matters if r.month == month.label]
        month_rows.append(
            {
                "month": month.label,
                "matters": sum(r.matters for r in mine),
                "people": sum(r.people for r in mine),
                "rates": rates(o for o in tallies.outcomes if o.month == month.label),
                "figures": {f.key: figure_value(f, month.label, tallies) for f in figures},
            }
        )
    groups = []
    if by is not None:
        keys = {r.group for r in tallies.matters} | {o.group for o in tallies.outcomes}
        for key in sorted(k for k in keys if k is not None):
            groups.append(
                {
                    "key": key,
                    "matters": sum(r.matters for r in tallies.matters if r.group == key),
                    "rates": rates(o for o in tallies.outcomes if o.group == key),
                }
            )
    return Statistics(
        period=period,
        now=now,
        by=by,
        rates=rates(tallies.outcomes),
        counts={
            name: _sorted_counts((getattr(r, name), r.matters) for r in tallies.matters)
            for name in ("category", "colour", "tier", "channel")
        },
        matters=sum(r.matters for r in tallies.matters),
        people=sum(r.people for r in tallies.matters),
        times={k: times(tallies.durations, k) for k in ("acknowledge", "resolve")},
        overdue=_sorted_counts(
            (d.department, d.count) for d in tallies.departments if d.kind == "overdue"
        ),
        returns=_sorted_counts(
            (d.department, d.count) for d in tallies.departments if d.kind == "returns"
        ),
        months=month_rows,
        groups=groups,
        figures={f.key: figure_value(f, None, tallies) for f in figures},
        feedback_lapsed=sum(
            o.count
            for o in tallies.outcomes
            if o.measure == "satisfaction" and o.outcome == "no_feedback"
        ),
        anonymous=sum(
            o.count
            for o in tallies.outcomes
            if o.measure == "satisfaction" and o.outcome == "anonymous"
        ),
    )
