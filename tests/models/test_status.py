"""The matter and assignment status machines, pair by pair, and their display labels."""

from __future__ import annotations

import itertools

import pytest

from messages import label as label_of
from models.refusals import Code
from models.status import (
    ACTIVE_ASSIGNMENT,
    ASSIGNMENT_TRANSITIONS,
    LABELS,
    MATTER_TRANSITIONS,
    Action,
    AssignmentStatus,
    Role,
    Status,
    TransitionRefused,
    label,
    next_assignment_status,
    next_status,
)

NUMBER = "M20261126-0001"

# The matter machine as the district expects it, written out independently of the module table.
EXPECTED_MATTER: dict[tuple[Status, Action], Status] = {
    (Status.received, Action.refer): Status.referred,
    (Status.referred, Action.refer): Status.referred,
    (Status.referred, Action.acknowledge): Status.in_progress,
    (Status.referred, Action.return_): Status.returned,
    (Status.in_progress, Action.refer): Status.referred,
    (Status.in_progress, Action.progress): Status.in_progress,
    (Status.in_progress, Action.return_): Status.returned,
    (Status.in_progress, Action.resolve): Status.resolved,
    (Status.returned, Action.refer): Status.referred,
    (Status.resolved, Action.satisfied): Status.closed,
    (Status.resolved, Action.unsatisfied): Status.in_progress,
    (Status.resolved, Action.no_feedback): Status.closed,
}

EXPECTED_ASSIGNMENT: dict[tuple[AssignmentStatus, Action], AssignmentStatus] = {
    (AssignmentStatus.referred, Action.acknowledge): AssignmentStatus.acknowledged,
    (AssignmentStatus.referred, Action.return_): AssignmentStatus.returned,
    (AssignmentStatus.referred, Action.refer): AssignmentStatus.withdrawn,
    (AssignmentStatus.acknowledged, Action.progress): AssignmentStatus.acknowledged,
    (AssignmentStatus.acknowledged, Action.return_): AssignmentStatus.returned,
    (AssignmentStatus.acknowledged, Action.report): AssignmentStatus.reported,
    (AssignmentStatus.acknowledged, Action.resolve): AssignmentStatus.resolved,
    (AssignmentStatus.acknowledged, Action.refer): AssignmentStatus.withdrawn,
    (AssignmentStatus.reported, Action.progress): AssignmentStatus.reported,
    (AssignmentStatus.reported, Action.refer): AssignmentStatus.withdrawn,
    (AssignmentStatus.resolved, Action.unsatisfied): AssignmentStatus.acknowledged,
}

MATTER_PAIRS = list(itertools.product(Status, Action))
ASSIGNMENT_PAIRS = list(itertools.product(AssignmentStatus, Action))


def _pair_id(pair: tuple[Status | AssignmentStatus, Action]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


# --- the matter machine -----------------------------------------------------------------------


def test_matter_table_is_exactly_the_expected_one() -> None:
    assert MATTER_TRANSITIONS == EXPECTED_MATTER


@pytest.mark.parametrize("pair", MATTER_PAIRS, ids=_pair_id)
def test_every_matter_pair(pair: tuple[Status, Action]) -> None:
    status, action = pair
    if pair in EXPECTED_MATTER:
        assert next_status(NUMBER, status, action) is EXPECTED_MATTER[pair]
        return
    with pytest.raises(TransitionRefused) as caught:
        next_status(NUMBER, status, action)
    refused = caught.value
    assert refused.code is (Code.matter_closed if status is Status.closed else Code.wrong_status)
    assert (refused.params["number"], refused.params["status"], refused.params["action"]) == (
        NUMBER,
        status.value,
        action.value,
    )
    assert (refused.subject, refused.status, refused.action) == (NUMBER, status.value, action.value)
    # worded by the catalogue, with the status and the action in words
    zh = refused.message("zh")
    assert zh.startswith(f"{NUMBER}：") and label_of("action", action) in zh
    if status is not Status.closed:
        assert f"“{label(status, 'status', 'zh')}”" in zh
    assert str(refused) == refused.message("en") and NUMBER in str(refused)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_closed_allows_nothing(action: Action) -> None:
    with pytest.raises(TransitionRefused, match="the matter is closed") as caught:
        next_status(NUMBER, Status.closed, action)
    assert caught.value.code is Code.matter_closed
    assert caught.value.message("zh").startswith(f"{NUMBER}：此事项已结案，不能再")


@pytest.mark.parametrize(
    ("status", "refused", "allowed"),
    [
        (Status.received, Action.acknowledge, ["refer"]),
        (Status.referred, Action.resolve, ["acknowledge", "refer", "return"]),
        (Status.in_progress, Action.satisfied, ["progress", "refer", "resolve", "return"]),
        (Status.returned, Action.acknowledge, ["refer"]),
        (Status.resolved, Action.refer, ["no_feedback", "satisfied", "unsatisfied"]),
    ],
    ids=lambda v: v.value if isinstance(v, Status | Action) else None,
)
def test_hint_lists_allowed_actions(status: Status, refused: Action, allowed: list[str]) -> None:
    with pytest.raises(TransitionRefused) as caught:
        next_status(NUMBER, status, refused)
    assert caught.value.params["allowed"] == allowed
    verbs = "、".join(label_of("action", a) for a in allowed)
    assert caught.value.message("zh").endswith(f"（现在可以：{verbs}）")


@pytest.mark.parametrize("status", [s for s in Status if s != Status.closed], ids=str)
def test_every_open_status_has_a_way_forward(status: Status) -> None:
    assert any(s == status for s, _ in MATTER_TRANSITIONS)


def test_open_matter_can_always_be_rerouted_but_not_once_resolved() -> None:
    for status in (Status.received, Status.referred, Status.in_progress, Status.returned):
        assert next_status(NUMBER, status, Action.refer) is Status.referred
    for status in (Status.resolved, Status.closed):
        with pytest.raises(TransitionRefused):
            next_status(NUMBER, status, Action.refer)


# --- the assignment machine -------------------------------------------------------------------

SUBJECT = f"{NUMBER}/T01.judicial_office"


def test_assignment_table_is_exactly_the_expected_one() -> None:
    assert ASSIGNMENT_TRANSITIONS == EXPECTED_ASSIGNMENT


@pytest.mark.parametrize("pair", ASSIGNMENT_PAIRS, ids=_pair_id)
def test_every_assignment_pair(pair: tuple[AssignmentStatus, Action]) -> None:
    status, action = pair
    if pair in EXPECTED_ASSIGNMENT:
        assert next_assignment_status(SUBJECT, status, action) is EXPECTED_ASSIGNMENT[pair]
        return
    with pytest.raises(TransitionRefused) as caught:
        next_assignment_status(SUBJECT, status, action)
    refused = caught.value
    assert refused.subject == SUBJECT
    assert refused.params["department"] == "T01.judicial_office"
    assert (refused.params["status"], refused.params["action"]) == (status.value, action.value)
    zh = refused.message("zh")
    assert zh.startswith(f"{NUMBER}（T01.judicial_office）：当前状态为“")
    assert f"“{label(status, 'assignment', 'zh')}”" in zh
    if status is AssignmentStatus.referred:
        assert refused.code is Code.acknowledge_first
        assert zh.endswith("（请先签收）") and str(refused).endswith("(acknowledge it first)")
    else:
        assert refused.code is Code.part_wrong_status
        assert "请先签收" not in zh


@pytest.mark.parametrize("status", [AssignmentStatus.returned, AssignmentStatus.withdrawn], ids=str)
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_returned_and_withdrawn_parts_are_final(status: AssignmentStatus, action: Action) -> None:
    with pytest.raises(TransitionRefused):
        next_assignment_status(SUBJECT, status, action)


def test_active_assignments_are_the_live_ones() -> None:
    assert (
        frozenset(
            {AssignmentStatus.referred, AssignmentStatus.acknowledged, AssignmentStatus.reported}
        )
        == ACTIVE_ASSIGNMENT
    )


# --- labels -----------------------------------------------------------------------------------

LABEL_CASES: list[tuple[str, str, str, str]] = [
    ("status", Status.received, "已受理", "received"),
    ("status", Status.referred, "已分流", "referred"),
    ("status", Status.in_progress, "办理中", "in progress"),
    ("status", Status.returned, "已退回", "returned"),
    ("status", Status.resolved, "已办结", "resolved"),
    ("status", Status.closed, "已结案", "closed"),
    ("assignment", AssignmentStatus.referred, "待签收", "awaiting acknowledgement"),
    ("assignment", AssignmentStatus.acknowledged, "已签收", "acknowledged"),
    ("assignment", AssignmentStatus.reported, "已报送", "reported"),
    ("assignment", AssignmentStatus.resolved, "已办结", "resolved"),
    ("assignment", AssignmentStatus.returned, "已退回", "returned"),
    ("assignment", AssignmentStatus.withdrawn, "已撤回", "withdrawn"),
    ("role", Role.lead, "主办", "lead"),
    ("role", Role.co, "协办", "co-handling"),
]


@pytest.mark.parametrize(("kind", "value", "zh", "en"), LABEL_CASES)
def test_labels(kind: str, value: str, zh: str, en: str) -> None:
    assert label(value, kind, "zh") == zh
    assert label(value, kind, "en") == en
    # plain strings (as read back from the store) work as well as the enum members
    assert label(str(value), kind) == zh


@pytest.mark.parametrize(
    ("kind", "values"),
    [("status", list(Status)), ("assignment", list(AssignmentStatus)), ("role", list(Role))],
)
def test_every_code_has_a_chinese_label_that_is_not_the_code(kind: str, values: list[str]) -> None:
    assert set(LABELS[kind]) == set(values)
    for value in values:
        zh = label(value, kind, "zh")
        assert zh != value
        assert not zh.isascii()
        assert label(value, kind, "en")


def test_same_code_reads_differently_for_a_matter_and_a_part() -> None:
    assert label("referred", "status") == "已分流"
    assert label("referred", "assignment") == "待签收"


@pytest.mark.parametrize(
    ("value", "kind"), [("nonsense", "status"), ("received", "no_such_kind"), ("lead", "status")]
)
def test_unknown_values_fall_back_to_the_code(value: str, kind: str) -> None:
    assert label(value, kind, "zh") == value
    assert label(value, kind, "en") == value
