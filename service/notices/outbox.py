"""Writing notices to the outbox in the same transaction as the step that causes them.

The text is rendered here, once, so the store keeps exactly what each recipient was told.
The idempotency key (matter, step, kind, recipient) is unique: a step is recorded once, so its
notices are too, however often a flow that delivers them runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from messages.labels import LABELS
from models.deadlines import clock_windows, describe_duration
from models.durations import Duration
from models.grading import colour_label, tier_label
from models.status import ACTIVE_ASSIGNMENT, Role, label
from models.tables import Assignment, Citizen, Event, Matter, Notice
from notifications.kinds import NoticeKind
from notifications.masking import mask_name, mask_phone, redact
from notifications.render import as_html, render
from service.inputs import outcome_label
from service.notices.channels import channels_for
from service.notices.links import feedback_link, link_id, part_link
from service.store.matters import assignments_of

if TYPE_CHECKING:
    from service.app import App

CLOCK_LABELS = LABELS["clock"]  # the message catalogue's
CLOSING_LABELS = LABELS["closing"]
ANONYMOUS = LABELS["citizen"]["anonymous"]
NO_PHONE = LABELS["citizen"]["no_phone"]


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


ROLE_LABELS = LABELS["recipient_role"]


def recipient_name(app: App, recipient: str, language: str) -> str:
    """'hrss' → 人社; 'hrss/head' → 人社主要负责同志; 'center/leadership' → 中心领导."""
    code, _, role = recipient.partition("/")
    name = app.config.department_name(code, language)
    if not role:
        return name
    words = ROLE_LABELS.get(role, (role, role))
    return f"{name} {words[1]}" if language == "en" else f"{name}{words[0]}"


def recipient_language(app: App, recipient: str) -> str:
    """The language of the first channel serving the recipient, else the installation's."""
    served = channels_for(app.config, recipient)
    return served[0].language if served else app.language


def _unnamed(citizen: Citizen, language: str) -> dict[str, str]:
    """What a notice says for a name or phone the reporter did not leave (匿名)."""
    pick = 1 if language == "en" else 0
    words = {"citizen": ANONYMOUS[pick]} if not citizen.name.strip() else {}
    return words | ({"phone": NO_PHONE[pick]} if not citizen.phone.strip() else {})


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
        **_unnamed(citizen, language),
        "recipient": recipient_name(app, recipient, language),
        "lead": config.department_name(matter.lead_department or "", language),
        "co": [],
        "link": _link(app, matter, recipient, assignment),
        "feedback_link": extra.pop("feedback_link", app.feedback_link(matter.number)),
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
        "clock": "",
        "approved": False,
        "length": "",
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
    if extra.get("clock") == "acknowledge":  # the acknowledgement clock's own window
        context["due_window"] = context["ack_window"]
    if "clock" in extra:
        names = CLOCK_LABELS.get(extra.pop("clock"), ("", ""))
        context["clock"] = names[1] if language == "en" else names[0]
    if "due" in extra:  # a ladder step names the clock's own due time
        context["due"] = local_time(app, extra.pop("due"), language)
    if "approved" in extra:
        context["approved"] = bool(extra.pop("approved"))
    if "length" in extra:
        context["length"] = str(extra.pop("length"))
    for key in ("reason", "comment"):
        if key in extra:
            context[key] = scrub(str(extra.pop(key)))
    return context


def _link(app: App, matter: Matter, recipient: str, assignment: Assignment | None) -> str:
    """A department's own part gets its signed link (no password); everyone else the matter's
    page, behind the sign-in."""
    department = recipient.partition("/")[0]
    if assignment is not None and assignment.id is not None and assignment.department == department:
        return part_link(app, matter.number, assignment)
    return app.link(matter.number)


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
    link = None
    if kind is NoticeKind.feedback_request:  # the citizen's single-use answer link, unsigned
        extra.setdefault("feedback_link", feedback_link(app, matter))
        link = link_id(matter) if extra["feedback_link"] else None
    context = notice_context(
        app, matter, citizen, recipient=recipient, language=language, assignment=assignment, **extra
    )
    overrides = app.config.folder / "templates"
    text = render(kind, context, language=language, override_folder=overrides)
    notice = Notice(
        # The step's own hash names it before it is written (events are flushed with the step).
        key=f"{matter.number}:{(step.hash or '')[:24]}:{kind.value}:{recipient}",
        matter_id=matter.id,
        kind=kind.value,
        recipient=recipient,
        language=language,
        subject=text.subject,
        body=text.body,
        html=as_html(text, language=language, override_folder=overrides),
        created_at=step.at,
        link=link,  # signed only when sent (whistle/links.py)
    )
    session.add(notice)
    return notice


def enqueue_digest(
    session: Session, app: App, *, department: str, items: list[dict[str, Any]], now: datetime
) -> Notice | None:
    """Write one department's daily digest (once per local day); None when already written."""
    day = now.astimezone(app.calendar.zone).strftime("%Y%m%d")
    key = f"digest:{day}:{department}"
    if session.exec(select(Notice.id).where(Notice.key == key)).first() is not None:
        return None
    language = recipient_language(app, department)
    config = app.config

    def shown(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "number": item["number"],
            "category": config.category_name(item["category"], language),
            "colour": colour_label(item["colour"], language),
            "role": label(item["role"], "role", language),
            "due": local_time(app, item["due"], language),
            "overdue": item["due"] is not None and item["due"] <= now,
        }

    waiting = [shown(i) for i in items if i["status"] == "referred"]
    handling = [shown(i) for i in items if i["status"] != "referred"]
    context = {
        "recipient": config.department_name(department, language),
        "as_of": local_time(app, now, language),
        "waiting": waiting,
        "handling": handling,
        "overdue_count": sum(i["overdue"] for i in waiting + handling),
        "link": f"{app.settings.link_base.rstrip('/')}/queue",
    }
    overrides = config.folder / "templates"
    text = render(NoticeKind.digest, context, language=language, override_folder=overrides)
    notice = Notice(
        key=key,
        matter_id=None,
        kind=NoticeKind.digest.value,
        recipient=department,
        language=language,
        subject=text.subject,
        body=text.body,
        html=as_html(text, language=language, override_folder=overrides),
        created_at=now,
    )
    session.add(notice)
    return notice


def _co_departments(session: Session, matter: Matter) -> list[str]:
    session.flush()
    return [
        a.department
        for a in assignments_of(session, matter)
        if a.role == Role.co and a.status in ACTIVE_ASSIGNMENT
    ]
