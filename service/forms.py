"""The intake form (受理登记表) a clerk fills in on the Prefect UI's Run page, and what of it
Prefect may keep once the matter is in the store."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.config import ConfigError
from models.lookup import labelled
from service.app import get_app

CLEARED = "（已转入事项库）"  # what a personal or free-text field reads once taken in
PERSONAL = ("name", "phone", "id_number", "title", "description")


def _choices(schema: dict[str, Any]) -> None:
    """Offer the district's codes in the form (drop-downs in the UI) as a person recognises
    them, code and name together (`T02V01 文苑社区`, `wage_arrears 拖欠工资`), which the intake
    accepts as it accepts the code or the name alone. Read when a deployment is built; without a
    readable configuration the form still works, and the flow checks the codes."""
    try:
        config = get_app().config
    except (ConfigError, OSError):
        return
    fields = schema.get("properties", {})

    def offer(name: str, items: dict[str, Any], many: bool = False) -> None:
        target = fields[name]["items"] if many else fields[name]
        target["enum"] = [labelled(code, item.name) for code, item in items.items()]
        default = fields[name].get("default")
        if isinstance(default, str) and default in items:
            fields[name]["default"] = labelled(default, items[default].name)

    offer("category", config.categories)
    offer("channel", config.channels_in)
    offer("flags", config.flags, many=True)
    areas: dict[str, Any] = dict(config.towns)
    areas |= {code: village for code, (village, _town) in config.villages.items()}
    offer("area", areas)


class IntakeForm(BaseModel):
    """受理登记表：群众的姓名、电话、身份证号只存入事项库，登记后立即从本次运行的参数中清除。"""

    model_config = ConfigDict(title="受理登记表", extra="forbid", json_schema_extra=_choices)

    category: str = Field(title="事项类别", description="所反映事项的类别。")
    title: str = Field(
        title="事项标题", max_length=200, description="一句话概括，如：工地拖欠工资。"
    )
    description: str = Field(
        title="事项描述", max_length=20_000, description="经过、诉求、涉及的单位或人员。"
    )
    area: str = Field(
        title="所在村（社区）或镇（街道）",
        description="镇（街道），或其下的村（社区）：T01V01 在 T01 之下；见 whistle areas。",
    )
    name: str = Field(title="群众姓名", max_length=100, description="只存入事项库。")
    phone: str = Field(
        title="联系电话", max_length=20, description="手机号或座机号，如 0472-1234567。"
    )
    id_number: str = Field(
        default="", title="身份证号（选填）", max_length=18, description="18 位；没有可不填。"
    )
    people: int = Field(default=1, ge=1, le=1_000_000, title="涉及人数")
    flags: list[str] = Field(default_factory=list, title="风险标记（可多选）", description="")
    amount: int = Field(default=0, ge=0, le=10_000_000_000, title="涉及金额（元）")
    visits: int = Field(default=0, ge=0, le=10_000, title="此前就同一事项来访次数")
    channel: str = Field(default="walk_in", title="来源渠道", description="")


def cleared(values: dict[str, Any]) -> dict[str, Any]:
    """The form as Prefect may keep it: codes and numbers stay, personal and free text go."""
    return {
        key: ("" if key == "id_number" else CLEARED) if key in PERSONAL else value
        for key, value in values.items()
    }
