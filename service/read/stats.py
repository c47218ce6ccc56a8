"""The store's side of `whistle stats`: GROUP BY queries that count the tallies models/stats.py
turns into rates, times and figures.

The definitions live in models/stats.py (`response`, `resolution`, …); the CASE expressions
here are the same rules in SQL, so a million matters are counted in the database and only
small tallies (month × code × outcome, durations per whole minute) come back to Python.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from models.refusals import Code, Refused
from models.stats import (
    GROUP_BY,
    LIVE_LEAD,
    NONE,
    OVERDUE_LEVELS,
    DepartmentCount,
    DurationBucket,
    Figure,
    GroupBy,
    MatterCount,
    OutcomeCount,
    Period,
    ResolvedCount,
    Statistics,
    Tallies,
    summarise,
)
from models.status import AssignmentStatus, Feedback, Role, Status
from models.tables import Assignment, LadderStep, Matter, UTCDateTime
from service.app import App

M: Any = Matter.__table__  # type: ignore[attr-defined]
A: Any = Assignment.__table__  # type: ignore[attr-defined]
S: Any = LadderStep.__table__  # type: ignore[attr-defined]


def parse_period(app: App, first: str | None, last: str | None, now: datetime) -> Period:
    """The period from --from/--to (local dates, both included); default: this year so far."""
    zone = app.calendar.zone
    today = now.astimezone(zone).date()

    def day(text: str | None, default: date, flag: str) -> date:
        if text is None:
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise Refused(Code.bad_date, field=flag, value=text) from None

    start = day(first, today.replace(month=1, day=1), "--from")
    end = day(last, today, "--to")
    if end < start:
        raise Refused(Code.period_backwards, start=str(start), end=str(end))
    return Period.of_dates(start, end, zone, now)


def figures(app: App) -> list[Figure]:
    """The district's figures (figures.yaml) as the pure layer reads them."""
    return [
        Figure(
            key=f.key,
            count=f.count,
            channels=tuple(f.channels),
            categories=tuple(f.categories),
            outcomes=tuple(f.outcomes),
        )
        for f in app.config.figures.figures
    ]


def statistics(
    session: Session, app: App, *, period: Period, now: datetime, by: GroupBy | None = None
) -> Statistics:
    """Every figure of the period, counted in the store."""
    if by is not None and by not in GROUP_BY:
        raise Refused(Code.bad_grouping, field="--by", value=str(by), known=list(GROUP_BY))
    return summarise(
        collect(session, period=period, now=now, by=by, with_resolved=True),
        period,
        now,
        by=by,
        figures=figures(app),
    )


# --- the queries ---------------------------------------------------------------------------------


def _seconds(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    """later - earlier in seconds (to the millisecond on SQLite, whose julianday is a float)."""
    if dialect == "sqlite":
        return sa.func.round((sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0, 3)
    return sa.func.date_part("epoch", later - earlier)  # a double: no numeric arithmetic


def _minute(dialect: str, seconds: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return sa.cast(seconds / 60, sa.Integer)  # durations are positive: truncation floors
    return sa.cast(sa.func.floor(seconds / 60), sa.Integer)


def _month(period: Period, column: Any) -> ColumnElement[Any]:
    """The index of the local month holding a time inside the period (the WHERE clause bounds
    it below); a small integer groups faster than its label."""
    return sa.case(*[(column < m.end, i) for i, m in enumerate(period.months())], else_=None)


def _within(period: Period, column: Any) -> ColumnElement[bool]:
    return sa.and_(column >= period.start, column < period.end)


def _matter_group(by: GroupBy | None) -> ColumnElement[Any] | None:
    if by is None:
        return None
    if by == "department":
        return sa.func.coalesce(M.c.lead_department, NONE)
    return M.c[by]  # type: ignore[no-any-return]


def collect(
    session: Session,
    *,
    period: Period,
    now: datetime,
    by: GroupBy | None = None,
    with_resolved: bool = True,
) -> Tallies:
    """Count every tally of the period with GROUP BY queries (one pass per table and measure)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Room to group in memory rather than sort on disk; no JIT compiling (100-250 ms a
        # query here) for queries that run once. Both last until this transaction ends.
        session.connection().exec_driver_sql("SET LOCAL work_mem = '64MB'")
        session.connection().exec_driver_sql("SET LOCAL jit = off")
    at = sa.literal(now, UTCDateTime())
    tallies = Tallies()
    _matters(session, tallies, period, by)
    _resolution(session, tallies, period, at, by)
    _response(session, tallies, period, at, by)
    _durations(session, tallies, period, at, dialect)
    _departments(session, tallies, period)
    if with_resolved:
        _resolved(session, tallies, period, at)
    return tallies


def _rows(session: Session, query: Any) -> list[Any]:
    return list(session.connection().execute(query).all())


def _matters(session: Session, tallies: Tallies, period: Period, by: GroupBy | None) -> None:
    """Matters received per month and codes, with their feedback and whistle tallies."""
    group = _matter_group(by)
    month = _month(period, M.c.created_at).label("month")
    keys = [month, M.c.category, M.c.colour, M.c.tier, M.c.channel]
    if group is not None:
        keys.append(group.label("grp"))

    def count_if(condition: ColumnElement[bool]) -> Any:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    query = (
        sa.select(
            *keys,
            sa.func.count(),
            sa.func.sum(M.c.people),
            count_if(M.c.feedback == Feedback.satisfied),
            sa.func.sum(M.c.reopen_count),
            count_if(M.c.feedback == Feedback.no_feedback),
            count_if(M.c.feedback == Feedback.anonymous),
            count_if(M.c.status != Status.received),
        )
        .where(_within(period, M.c.created_at))
        .group_by(*keys)
    )
    labels = [m.label for m in period.months()]
    referred: dict[tuple[str, str | None], int] = {}
    for row in _rows(session, query):
        index, category, colour, tier, channel = row[:5]
        label = labels[index]
        grp = row[5] if group is not None else None
        n, people, satisfied, unsatisfied, lapsed, anonymous, sent = row[-7:]
        tallies.matters.append(
            MatterCount(label, category, colour, tier, channel, grp, n, int(people or 0))
        )
        referred[(label, grp)] = referred.get((label, grp), 0) + int(sent)
        for outcome, count in (
            ("satisfied", satisfied),
            ("unsatisfied", unsatisfied),
            ("no_feedback", lapsed),
            ("anonymous", anonymous),
        ):
            if count:
                tallies.outcomes.append(
                    OutcomeCount("satisfaction", outcome, label, grp, int(count))
                )

    # 吹哨: of the referred matters, those with a co-handler (a semi-join on the co parts).
    co = sa.exists().where(A.c.matter_id == M.c.id, A.c.role == Role.co)
    keys = [month] + ([group.label("grp")] if group is not None else [])
    several = sa.select(*keys, sa.func.count()).where(
        _within(period, M.c.created_at), M.c.status != Status.received, co
    )
    with_co = {
        (labels[row[0]], row[1] if group is not None else None): int(row[-1])
        for row in _rows(session, several.group_by(*keys))
    }
    for (label, grp), total in referred.items():
        many = with_co.get((label, grp), 0)
        for outcome, count in (("several", many), ("single", total - many)):
            if count:
                tallies.outcomes.append(OutcomeCount("whistle", outcome, label, grp, count))


def _resolution(
    session: Session, tallies: Tallies, period: Period, at: Any, by: GroupBy | None
) -> None:
    """Matters received in the period by resolution outcome (models.stats.resolution)."""
    group = _matter_group(by)
    month = _month(period, M.c.created_at).label("month")
    done = A.c.finished_at
    outcome = sa.case(
        (
            sa.and_(A.c.status == AssignmentStatus.resolved, done.is_not(None), done <= at),
            sa.case((sa.or_(A.c.due.is_(None), done <= A.c.due), "in_time"), else_="late"),
        ),
        (sa.and_(A.c.due.is_not(None), A.c.due <= at), "late"),
        else_="pending",
    ).label("outcome")
    keys = [month, outcome] + ([group.label("grp")] if group is not None else [])
    live = sa.and_(A.c.matter_id == M.c.id, A.c.role == Role.lead, A.c.status.in_(LIVE_LEAD))
    query = (
        sa.select(*keys, sa.func.count())
        .select_from(M.join(A, live))
        .where(_within(period, M.c.created_at), M.c.status != Status.received)
        .group_by(*keys)
    )
    rows = _rows(session, query)

    # Returned matters wait for re-referral with no live lead: the latest deadline any lead had.
    inner_keys = [M.c.id, month] + ([group.label("grp")] if group is not None else [])
    waiting = (
        sa.select(*inner_keys, sa.func.max(A.c.due).label("due"))
        .select_from(M.join(A, sa.and_(A.c.matter_id == M.c.id, A.c.role == Role.lead)))
        .where(_within(period, M.c.created_at), M.c.status == Status.returned)
        .group_by(*inner_keys)
        .subquery()
    )
    late = sa.case(
        (sa.and_(waiting.c.due.is_not(None), waiting.c.due <= at), "late"), else_="pending"
    )
    outer = [waiting.c.month, late.label("outcome")]
    if group is not None:
        outer.append(waiting.c.grp)
    rows += _rows(session, sa.select(*outer, sa.func.count()).group_by(*outer))
    for row in rows:
        grp = row[2] if group is not None else None
        label = period.months()[row[0]].label
        tallies.outcomes.append(OutcomeCount("resolution", row[1], label, grp, row[-1]))


def _response(
    session: Session, tallies: Tallies, period: Period, at: Any, by: GroupBy | None
) -> None:
    """Parts assigned in the period by response outcome (models.stats.response)."""
    answered = sa.func.coalesce(
        A.c.acknowledged_at,
        sa.case((A.c.status == AssignmentStatus.returned, A.c.finished_at), else_=None),
    )
    withdrawn_early = sa.and_(
        A.c.status == AssignmentStatus.withdrawn,
        A.c.acknowledged_at.is_(None),
        sa.or_(A.c.ack_due.is_(None), A.c.finished_at.is_(None), A.c.finished_at <= A.c.ack_due),
    )
    has_answered = sa.and_(answered.is_not(None), answered <= at)
    outcome = sa.case(
        (withdrawn_early, "excluded"),
        (
            has_answered,
            sa.case(
                (sa.or_(A.c.ack_due.is_(None), answered <= A.c.ack_due), "in_time"), else_="late"
            ),
        ),
        (sa.and_(A.c.ack_due.is_not(None), A.c.ack_due <= at), "late"),
        else_="pending",
    ).label("outcome")
    month = _month(period, A.c.assigned_at).label("month")
    keys: list[Any] = [month, outcome]
    source: Any = A
    if by == "department":
        keys.append(A.c.department.label("grp"))
    elif by is not None:
        keys.append(M.c[by].label("grp"))
        source = A.join(M, M.c.id == A.c.matter_id)
    query = (
        sa.select(*keys, sa.func.count())
        .select_from(source)
        .where(_within(period, A.c.assigned_at))
        .group_by(*keys)
    )
    for row in _rows(session, query):
        grp = row[2] if by is not None else None
        label = period.months()[row[0]].label
        tallies.outcomes.append(OutcomeCount("response", row[1], label, grp, row[-1]))


def _durations(session: Session, tallies: Tallies, period: Period, at: Any, dialect: str) -> None:
    """Time to acknowledge (per part) and to resolve (per matter), counted per whole minute."""
    for kind, table, start, finish in (
        ("acknowledge", A, A.c.assigned_at, A.c.acknowledged_at),
        ("resolve", M, M.c.created_at, M.c.resolved_at),
    ):
        seconds = _seconds(dialect, finish, start)
        minute = _minute(dialect, seconds).label("minute")
        query = (
            sa.select(minute, sa.func.count(), sa.func.sum(seconds))
            .select_from(table)
            .where(_within(period, start), finish.is_not(None), finish <= at)
            .group_by(minute)
        )
        tallies.durations += [
            DurationBucket(kind, int(m), int(n), float(total))  # type: ignore[arg-type]
            for m, n, total in _rows(session, query)
        ]


def _departments(session: Session, tallies: Tallies, period: Period) -> None:
    """Per department: parts that reached urging (overdue), and parts returned."""
    overdue = (
        sa.select(A.c.department, sa.func.count(sa.distinct(A.c.id)))
        .select_from(A.join(S, S.c.assignment_id == A.c.id))
        .where(_within(period, A.c.assigned_at), S.c.level.in_(OVERDUE_LEVELS))
        .group_by(A.c.department)
    )
    returns = (
        sa.select(A.c.department, sa.func.count())
        .where(_within(period, A.c.assigned_at), A.c.status == AssignmentStatus.returned)
        .group_by(A.c.department)
    )
    for kind, query in (("overdue", overdue), ("returns", returns)):
        tallies.departments += [
            DepartmentCount(kind, department, n)  # type: ignore[arg-type]
            for department, n in _rows(session, query)
        ]


def _resolved(session: Session, tallies: Tallies, period: Period, at: Any) -> None:
    """Matters resolved in the period by month of resolution, codes and outcome (for figures)."""
    month = _month(period, M.c.resolved_at).label("month")
    keys = [month, M.c.category, M.c.channel, M.c.outcome]
    query = (
        sa.select(*keys, sa.func.count(), sa.func.sum(M.c.people))
        .where(_within(period, M.c.resolved_at), M.c.resolved_at <= at, M.c.outcome.is_not(None))
        .group_by(*keys)
    )
    labels = [m.label for m in period.months()]
    tallies.resolved += [
        ResolvedCount(labels[index], category, channel, outcome, n, int(people or 0))
        for index, category, channel, outcome, n, people in _rows(session, query)
    ]
