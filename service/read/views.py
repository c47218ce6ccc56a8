"""What a matter looks like to people: the `show` document and the supervisor's timeline artifact.

The artifact goes to the Prefect UI, so it carries no free text at all (titles, notes and reasons
may repeat a citizen's name): only codes, statuses, times and who acted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.grading import colour_label, tier_label
from models.status import ACTIVE_ASSIGNMENT, AssignmentStatus, Role, Status, label
from models.tables import Matter
from notifications.masking import mask_name, mask_phone
from service.actions import assignments_of, citizen_of, events_of, overdue_level
from service.app import App
from service.inputs import outcome_label
from service.notices.outbox import local_time
from service.read.labels import actor_name, area_name, level_label, step_detail, step_label


def _iso(moment: datetime | None, app: App) -> str | None:
    return moment.astimezone(app.calendar.zone).isoformat() if moment else None


def matter_document(session: Session, app: App, matter: Matter) -> dict[str, Any]:
    """The matter as `show --json` prints it; the citizen is masked."""
    config = app.config
    citizen = citizen_of(session, matter)
    assignments = assignments_of(session, matter)
    live = [a for a in assignments if a.status != AssignmentStatus.withdrawn]
    return {
        "number": matter.number,
        "status": matter.status,
        "status_label": label(matter.status, "status", app.language),
        "tier_label": tier_label(matter.tier, app.language),
        "colour": matter.colour,
        "colour_label": colour_label(matter.colour, app.language),
        "category": matter.category,
        "category_label": config.category_name(matter.category, app.language),
        "tier": matter.tier,
        "area": matter.area,
        "area_name": config.area_name(matter.area, app.language),
        "town": matter.town,
        "channel": matter.channel,
        "title": matter.title,
        "description": matter.description,
        "people": matter.people,
        "flags": matter.flags,
        "anonymous": matter.anonymous,
        "lat": matter.lat,
        "long": matter.long,
        "citizen": {"name": mask_name(citizen.name), "phone": mask_phone(citizen.phone)},
        "lead_department": matter.lead_department,
        "lead_name": config.department_name(matter.lead_department, app.language)
        if matter.lead_department
        else None,
        "co_departments": [
            a.department for a in live if a.role == Role.co and a.status in ACTIVE_ASSIGNMENT
        ],
        "assignments": [
            {
                "department": a.department,
                "department_name": config.department_name(a.department, app.language),
                "role": a.role,
                "role_label": label(a.role, "role", app.language),
                "status": a.status,
                "status_label": label(a.status, "assignment", app.language),
                "round": a.round,
                "assigned_at": _iso(a.assigned_at, app),
                "acknowledged_at": _iso(a.acknowledged_at, app),
                "ack_due": _iso(a.ack_due, app),
                "due": _iso(a.due, app),
                **_overdue(session, a.id, app.language),
            }
            for a in assignments
        ],
        "outcome": matter.outcome,
        "outcome_label": outcome_label(matter.outcome, app.language) if matter.outcome else None,
        "feedback": matter.feedback,
        "feedback_due": _iso(matter.feedback_due, app),
        "reopen_count": matter.reopen_count,
        "created_at": _iso(matter.created_at, app),
        "events": [
            {
                "at": _iso(e.at, app),
                "action": e.action,
                "action_label": step_label(e.action, app.language),
                "actor": e.actor,
                "actor_name": actor_name(config, e.actor, app.language),
                "department": e.department,
                "note": e.note,
                "data": e.data,
            }
            for e in events_of(session, matter)
        ],
    }


def _overdue(session: Session, part_id: int | None, language: str) -> dict[str, str | None]:
    level = overdue_level(session, part_id) if part_id is not None else None
    return {
        "overdue_level": level,
        "overdue_label": level_label(level, language) if level else None,
    }


def run_label(app: App, matter: Matter, stage: str) -> str:
    """A flow run's name: number · category · colour · stage, as a supervisor reads it."""
    config = app.config
    return " · ".join(
        [
            matter.number,
            config.category_name(matter.category, app.language),
            colour_label(matter.colour, app.language),
            stage,
        ]
    )


def run_tags(matter: Matter, stage: str | None = None, lead: str | None = None) -> list[str]:
    """Tags a supervisor filters runs by; codes only."""
    tags = [
        f"matter:{matter.number}",
        f"colour:{matter.colour}",
        f"tier:{matter.tier}",
        f"town:{matter.town}",
        f"category:{matter.category}",
    ]
    if stage:
        tags.append(f"stage:{stage}")
    if lead or matter.lead_department:
        tags.append(f"lead:{lead or matter.lead_department}")
    return tags


def timeline_markdown(session: Session, app: App, matter: Matter) -> str:
    """The matter's timeline for the Prefect UI: where it is, who holds it, what happened."""
    config, lang = app.config, app.language
    zh = lang == "zh"
    rows = [
        f"# {matter.number} · {config.category_name(matter.category, lang)}",
        "",
        f"- {'状态' if zh else 'Status'}: **{label(matter.status, 'status', lang)}**",
        f"- {'预警' if zh else 'Colour'}: {colour_label(matter.colour, lang)}",
        f"- {'层级' if zh else 'Tier'}: {tier_label(matter.tier, lang)} · "
        f"{area_name(config, matter.area, lang)}",
        f"- {'主办' if zh else 'Lead'}: "
        f"{config.department_name(matter.lead_department or '', lang) or '—'}",
    ]
    if matter.outcome:
        rows.append(f"- {'结果' if zh else 'Outcome'}: {outcome_label(matter.outcome, lang)}")
    if matter.feedback_due and matter.status == Status.resolved:
        rows.append(
            f"- {'回访截止' if zh else 'Feedback due'}: "
            f"{local_time(app, matter.feedback_due, lang)}"
        )
    head = (
        ("单位", "角色", "状态", "签收时限", "办结时限", "超时")
        if zh
        else ("Department", "Role", "Status", "Acknowledge by", "Due", "Overdue")
    )
    rows += [
        "",
        f"## {'承办单位' if zh else 'Departments'}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for a in assignments_of(session, matter):
        level = overdue_level(session, a.id) if a.id is not None else None
        rows.append(
            f"| {config.department_name(a.department, lang)} | {label(a.role, 'role', lang)} | "
            f"{label(a.status, 'assignment', lang)} | {local_time(app, a.ack_due, lang)} | "
            f"{local_time(app, a.due, lang)} | {level_label(level, lang) if level else '—'} |"
        )
    when = ("时间", "环节", "操作方", "说明") if zh else ("When", "Step", "By", "About")
    rows += [
        "",
        f"## {'时间线' if zh else 'Timeline'}",
        "",
        "| " + " | ".join(when) + " |",
        "|" + "---|" * len(when),
    ]
    for e in events_of(session, matter):
        rows.append(
            f"| {local_time(app, e.at, lang)} | {step_label(e.action, lang)} | "
            f"{actor_name(config, e.actor, lang)} | "
            f"{step_detail(config, e.action, e.data, lang) or '—'} |"
        )
    return "\n".join(rows) + "\n"
