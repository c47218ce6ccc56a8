"""Names and labels as people read them, for anything shown (tables, artifacts, run names).

One place that turns codes into words: departments, areas and categories by the district's
names; steps, actors, statuses, roles, levels, colours and tiers by the message catalogue
(messages/labels.py). Pure lookups; no store, no Prefect.
"""

from __future__ import annotations

from typing import Any

from messages import label
from models.config import DistrictConfig

SYSTEM_ACTORS = ("center", "system", "citizen")


def department_name(config: DistrictConfig, code: str | None, language: str = "zh") -> str:
    """'hrss' → 人社 (an unknown code as it is; none → '')."""
    return config.department_name(code, language) if code else ""


def area_name(config: DistrictConfig, code: str | None, language: str = "zh") -> str:
    """'T02V01' → 文苑社区."""
    return config.area_name(code, language) if code else ""


def category_name(config: DistrictConfig, code: str | None, language: str = "zh") -> str:
    """'wage_arrears' → 拖欠工资."""
    return config.category_name(code, language) if code else ""


def coded(name: str, code: str) -> str:
    """'T02V01 文苑社区': the code a system accepts with the name a person recognises."""
    return code if not name or name == code else f"{code} {name}"


def actor_name(config: DistrictConfig, actor: str | None, language: str = "zh") -> str:
    """Who acted, by name: a department's name, or 区社会治理中心 / 系统 / 反映人."""
    if not actor:
        return ""
    if actor in SYSTEM_ACTORS:
        return label("actor", actor, language)
    return config.department_name(actor, language)


def recipients_named(config: DistrictConfig, recipients: list[str], language: str = "zh") -> str:
    """Who a notice went to, by name ('hrss/head' → 人社主要负责同志), joined."""
    names = []
    for recipient in recipients:
        code, _, role = recipient.partition("/")
        name = actor_name(config, code, language)
        if role:
            name += (" " if language == "en" else "") + label("recipient_role", role, language)
        names.append(name)
    return ("、" if language == "zh" else ", ").join(names)


def step_label(action: str, language: str = "zh") -> str:
    """A timeline step: 'received' → 受理, 'urging' → 催办."""
    return label("step", action, language)


def action_label(action: str, language: str = "zh") -> str:
    """What someone asks to do: 'acknowledge' → 签收."""
    return label("action", action, language)


def level_label(level: str, language: str = "zh") -> str:
    """An escalation level: 提醒, 催办, 督办, 通报."""
    return label("level", level, language)


def status_label(status: str, language: str = "zh") -> str:
    """A matter's status: 'in_progress' → 办理中."""
    return label("status", status, language)


def part_status_label(status: str, language: str = "zh") -> str:
    """A department's part: 'referred' → 待签收."""
    return label("assignment", status, language)


def role_label(role: str, language: str = "zh") -> str:
    return label("role", role, language)


def colour_label(colour: str, language: str = "zh") -> str:
    return label("colour", colour, language)


def tier_label(tier: str, language: str = "zh") -> str:
    return label("tier", tier, language)


def outcome_label(outcome: str, language: str = "zh") -> str:
    return label("outcome", outcome, language)


def stage_label(stage: str, language: str = "zh") -> str:
    """A stage flow: 'handling' → 办理."""
    return label("stage", stage, language)


def clock_label(clock: str, language: str = "zh") -> str:
    """Which deadline a step is about: 'acknowledge' → 签收时限."""
    name = label("clock", clock, language)
    return f"{name}时限" if language == "zh" else f"{name} deadline"


def step_detail(
    config: DistrictConfig, action: str, data: dict[str, Any], language: str = "zh"
) -> str:
    """What a timeline step concerned, from its codes only (never its note): whom a referral
    summoned, whom a notice reached, which deadline a ladder step is about, how it ended."""
    zh = language == "zh"
    sep = "、" if zh else ", "
    if action == "referred" and data.get("lead"):
        lead = actor_name(config, str(data["lead"]), language)
        co = sep.join(actor_name(config, str(c), language) for c in data.get("co") or [])
        if zh:
            return f"主办{lead}" + (f"，协办{co}" if co else "")
        return f"lead {lead}" + (f", co-handling {co}" if co else "")
    if action in ("notified", "notice_resent") and data.get("recipient"):
        return recipients_named(config, [str(data["recipient"])], language)
    if data.get("clock") and data.get("level"):
        return clock_label(str(data["clock"]), language)
    if action == "resolved" and data.get("outcome"):
        return outcome_label(str(data["outcome"]), language)
    if action == "closed" and data.get("reason"):
        return label("closing", str(data["reason"]), language)
    if action == "received" and data.get("colour"):
        return colour_label(str(data["colour"]), language)  # as graded at intake
    if action.startswith("extension") and data.get("length"):
        return str(data["length"])
    return ""
