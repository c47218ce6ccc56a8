"""Request and response models of /api and /feedback: the OpenAPI document is built from these.

Request models check at the edge and say what is wrong by a refusal code (models.refusals.Invalid,
worded by the message catalogue in the caller's language); the service layer checks again.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.refusals import Code as RefusalCode
from models.refusals import Invalid
from service.inputs import MAX_DESCRIPTION, Outcome

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid(RefusalCode.empty)
    if _CONTROL.search(value):
        raise Invalid(RefusalCode.control)
    if any("\ud800" <= ch <= "\udfff" for ch in value):  # a lone surrogate from JSON escapes
        raise Invalid(RefusalCode.bad_characters)
    return value


Text = Annotated[str, Field(max_length=MAX_DESCRIPTION), AfterValidator(_text)]
Code = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z][A-Za-z0-9_.]*$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteBody(_Body):
    """Progress (进展) or a co-handler's report (报送)."""

    note: Text = Field(description="what was done, in words", examples=["已约谈施工方"])


class ReturnBody(_Body):
    """Returning a referral that is not the department's business (退回)."""

    reason: Text = Field(description="why it is not yours", examples=["不属于本部门职责"])


class ResolveBody(_Body):
    """The lead resolves the matter (办结)."""

    outcome: Outcome = Field(
        description="mediated 调解成功, handled 依职能办结, explained 解释说明, "
        "litigation 引导诉讼/仲裁, unresolvable 无法解决"
    )
    note: Text = Field(description="how it was resolved", examples=["工资已结清"])


class ExtensionBody(_Body):
    """A department asks for more time (延期)."""

    length: str = Field(
        pattern=r"^[1-9][0-9]{0,3}(m|h|d|wd)$",
        description="how much more: a number and m, h, d or wd (working days), e.g. 5wd",
        examples=["5wd"],
    )
    reason: Text = Field(description="why more time is needed")


class DecisionBody(_Body):
    """The center approves or refuses a department's extension request (延期审批)."""

    department: Code = Field(description="the department that asked")
    approve: bool
    note: Text = Field(description="the center's reasons")


class ReferBody(_Body):
    """The center refers or re-routes a matter by hand (转办)."""

    lead: Code = Field(description="the lead department's code (主办)", examples=["hrss"])
    co: list[Code] = Field(default=[], max_length=20, description="co-handling departments (协办)")


# --- responses --------------------------------------------------------------------------------


class CitizenView(BaseModel):
    """The citizen: in full for the center and the lead department, masked for anyone else."""

    name: str
    phone: str
    id_number: str | None = None
    masked: bool


class AssignmentView(BaseModel):
    department: str
    department_name: str
    role: str = Field(description="lead (主办) or co (协办)")
    status: str
    round: int
    assigned_at: str | None
    acknowledged_at: str | None
    ack_due: str | None
    due: str | None
    overdue_level: str | None


class EventView(BaseModel):
    at: str | None
    action: str
    actor: str
    department: str | None
    note: str | None
    data: dict[str, Any]


class MatterView(BaseModel):
    """One matter as the caller may see it (times ISO-8601 in the district's time zone)."""

    number: str
    status: str
    status_label: str
    colour: str
    colour_label: str
    category: str
    category_label: str
    tier: str
    area: str
    town: str
    channel: str
    title: str
    description: str
    people: int
    flags: list[str]
    anonymous: bool = Field(
        default=False, description="匿名: no phone was left; closed at resolution, no feedback"
    )
    lat: float | None = Field(default=None, description="where an Open311 app placed it")
    long: float | None = None
    citizen: CitizenView
    lead_department: str | None
    co_departments: list[str]
    assignments: list[AssignmentView]
    outcome: str | None
    feedback: str | None
    feedback_due: str | None
    reopen_count: int
    created_at: str | None
    events: list[EventView]
    your_role: Literal["center", "lead", "co", "former"] = Field(
        description="the caller's part: the center, the lead (主办), a co-handler (协办), or a "
        "department whose part ended (returned or withdrawn)"
    )


class StageView(BaseModel):
    """What follows the action (referral by the rules, the notices it caused)."""

    name: str
    finished: bool = Field(description="carried out before this answer")
    queued: bool = Field(description="left to a running engine (`whistle worker`)")
    message: str


class ActionResult(BaseModel):
    matter: MatterView
    stage: StageView


class QueueItem(BaseModel):
    number: str
    category: str
    category_label: str
    colour: str
    colour_label: str
    status: str = Field(description="the matter's status")
    title: str
    department: str | None = Field(description="whose part this is (the center sees all)")
    role: str | None
    part_status: str | None
    clock_due: str | None = Field(description="when the running clock (ack or due) runs out")
    ack_due: str | None
    due: str | None


class ExtensionItem(BaseModel):
    number: str
    department: str
    length: str
    reason: str
    requested_at: str


class WorkQueue(BaseModel):
    """The caller's work: disjoint lists, most urgent first."""

    holder: str
    as_of: str
    overdue: list[QueueItem] = Field(description="a running clock has run out")
    waiting: list[QueueItem] = Field(
        description="departments: awaiting acknowledgement (签收); the center: matters to refer"
    )
    due_soon: list[QueueItem] = Field(description="acknowledged, due within the window")
    in_hand: list[QueueItem] = Field(description="acknowledged, not due soon")
    extensions: list[ExtensionItem] = Field(
        description="the center only: extension requests awaiting a decision"
    )


class FeedbackResult(BaseModel):
    number: str
    status: str
    message: str


class Health(BaseModel):
    status: Literal["ok"]
