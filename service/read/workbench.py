"""What the workbench pages list: a department's queue, the center's to-do lists, the
leadership board. Read-only queries; the pages (web/) word and lay them out.

A department's queue holds only its own parts, as the API's does (api/views.py). Titles are
shown as the lead sees them only to the lead; everyone else gets them with the citizen's
details redacted, as in the API.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.ladder import Level, highest
from models.status import (
    ACTIVE_ASSIGNMENT,
    ASSIGNMENT_TRANSITIONS,
    MATTER_TRANSITIONS,
    Action,
    AssignmentStatus,
    ExtensionStatus,
    NoticeStatus,
    Role,
    Status,
)
from models.tables import Assignment, Citizen, Extension, LadderStep, Matter, MatterRun, Notice
from notifications.masking import redact
from service.app import App
from service.store.matters import assignments_of

RUNNING = ("referred", "acknowledged")
FINISHED = ("returned", "resolved", "reported", "withdrawn")
OPEN = ("received", "referred", "in_progress", "returned", "resolved")
GROUPS = ("overdue", "due_soon", "waiting", "handling", "history")
COLOURS = ("red", "orange", "yellow", "green")


@dataclass(frozen=True)
class QueueEntry:
    """One part of the department's, as its queue shows it."""

    number: str
    title: str
    category: str
    colour: str
    matter_status: str
    role: str
    part_status: str
    clock: str | None  # acknowledge or resolve/report: which deadline `due` is
    due: datetime | None
    level: str | None  # the furthest escalation step reached (reminder … circular)
    group: str
    finished_at: datetime | None = None


@dataclass(frozen=True)
class DepartmentQueue:
    department: str
    as_of: datetime
    entries: list[QueueEntry]
    counts: dict[str, int]


def levels_of(session: Session, part_ids: list[int]) -> dict[int, str]:
    """The furthest ladder step of each part that has one."""
    if not part_ids:
        return {}
    rows = session.exec(
        select(LadderStep.assignment_id, LadderStep.level).where(
            col(LadderStep.assignment_id).in_(part_ids)
        )
    ).all()
    reached: dict[int, set[Level]] = {}
    for part_id, level in rows:
        reached.setdefault(part_id, set()).add(Level(level))
    found = {part_id: highest(levels) for part_id, levels in reached.items()}
    return {part_id: level.value for part_id, level in found.items() if level is not None}


def _citizens(session: Session, ids: set[int]) -> dict[int, Citizen]:
    if not ids:
        return {}
    rows = session.exec(select(Citizen).where(col(Citizen.id).in_(ids))).all()
    return {c.id: c for c in rows if c.id is not None}


def department_queue(
    session: Session,
    app: App,
    department: str,
    *,
    now: datetime,
    within: timedelta = timedelta(hours=24),
    history: int = 50,
) -> DepartmentQueue:
    """The department's running parts (overdue, due soon, to acknowledge, in hand) and its
    latest finished ones (returned, resolved, reported, withdrawn)."""
    rows = list(
        session.exec(
            select(Assignment, Matter)
            .join(Matter, col(Matter.id) == Assignment.matter_id)
            .where(Assignment.department == department, col(Assignment.status).in_(RUNNING))
            .order_by(col(Assignment.id))
        ).all()
    )
    rows += list(
        session.exec(
            select(Assignment, Matter)
            .join(Matter, col(Matter.id) == Assignment.matter_id)
            .where(Assignment.department == department, col(Assignment.status).in_(FINISHED))
            .order_by(col(Assignment.finished_at).desc(), col(Assignment.id).desc())
            .limit(history)
        ).all()
    )
    levels = levels_of(session, [p.id for p, _ in rows if p.id is not None])
    citizens = _citizens(session, {m.citizen_id for _, m in rows})
    entries = []
    for part, matter in rows:
        title = matter.title
        if matter.lead_department != department:
            citizen = citizens[matter.citizen_id]
            title = redact(
                title, name=citizen.name, phone=citizen.phone, id_number=citizen.id_number
            )
        running = part.status in RUNNING and matter.status in OPEN
        clock = "resolve" if part.role == Role.lead else "report"
        clock = "acknowledge" if part.status == AssignmentStatus.referred else clock
        due = part.ack_due if part.status == AssignmentStatus.referred else part.due
        if not running:
            group = "history"
        elif due is not None and due <= now:
            group = "overdue"
        elif due is not None and due <= now + within:
            group = "due_soon"
        else:
            group = "waiting" if part.status == AssignmentStatus.referred else "handling"
        entries.append(
            QueueEntry(
                number=matter.number,
                title=title,
                category=matter.category,
                colour=matter.colour,
                matter_status=matter.status,
                role=part.role,
                part_status=part.status,
                clock=clock if running else None,
                due=due if running else None,
                level=levels.get(part.id or 0) if running else None,
                group=group,
                finished_at=part.finished_at,
            )
        )
    far = now + timedelta(days=36500)
    entries.sort(
        key=lambda e: (
            (GROUPS.index(e.group), e.due or far)
            if e.group != "history"
            else (GROUPS.index(e.group), -(e.finished_at or now).timestamp())
        )
    )
    counts = Counter(e.group for e in entries)
    return DepartmentQueue(department, now, entries, {g: counts.get(g, 0) for g in GROUPS})


# --- the center --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensionRequest:
    number: str
    department: str
    length: str
    reason: str
    requested_at: datetime
    due: datetime | None


@dataclass(frozen=True)
class DeadNotice:
    id: int
    number: str | None
    kind: str
    recipient: str
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class CenterLists:
    to_route: list[Matter]
    extensions: list[ExtensionRequest]
    dead: list[DeadNotice]


def center_lists(session: Session, *, limit: int = 200) -> CenterLists:
    """What waits for the center: matters to route (never referred, or returned by their lead),
    extension requests to decide, notices given up on."""
    to_route = session.exec(
        select(Matter)
        .where(col(Matter.status).in_(["received", "returned"]))
        .order_by(col(Matter.created_at))
        .limit(limit)
    ).all()
    extensions = [
        ExtensionRequest(m.number, a.department, e.length, e.reason, e.requested_at, a.due)
        for e, a, m in session.exec(
            select(Extension, Assignment, Matter)
            .join(Assignment, col(Assignment.id) == Extension.assignment_id)
            .join(Matter, col(Matter.id) == Assignment.matter_id)
            .where(Extension.status == ExtensionStatus.pending)
            .order_by(col(Extension.requested_at))
            .limit(limit)
        ).all()
    ]
    dead = [
        DeadNotice(n.id or 0, number, n.kind, n.recipient, n.attempts, n.last_error, n.created_at)
        for n, number in session.exec(
            select(Notice, Matter.number)
            .join(Matter, col(Matter.id) == Notice.matter_id, isouter=True)
            .where(Notice.status == NoticeStatus.dead)
            .order_by(col(Notice.id))
            .limit(limit)
        ).all()
    ]
    return CenterLists(list(to_route), extensions, dead)


# --- the leadership board ----------------------------------------------------------------------


@dataclass(frozen=True)
class BoardMatter:
    number: str
    colour: str
    status: str
    category: str
    town: str
    lead: str | None
    level: str | None
    flow_run_id: str | None


@dataclass
class Board:
    as_of: datetime
    colours: dict[str, int] = field(default_factory=dict)
    by_town: dict[str, dict[str, int]] = field(default_factory=dict)
    by_department: dict[str, dict[str, int]] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    # (matter, department, level): each live part that reached a step, the furthest first
    overdue: list[tuple[BoardMatter, str, str]] = field(default_factory=list)
    open: list[BoardMatter] = field(default_factory=list)
    closed: list[BoardMatter] = field(default_factory=list)


def board(session: Session, *, now: datetime, since: datetime, limit: int = 300) -> Board:
    """Open matters by colour, town and lead department; the live parts at each escalation
    level; the matters closed since `since` (the start of the month)."""
    rows = session.exec(
        select(Matter, MatterRun.flow_run_id)
        .join(MatterRun, col(MatterRun.matter_id) == Matter.id, isouter=True)
        .where(col(Matter.status).in_(OPEN))
        .order_by(col(Matter.created_at).desc())
    ).all()
    parts = session.exec(
        select(Assignment)
        .join(Matter, col(Matter.id) == Assignment.matter_id)
        .where(col(Matter.status).in_(OPEN), col(Assignment.status).in_(RUNNING))
    ).all()
    levels = levels_of(session, [p.id for p in parts if p.id is not None])
    worst: dict[int, str] = {}
    order = [level.value for level in Level]
    for part in parts:
        level = levels.get(part.id or 0)
        if level and order.index(level) >= order.index(worst.get(part.matter_id, level)):
            worst[part.matter_id] = level
    shown = {}
    result = Board(as_of=now)
    result.colours = dict.fromkeys(COLOURS, 0)
    for matter, run_id in rows:
        assert matter.id is not None
        item = BoardMatter(
            matter.number,
            matter.colour,
            matter.status,
            matter.category,
            matter.town,
            matter.lead_department,
            worst.get(matter.id),
            run_id,
        )
        shown[matter.id] = item
        result.colours[matter.colour] = result.colours.get(matter.colour, 0) + 1
        town = result.by_town.setdefault(matter.town, dict.fromkeys(COLOURS, 0))
        town[matter.colour] = town.get(matter.colour, 0) + 1
        lead = result.by_department.setdefault(
            matter.lead_department or "", dict.fromkeys(COLOURS, 0)
        )
        lead[matter.colour] = lead.get(matter.colour, 0) + 1
    result.open = list(shown.values())[:limit]
    result.levels = dict.fromkeys(order, 0)
    for part in parts:
        level = levels.get(part.id or 0)
        if level and part.matter_id in shown:
            result.levels[level] += 1
            result.overdue.append((shown[part.matter_id], part.department, level))
    result.overdue.sort(key=lambda entry: -order.index(entry[2]))
    result.overdue = result.overdue[:limit]
    closed = session.exec(
        select(Matter, MatterRun.flow_run_id)
        .join(MatterRun, col(MatterRun.matter_id) == Matter.id, isouter=True)
        .where(Matter.status == Status.closed, col(Matter.closed_at) >= since)
        .order_by(col(Matter.closed_at).desc())
        .limit(limit)
    ).all()
    result.closed = [
        BoardMatter(m.number, m.colour, m.status, m.category, m.town, m.lead_department, None, r)
        for m, r in closed
    ]
    return result


# --- what a department may do now ----------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """The actions the department's part allows now, as the service layer would take them, and
    why resolving waits (co-handlers still to report)."""

    actions: list[str]
    waiting_for: list[str]
    extension_pending: bool


def allowed_actions(session: Session, app: App, matter: Matter, department: str) -> Allowed:
    """Exactly the actions the state machines and the service's own checks allow the
    department now (api/ and web/ refuse anything else the same way)."""
    parts = assignments_of(session, matter)
    live = [
        p
        for p in parts
        if p.department == department and p.status in ACTIVE_ASSIGNMENT | {"resolved"}
    ]
    if not live or matter.status == Status.closed:
        return Allowed([], [], False)
    part = live[-1]
    status, state = AssignmentStatus(part.status), Status(matter.status)

    def moves(action: Action) -> bool:
        return (status, action) in ASSIGNMENT_TRANSITIONS

    found: list[str] = []
    if moves(Action.acknowledge):
        found.append("acknowledge")
    if moves(Action.progress) and state in (Status.referred, Status.in_progress):
        found.append("progress")
    if part.role == Role.co and moves(Action.report):
        found.append("report")
    waiting = [
        p.department
        for p in parts
        if p.role == Role.co
        and p.status in (AssignmentStatus.referred, AssignmentStatus.acknowledged)
    ]
    resolvable = moves(Action.resolve) and (state, Action.resolve) in MATTER_TRANSITIONS
    if part.role == Role.lead and resolvable and not waiting:
        found.append("resolve")
    lead_moves = part.role != Role.lead or (state, Action.return_) in MATTER_TRANSITIONS
    if moves(Action.return_) and lead_moves:
        found.append("return")
    assert part.id is not None
    pending = (
        session.exec(
            select(Extension.id).where(
                Extension.assignment_id == part.id, Extension.status == ExtensionStatus.pending
            )
        ).first()
        is not None
    )
    limits = app.config.deadlines.categories.get(matter.category)
    used = len(
        session.exec(
            select(Extension.id).where(
                Extension.assignment_id == part.id, Extension.status == ExtensionStatus.approved
            )
        ).all()
    )
    capped = limits is not None and limits.max_extensions is not None
    spent = capped and limits is not None and used >= (limits.max_extensions or 0)
    if status in RUNNING and part.due is not None and not pending and not spent:
        found.append("extension")
    shown_waiting = waiting if part.role == Role.lead and resolvable else []
    return Allowed(found, shown_waiting, pending)
