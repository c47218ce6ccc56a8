"""The matter's Prefect run as it should look now, read from the store: its name, tags, state,
the steps not yet drawn on it, and its timeline artifact.

No Prefect here: the engine (engine/matter_runs.py) draws what this returns. Everything in it is
codes, labels and times, never free text: titles, notes and reasons may repeat a citizen's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.grading import colour_label
from models.ladder import LEVEL_LABELS, Level, highest
from models.matter_run import RunState, run_state
from models.status import Status
from models.tables import Assignment, Event, Matter
from service.actions.escalation import clocks_of, taken
from service.app import App
from service.notices.outbox import local_time
from service.read.views import run_tags, timeline_markdown
from service.store.matters import assignments_of

# A timeline action as a step of the run: (Chinese, English).
STEP_NAMES: dict[str, tuple[str, str]] = {
    "received": ("受理", "intake"),
    "referred": ("分流", "referral"),
    "acknowledged": ("签收", "acknowledged"),
    "progress": ("进展", "progress"),
    "returned": ("退回", "returned"),
    "reported": ("报送", "reported"),
    "resolved": ("办结", "resolved"),
    "reopened": ("重办", "reopened"),
    "closed": ("结案", "closed"),
    "notified": ("通知", "notices"),
    "extension_requested": ("申请延期", "extension requested"),
    "extension_approved": ("延期批准", "extension approved"),
    "extension_refused": ("延期不予批准", "extension refused"),
    "personal_data_erased": ("个人信息删除", "personal data erased"),
    "notice_resent": ("重发通知", "notice re-sent"),
    "circulated": ("通报", "circulated notice"),  # rows written before `circular`
    **{level.value: LEVEL_LABELS[level] for level in Level},
}


CLOCK_NAMES: dict[str, tuple[str, str]] = {
    "acknowledge": ("签收时限", "acknowledgement"),
    "resolve": ("办结时限", "resolution"),
    "report": ("报送时限", "report"),
    "first_response": ("首次响应时限", "first response"),
}


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


def step_name(app: App, action: str) -> str:
    zh, en = STEP_NAMES.get(action, (action, action))
    return en if app.language == "en" else zh


def _who(app: App, code: str | None) -> str:
    if not code:
        return ""
    if code in ("center", "citizen", "system"):
        names = {"center": ("中心", "center"), "citizen": ("群众", "citizen"), "system": ("", "")}
        return names[code][1 if app.language == "en" else 0]
    return app.config.department_name(code, app.language)


def _steps(app: App, events: list[Event]) -> list[Step]:
    """Each event a step, except notices: the notices sent one after another are one step
    ("通知 · 人社、司法"), keyed by the first of them."""
    steps: list[Step] = []
    sep = ", " if app.language == "en" else "、"
    batch: list[Event] = []

    def flush() -> None:
        if not batch:
            return
        names = list(dict.fromkeys(_who(app, e.data.get("recipient")) for e in batch))
        when = batch[0].at.astimezone(app.calendar.zone).strftime("%m-%d %H:%M")
        steps.append(
            Step(
                key=f"event-{batch[0].id}",
                name=f"{when} · {step_name(app, 'notified')} · {sep.join(n for n in names if n)}",
                last_event_id=batch[-1].id or 0,
            )
        )
        batch.clear()

    for e in events:
        if e.action == "notified":
            batch.append(e)
            continue
        flush()
        steps.append(Step(key=f"event-{e.id}", name=_step_text(app, e), last_event_id=e.id or 0))
    flush()
    return steps


def _step_text(app: App, e: Event) -> str:
    """`12-20 10:00 · 督办 · 人社（办结时限）`, `11-26 09:00 · 分流 · 主办人社，协办公安、司法`."""
    en = app.language == "en"
    when = e.at.astimezone(app.calendar.zone).strftime("%m-%d %H:%M")
    parts = [when, step_name(app, e.action)]
    if e.action == "referred" and e.data.get("lead"):
        lead = _who(app, str(e.data["lead"]))
        co = [_who(app, str(c)) for c in e.data.get("co") or []]
        if en:
            parts.append(f"lead {lead}" + (f", co-handling {', '.join(co)}" if co else ""))
        else:
            parts.append(f"主办{lead}" + (f"，协办{'、'.join(co)}" if co else ""))
    else:
        who = _who(app, e.department or e.actor)
        clock = CLOCK_NAMES.get(str(e.data.get("clock", "")))
        if who and clock:
            who += f" ({clock[1]})" if en else f"（{clock[0]}）"
        if who:
            parts.append(who)
    return " · ".join(parts)


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
    waiting = [p for p in parts if p.status == "referred"]
    if waiting:
        names = "、".join(_who(app, p.department) for p in waiting)
        dues = [p.ack_due for p in waiting if p.ack_due is not None]
        by = local_time(app, min(dues) if dues else None, app.language)
        if zh:
            return f"等待{names}签收，时限 {by}"
        return f"waiting for {names} to acknowledge by {by}"
    lead = next(
        (p for p in parts if p.role == "lead" and p.department == matter.lead_department), None
    )
    due = local_time(app, lead.due if lead else None, app.language)
    name = _who(app, matter.lead_department)
    return f"{name}办理中，办结时限 {due}" if zh else f"{name} handling it, due {due}"


def picture(session: Session, app: App, matter: Matter, after_event_id: int) -> RunPicture:
    """The run as it should look now; `steps` are the events after `after_event_id`."""
    assert matter.id is not None
    parts = [p for p in assignments_of(session, matter) if p.status != "withdrawn"]
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
