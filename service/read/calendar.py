"""What the working-day calendar says, year by year, and what it would change for running clocks.

Read-only: `whistle calendar` prints it, `whistle init` and the sweep's artifact repeat its
warnings, and the service (whistle/service/calendar.py) applies a recompute. A due time is
computed once, when its clock starts, on the calendar in force then; a later calendar changes
nothing already set unless `whistle calendar --recompute --apply` is run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from models.calendar import COVERAGE_LABELS, Coverage, Source, YearCoverage
from models.deadlines import clock_windows, depends_on_calendar, replayed_due
from models.durations import Duration
from models.ladder import Clock
from models.refusals import Code, Refused
from models.status import AssignmentStatus, ExtensionStatus
from models.tables import Assignment, Event, Extension, Matter
from service.actions.escalation import clocks_of
from service.app import App
from service.notices.outbox import CLOCK_LABELS

OPEN = ("referred", "in_progress", "returned")  # matters whose clocks the sweep watches
RUNNING = ("referred", "acknowledged")  # parts whose clocks can run
FIRST_YEAR, LAST_YEAR = 1900, 2999
# The part's stored due time behind each clock.
DUE_FIELD = {
    "acknowledge": "ack_due",
    "resolve": "due",
    "report": "due",
    "first_response": "first_response_due",
}
SOURCE_LABELS: dict[Source, tuple[str, str]] = {
    Source.district: ("本区 holidays.yaml", "the district's holidays.yaml"),
    Source.chinesecalendar: ("chinesecalendar 软件包", "the chinesecalendar package"),
    Source.holidays: ("holidays 软件包", "the holidays package"),
    Source.none: ("无", "none"),
}


def _pick(labels: tuple[str, str], language: str) -> str:
    return labels[1] if language == "en" else labels[0]


# --- the years -----------------------------------------------------------------------------------


def default_years(app: App, now: datetime) -> list[int]:
    """This year and next, in the district's time zone."""
    this = now.astimezone(app.calendar.zone).year
    return [this, this + 1]


def check_year(app: App, year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Refused(
            Code.year_out_of_range, field="year", value=year, first=FIRST_YEAR, last=LAST_YEAR
        )
    return year


def year_document(app: App, year: int) -> dict[str, Any]:
    """One year: its source and coverage, the days in force, the working days per month."""
    lang, cal = app.language, app.calendar
    covered = cal.coverage(year)
    days = cal.year_days(year)

    def listed(working: bool) -> list[dict[str, Any]]:
        return [
            {
                "date": d.day.isoformat(),
                "name": d.name_en or d.name if lang == "en" else d.name,
                "source": d.source.value if d.source else "district",
            }
            for d in days
            if d.working is working
        ]

    return {
        "year": year,
        "coverage": covered.coverage.value,
        "coverage_label": _pick(COVERAGE_LABELS[covered.coverage], lang),
        "source": covered.source.value,
        "source_label": _pick(SOURCE_LABELS[covered.source], lang),
        "notice": covered.notice,
        "published": covered.published.isoformat() if covered.published else None,
        "holidays": listed(False),
        "makeup_days": listed(True),
        "working_days": [
            {"month": month, "days": count}
            for month, count in enumerate(cal.working_days_per_month(year), start=1)
        ],
        "warning": None if covered.coverage is Coverage.official else year_advice(app, covered),
    }


def calendar_document(app: App, years: Iterable[int]) -> dict[str, Any]:
    return {
        "timezone": app.config.timezone,
        "years": [year_document(app, check_year(app, y)) for y in years],
    }


def year_advice(app: App, covered: YearCoverage, clocks: int | None = None) -> str:
    """What is missing from a year and how to add it; with `clocks`, how many it affects."""
    year, path = covered.year, app.config.folder / "holidays.yaml"
    if app.language == "en":
        what = (
            "only the statutory holidays are known, not the make-up working days (调休)"
            if covered.coverage is Coverage.statutory
            else "no holidays are known: Monday to Friday are counted as working days"
        )
        due = f"; {clocks} running clock(s) fall due in {year}" if clocks else ""
        return (
            f"the working-day calendar of {year} is not complete ({what}){due}. Update "
            f"chinesecalendar, or add {year}'s official schedule (days off and make-up working "
            f"days) under years: in {path}"
        )
    what = (
        "仅有法定节假日，缺国务院调休安排"
        if covered.coverage is Coverage.statutory
        else "没有任何节假日数据，按周一至周五计工作日"
    )
    due = f"，有{clocks}个在办时限的截止日落在{year}年" if clocks else ""
    return (
        f"{year}年工作日历不完整（{what}）{due}。请升级 chinesecalendar，或在 {path} 的 "
        f"years 下补充{year}年的官方放假安排（放假日与调休上班日）"
    )


def render_years(document: dict[str, Any], language: str) -> str:
    """The calendar document as text for a terminal."""
    en = language == "en"
    colon = ": " if en else "："
    lines: list[str] = []
    for y in document["years"]:
        if en:
            lines.append(f"{y['year']}: {y['coverage_label']} (from {y['source_label']})")
        else:
            lines.append(f"{y['year']}年：{y['coverage_label']}（来源：{y['source_label']}）")
        if y["notice"]:
            lines.append(
                f"  {_pick(('通知', 'notice'), language)}{colon}{y['notice']} ({y['published']})"
            )
        for key, title in (
            ("holidays", ("放假", "days off")),
            ("makeup_days", ("调休上班", "make-up working days")),
        ):
            if y[key]:
                lines.append(f"  {_pick(title, language)}{colon.rstrip()}")
                lines += [f"    {e['date']}  {e['name']}" for e in y[key]]
        counts = "  ".join(
            f"{w['month']}{'' if en else '月'}:{w['days']}" for w in y["working_days"]
        )
        lines.append(
            f"  {_pick(('每月工作日', 'working days per month'), language)}{colon}{counts}"
        )
        if y["warning"]:
            lines.append(f"  {_pick(('注意', 'warning'), language)}{colon}{y['warning']}")
    return "\n".join(lines)


# --- running clocks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One running clock whose due time the calendar in force now would set differently."""

    number: str
    part_id: int
    department: str
    role: str
    clock: str
    window: str
    start: datetime
    due_from: datetime
    due_to: datetime


def running_parts(session: Session, matter_ids: Iterable[int] | None = None) -> list[Assignment]:
    """Parts that can have a running clock, of open matters, in id order."""
    query = (
        select(Assignment)
        .join(Matter, col(Matter.id) == Assignment.matter_id)
        .where(col(Assignment.status).in_(RUNNING), col(Matter.status).in_(OPEN))
        .order_by(col(Assignment.id))
    )
    if matter_ids is not None:
        query = query.where(col(Assignment.matter_id).in_(list(matter_ids)))
    return list(session.exec(query).all())


def colour_at(events: list[Event], moment: datetime, colour: str) -> str:
    """The matter's colour at `moment`: supervision (督办) raises it one step after that, and
    records the colour it raised from."""
    for event in events:
        if event.action == "supervision" and event.at > moment and event.data.get("colour_from"):
            return str(event.data["colour_from"])
    return colour


def changes_of(session: Session, app: App, matter: Matter, parts: list[Assignment]) -> list[Change]:
    """The running clocks of one matter's parts whose due time the calendar now moves.

    Each is recomputed as it was set: from the clock's start, with the window of the colour the
    matter had then, and each extension approved since counted on from the due time before it.
    Clocks counted in clock time (minutes, hours, days) never depend on the calendar.
    """
    events = list(
        session.exec(select(Event).where(Event.matter_id == matter.id).order_by(col(Event.id)))
    )
    found: list[Change] = []
    for part in parts:
        assert part.id is not None
        for clock in clocks_of(part):
            colour = colour_at(events, clock.start, matter.colour)
            window, extensions = _window(session, app, matter, part, clock, colour)
            if window is None or not depends_on_calendar(window, extensions):
                continue
            due = replayed_due(clock.start, window, extensions, app.calendar)
            if due != clock.due:
                found.append(
                    Change(
                        number=matter.number,
                        part_id=part.id,
                        department=part.department,
                        role=part.role,
                        clock=clock.name,
                        window=" + ".join(str(d) for d in (window, *extensions)),
                        start=clock.start,
                        due_from=clock.due,
                        due_to=due,
                    )
                )
    return found


def _window(
    session: Session, app: App, matter: Matter, part: Assignment, clock: Clock, colour: str
) -> tuple[Duration | None, list[Duration]]:
    """The window a clock was opened with and the extensions approved on it since."""
    deadlines = app.config.deadlines
    if clock.name == "first_response":
        return deadlines.first_response.get(colour), []  # type: ignore[call-overload]
    ack, window = clock_windows(deadlines, colour=colour, category=matter.category, role=part.role)
    if clock.name == "acknowledge":
        return ack, []
    approved = session.exec(
        select(Extension)
        .where(
            Extension.assignment_id == part.id,
            Extension.status == ExtensionStatus.approved,
            col(Extension.decided_at) >= clock.start,
        )
        .order_by(col(Extension.decided_at), col(Extension.id))
    ).all()
    return window, [Duration.parse(e.length) for e in approved]


def recompute(session: Session, app: App) -> list[Change]:
    """Every running clock the calendar in force now would set differently (nothing written)."""
    parts = running_parts(session)
    by_matter: dict[int, list[Assignment]] = {}
    for part in parts:
        by_matter.setdefault(part.matter_id, []).append(part)
    matters = session.exec(select(Matter).where(col(Matter.id).in_(list(by_matter)))).all()
    changes: list[Change] = []
    for matter in sorted(matters, key=lambda m: m.number):
        assert matter.id is not None
        changes += changes_of(session, app, matter, by_matter[matter.id])
    return changes


def recompute_document(app: App, changes: list[Change], *, applied: bool) -> dict[str, Any]:
    zone, lang = app.calendar.zone, app.language
    return {
        "applied": applied,
        "matters": len({c.number for c in changes}),
        "changes": [
            {
                "number": c.number,
                "department": c.department,
                "role": c.role,
                "clock": c.clock,
                "clock_label": _pick(CLOCK_LABELS[c.clock], lang),
                "window": c.window,
                "start": c.start.astimezone(zone).isoformat(),
                "due_from": c.due_from.astimezone(zone).isoformat(),
                "due_to": c.due_to.astimezone(zone).isoformat(),
            }
            for c in changes
        ],
    }


def render_changes(document: dict[str, Any], language: str) -> str:
    en, changes = language == "en", document["changes"]
    if not changes:
        return (
            "every running clock already has the due time the calendar in force gives it"
            if en
            else "所有在办时限与现行日历一致，无需调整"
        )
    if document["applied"]:
        head = (
            f"{len(changes)} due time(s) of {document['matters']} matter(s) moved, each recorded "
            "on its timeline:"
            if en
            else f"已调整{document['matters']}件事项的{len(changes)}个时限，并记入各事项时间线："
        )
    else:
        head = (
            f"on the calendar in force, {len(changes)} due time(s) of {document['matters']} "
            "matter(s) would move (run again with --apply to move them):"
            if en
            else f"按现行日历，{document['matters']}件事项的{len(changes)}个时限将改变"
            "（加 --apply 执行）："
        )
    rows = [
        f"  {c['number']}  {c['department']}  {c['clock_label']} ({c['window']})  "
        f"{c['due_from'][:16].replace('T', ' ')} → {c['due_to'][:16].replace('T', ' ')}"
        for c in changes
    ]
    return "\n".join([head, *rows])


# --- years the running clocks reach -------------------------------------------------------------


@dataclass(frozen=True)
class UncoveredYear:
    coverage: YearCoverage
    clocks: int


def _running(column: Any, *more: Any) -> Any:
    """A running clock's due time in `column`, as `running_clocks` decides it, in SQL."""
    return and_(col(Assignment.clock_start).is_not(None), column.is_not(None), *more)


# Each clock's due-time column and the part statuses in which it runs (see models/ladder.py).
CLOCK_COLUMNS = (
    (col(Assignment.ack_due), (col(Assignment.status) == AssignmentStatus.referred,)),
    (col(Assignment.due), ()),
    (col(Assignment.first_response_due), (col(Assignment.first_response_at).is_(None),)),
)
HORIZON = 2  # years ahead: no window with its extensions runs longer than a year


def uncovered_years(session: Session, app: App, now: datetime) -> list[UncoveredYear]:
    """Years from last year to two years ahead, not fully covered (no official 调休), in which
    running clocks fall due, with how many.

    One aggregate query over the running parts, a count per clock column and year, so the sweep
    that publishes it reads no rows into memory however many matters are open.
    """
    cal, zone = app.calendar, app.calendar.zone
    this = now.astimezone(zone).year
    years = [
        covered
        for year in range(this - 1, this + HORIZON + 1)
        if (covered := cal.coverage(year)).coverage is not Coverage.official
    ]
    if not years:
        return []
    counts = []
    for covered in years:
        start = datetime(covered.year, 1, 1, tzinfo=zone)
        end = datetime(covered.year + 1, 1, 1, tzinfo=zone)
        for column, more in CLOCK_COLUMNS:
            inside = _running(column, column >= start, column < end, *more)
            counts.append(func.coalesce(func.sum(case((inside, 1), else_=0)), 0))
    row = session.exec(
        select(*counts)
        .select_from(Assignment)
        .join(Matter, col(Matter.id) == Assignment.matter_id)
        .where(col(Assignment.status).in_(RUNNING), col(Matter.status).in_(OPEN))
    ).one()
    per_year = len(CLOCK_COLUMNS)
    found = [
        UncoveredYear(covered, sum(int(n) for n in row[i * per_year : (i + 1) * per_year]))
        for i, covered in enumerate(years)
    ]
    return [u for u in found if u.clocks]


def clock_warnings(session: Session, app: App, now: datetime) -> list[str]:
    """One line per year that running clocks reach and the calendar does not fully cover."""
    return [year_advice(app, u.coverage, u.clocks) for u in uncovered_years(session, app, now)]


__all__ = [
    "Change",
    "UncoveredYear",
    "calendar_document",
    "changes_of",
    "clock_warnings",
    "default_years",
    "recompute",
    "recompute_document",
    "render_changes",
    "render_years",
    "running_parts",
    "uncovered_years",
]
