"""The matter's Prefect run as it should look now, read from the store: its name, tags, state,
the steps not yet drawn on it, and its timeline artifact.

No Prefect here: the engine (engine/matter_runs.py) draws what this returns. Everything in it is
codes, labels and times, never free text: titles, notes and reasons may repeat a citizen's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.grading import colour_label
from models.ladder import Level, highest
from models.matter_run import RunState, run_state
from models.status import AssignmentStatus, Role, Status
from models.tables import Assignment, Event, Matter
from service.actions.escalation import clocks_of, taken
from service.app import App
from service.notices.outbox import local_time
from service.read.labels import actor_name, recipients_named, step_detail, step_label
from service.read.views import run_tags, timeline_markdown
from service.store.matters import assignments_of


@dataclass(frozen=True)
class Step:
    """One step to draw as a task run; `key` is stable, so drawing it twice makes one run."""

    key: str
    name: str
    last_event_id: int


@dataclass(frozen=True)
class RunPicture:
    matter_id: int
    number: str
    name: str
    tags: list[str]
    state: RunState
    state_name: str
    message: str
    steps: list[Step]
    artifact: str
    artifact_description: str
    last_event_id: int


def step_text(app: App, e: Event) -> str:
    """`12-20 10:00 · 督办 · 公安（签收时限）`, `11-26 09:00 · 分流交办 · 主办人社，协办公安`."""
    lang = app.language
    when = e.at.astimezone(app.calendar.zone).strftime("%m-%d %H:%M")
    who = "" if e.actor == "system" and not e.department else e.department or e.actor
    name = actor_name(app.config, who, lang) if who else ""
    detail = step_detail(app.config, e.action, e.data, lang)
    if name and detail:
        detail = f"{name}（{detail}）" if lang == "zh" else f"{name} ({detail})"
    return " · ".join(p for p in (when, step_label(e.action, lang), detail or name) if p)


def _steps(app: App, events: list[Event]) -> list[Step]:
    """Each event a step, except notices: the notices sent one after another are one step
    (`11-26 09:01 · 已通知 · 人社、司法`), keyed by the first of them."""
    steps: list[Step] = []
    batch: list[Event] = []

    def flush() -> None:
        if batch:
            recipients = list(dict.fromkeys(str(e.data.get("recipient", "")) for e in batch))
            first = step_text(app, batch[0]).rsplit(" · ", 1)[0]  # its time and step
            name = f"{first} · {recipients_named(app.config, recipients, app.language)}"
            steps.append(Step(f"event-{batch[0].id}", name, batch[-1].id or 0))
            batch.clear()

    for e in events:
        if e.action == "notified":
            batch.append(e)
            continue
        flush()
        steps.append(Step(f"event-{e.id}", step_text(app, e), e.id or 0))
    flush()
    return steps


def running_level(session: Session, parts: list[Assignment]) -> Level | None:
    """The furthest ladder step reached by a clock that is still running: what is overdue now
    (a step of a clock that has stopped, e.g. acknowledged late, no longer counts)."""
    levels: list[Level] = []
    for part in parts:
        running = {c.name for c in clocks_of(part)}
        if not running or part.id is None:
            continue
        for clock, done in taken(session, part.id).items():
            if clock in running:
                levels.extend(done)
    return highest(levels)


def _message(app: App, matter: Matter, parts: list[Assignment]) -> str:
    """Whom the matter waits for, and by when: the first thing a supervisor asks."""
    zh = app.language != "en"
    status = Status(matter.status)
    if status == Status.received:
        return "等待按规则分流" if zh else "waiting to be referred"
    if status == Status.returned:
        return "已退回中心，等待重新转办" if zh else "returned; waiting for the center to re-route"
    if status == Status.resolved:
        due = local_time(app, matter.feedback_due, app.language)
        return f"等待群众回访，截止 {due}" if zh else f"waiting for feedback until {due}"
    if status == Status.closed:
        return "已结案" if zh else "closed"
    waiting = [p for p in parts if p.status == AssignmentStatus.referred]
    if waiting:
        names = "、".join(actor_name(app.config, p.department, app.language) for p in waiting)
        dues = [p.ack_due for p in waiting if p.ack_due is not None]
        by = local_time(app, min(dues) if dues else None, app.language)
        if zh:
            return f"等待{names}签收，时限 {by}"
        return f"waiting for {names} to acknowledge by {by}"
    lead = next(
        (p for p in parts if p.role == Role.lead and p.department == matter.lead_department), None
    )
    due = local_time(app, lead.due if lead else None, app.language)
    name = actor_name(app.config, matter.lead_department, app.language)
    return f"{name}办理中，办结时限 {due}" if zh else f"{name} handling it, due {due}"


def picture(session: Session, app: App, matter: Matter, after_event_id: int) -> RunPicture:
    """The run as it should look now; `steps` are the events after `after_event_id`."""
    assert matter.id is not None
    parts = [p for p in assignments_of(session, matter) if p.status != AssignmentStatus.withdrawn]
    state = run_state(Status(matter.status), running_level(session, parts))
    events = list(
        session.exec(
            select(Event)
            .where(Event.matter_id == matter.id, col(Event.id) > after_event_id)
            .order_by(col(Event.id))
        ).all()
    )
    last = events[-1].id if events else after_event_id
    category = app.config.category_name(matter.category, app.language)
    name = " · ".join([matter.number, category, colour_label(matter.colour, app.language)])
    state_name = state.name(app.language)
    return RunPicture(
        matter_id=matter.id,
        number=matter.number,
        name=name,
        tags=run_tags(matter),
        state=state,
        state_name=state_name,
        message=_message(app, matter, parts),
        steps=_steps(app, events),
        artifact=timeline_markdown(session, app, matter),
        artifact_description=f"{matter.number} · {state_name}",
        last_event_id=last or 0,
    )
