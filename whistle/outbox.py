"""Writing notices to the outbox in the same transaction as the step that causes them.

The text is rendered here, once, so the store keeps exactly what each recipient was told.
The idempotency key (matter, step, kind, recipient) is unique: a step is recorded once, so its
notices are too, however often a flow that delivers them runs.
"""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from models.deadlines import clock_windows, describe_duration
from models.durations import Duration
from models.grading import colour_label, tier_label
from models.tables import Assignment, Citizen, Event, Matter, Notice
from notifications.kinds import NoticeKind
from notifications.masking import mask_name, mask_phone, redact
from notifications.render import render
from whistle.inputs import outcome_label

if TYPE_CHECKING:
    from whistle.app import App

CLOSING_LABELS = {
    "satisfied": ("反映人满意", "citizen satisfied"),
    "no_feedback": ("逾期未反馈", "no feedback in time"),
}


def local_time(app: App, moment: datetime | None, language: str) -> str:
    """A time as the recipient reads it: local clock, with the zone spelled out in English."""
    if moment is None:
        return ""
    local = moment.astimezone(app.calendar.zone)
    if language == "en":
        return local.strftime("%Y-%m-%d %H:%M") + f" ({app.config.timezone})"
    return local.strftime("%Y年%m月%d日 %H:%M")


def window_words(duration: Duration, language: str) -> str:
    """Spell out what a window means, so '3 working days' is not mistaken for clock days."""
    words = describe_duration(duration, language)
    if duration.unit != "working_days":
        return words
    if language == "en":
        return f"{words}, not counting the day of referral, weekends or public holidays"
    return f"{words}，不含交办当日，遇周末及法定节假日顺延"


def recipient_language(app: App, recipient: str) -> str:
    """The language of the first channel serving the recipient, else the installation's."""
    for channel in app.config.channels.channels:
        if any(fnmatchcase(recipient, pattern) for pattern in channel.to):
            return channel.language
    return app.language


def notice_context(
    app: App,
    matter: Matter,
    citizen: Citizen,
    *,
    recipient: str,
    language: str,
    assignment: Assignment | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything a template may show; a department sees the citizen masked."""
    config = app.config
    for_citizen = recipient == "citizen"

    def scrub(text: str) -> str:
        if for_citizen:
            return text
        return redact(text, name=citizen.name, phone=citizen.phone, id_number=citizen.id_number)

    area = config.area(matter.area)
    area_name = (area[3].name if area[3] else area[2].name) if language == "zh" else matter.area
    context: dict[str, Any] = {
        "number": matter.number,
        "category": config.category_name(matter.category, language),
        "colour": colour_label(matter.colour, language),
        "tier": tier_label(matter.tier, language),
        "area": area_name,
        "title": scrub(matter.title),
        "description": scrub(matter.description),
        "citizen": citizen.name if for_citizen else mask_name(citizen.name),
        "phone": citizen.phone if for_citizen else mask_phone(citizen.phone),
        "recipient": config.department_name(recipient, language),
        "lead": config.department_name(matter.lead_department or "", language),
        "co": [],
        "link": app.link(matter.number),
        "feedback_link": app.feedback_link(matter.number),
        "received_at": local_time(app, matter.created_at, language),
        "outcome": outcome_label(matter.outcome or "", language),
        "note": scrub(matter.outcome_note or ""),
        "feedback_due": local_time(app, matter.feedback_due, language),
        "ack_due": "",
        "due": "",
        "ack_window": "",
        "due_window": "",
        "reason": "",
        "comment": "",
        "department": "",
        "closing_reason": "",
    }
    if assignment is not None:
        ack, window = clock_windows(
            app.config.deadlines,
            colour=matter.colour,
            category=matter.category,
            role=assignment.role,
        )
        context.update(
            ack_due=local_time(app, assignment.ack_due, language),
            due=local_time(app, assignment.due, language),
            ack_window=window_words(ack, language),
            due_window=window_words(window, language),
        )
    if "co" in extra:
        context["co"] = [config.department_name(c, language) for c in extra.pop("co")]
    if "department" in extra:
        context["department"] = config.department_name(extra.pop("department"), language)
    if "closing" in extra:
        names = CLOSING_LABELS.get(extra.pop("closing"), ("", ""))
        context["closing_reason"] = names[1] if language == "en" else names[0]
    for key in ("reason", "comment"):
        if key in extra:
            context[key] = scrub(str(extra.pop(key)))
    return context


def enqueue(
    session: Session,
    app: App,
    matter: Matter,
    *,
    kind: NoticeKind,
    recipient: str,
    step: Event,
    assignment: Assignment | None = None,
    **extra: Any,
) -> Notice:
    """Render a notice for one recipient and add it to the outbox (the caller commits)."""
    citizen = session.get(Citizen, matter.citizen_id)
    assert citizen is not None
    language = recipient_language(app, recipient)
    if kind in (NoticeKind.referral, NoticeKind.co_handling):
        extra.setdefault("co", _co_departments(session, matter))
    context = notice_context(
        app, matter, citizen, recipient=recipient, language=language, assignment=assignment, **extra
    )
    text = render(kind, context, language=language, override_folder=app.config.folder / "templates")
    notice = Notice(
        key=f"{matter.number}:{step.id}:{kind.value}:{recipient}",
        matter_id=matter.id,  # type: ignore[arg-type]
        kind=kind.value,
        recipient=recipient,
        language=language,
        subject=text.subject,
        body=text.body,
        created_at=step.at,
    )
    session.add(notice)
    return notice


def _co_departments(session: Session, matter: Matter) -> list[str]:
    from whistle.service import assignments_of  # local: service imports this module

    session.flush()
    return [
        a.department
        for a in assignments_of(session, matter)
        if a.role == "co" and a.status in ("referred", "acknowledged", "reported")
    ]
