"""The matter and assignment status machines: every allowed move in one table each.

A transition that is not in the table is refused with an error naming the matter, its status and
the action, so a clerk reading it knows what happened and what is possible.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from messages import label as catalogue_label
from messages.labels import LABELS as CATALOGUE_LABELS
from models.refusals import Code, Refused


class Status(StrEnum):
    """Where a matter stands."""

    received = "received"
    referred = "referred"
    in_progress = "in_progress"
    returned = "returned"
    resolved = "resolved"
    closed = "closed"


class Action(StrEnum):
    """What can happen to a matter or one of its assignments."""

    refer = "refer"
    acknowledge = "acknowledge"
    progress = "progress"
    return_ = "return"
    report = "report"
    resolve = "resolve"
    satisfied = "satisfied"
    unsatisfied = "unsatisfied"
    no_feedback = "no_feedback"


class Role(StrEnum):
    """A department's part in a matter: one lead (主办), any co-handlers (协办)."""

    lead = "lead"
    co = "co"


class AssignmentStatus(StrEnum):
    """Where one department's part stands."""

    referred = "referred"  # summoned, not yet acknowledged
    acknowledged = "acknowledged"  # reported for duty, handling
    reported = "reported"  # co-handler filed its part
    resolved = "resolved"  # lead resolved the matter
    returned = "returned"  # sent back as not its business
    withdrawn = "withdrawn"  # the center re-routed it elsewhere


class Feedback(StrEnum):
    """How a resolved matter's feedback ended (a matter's `feedback`)."""

    satisfied = "satisfied"  # closed by the citizen's "satisfied"
    unsatisfied = "unsatisfied"  # reopened by the citizen (the matter goes on)
    no_feedback = "no_feedback"  # the window lapsed: closed without an answer
    anonymous = "anonymous"  # nobody to ask: closed at resolution


class NoticeStatus(StrEnum):
    """Where a notice in the outbox stands."""

    pending = "pending"
    sending = "sending"  # claimed by a deliverer
    sent = "sent"
    failed = "failed"  # to be tried again
    dead = "dead"  # given up: the center may re-send it once


class ExtensionStatus(StrEnum):
    """A request for more time (延期) and the center's decision."""

    pending = "pending"
    approved = "approved"
    refused = "refused"


# Display names by kind live in the message catalogue (messages/labels.py); a value such as
# "referred" means different things for a matter (已分流) and for one department's part (待签收).
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    kind: CATALOGUE_LABELS[kind] for kind in ("status", "assignment", "role")
}

# The matter's status machine. `refer` is allowed again while the matter is open so the center
# can re-route it; `unsatisfied` reopens a resolved matter to its lead (重办).
MATTER_TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.received, Action.refer): Status.referred,
    (Status.returned, Action.refer): Status.referred,
    (Status.referred, Action.refer): Status.referred,
    (Status.in_progress, Action.refer): Status.referred,
    (Status.referred, Action.acknowledge): Status.in_progress,
    (Status.in_progress, Action.progress): Status.in_progress,
    (Status.referred, Action.return_): Status.returned,
    (Status.in_progress, Action.return_): Status.returned,
    (Status.in_progress, Action.resolve): Status.resolved,
    (Status.resolved, Action.satisfied): Status.closed,
    (Status.resolved, Action.unsatisfied): Status.in_progress,
    (Status.resolved, Action.no_feedback): Status.closed,
}

# One department's part. A lead that resolved goes back to handling when the citizen reopens.
ASSIGNMENT_TRANSITIONS: dict[tuple[AssignmentStatus, Action], AssignmentStatus] = {
    (AssignmentStatus.referred, Action.acknowledge): AssignmentStatus.acknowledged,
    (AssignmentStatus.acknowledged, Action.progress): AssignmentStatus.acknowledged,
    (AssignmentStatus.referred, Action.return_): AssignmentStatus.returned,
    (AssignmentStatus.acknowledged, Action.return_): AssignmentStatus.returned,
    (AssignmentStatus.acknowledged, Action.report): AssignmentStatus.reported,
    (AssignmentStatus.reported, Action.progress): AssignmentStatus.reported,
    (AssignmentStatus.acknowledged, Action.resolve): AssignmentStatus.resolved,
    (AssignmentStatus.resolved, Action.unsatisfied): AssignmentStatus.acknowledged,
    (AssignmentStatus.referred, Action.refer): AssignmentStatus.withdrawn,
    (AssignmentStatus.acknowledged, Action.refer): AssignmentStatus.withdrawn,
    (AssignmentStatus.reported, Action.refer): AssignmentStatus.withdrawn,
}

ACTIVE_ASSIGNMENT = frozenset(
    {AssignmentStatus.referred, AssignmentStatus.acknowledged, AssignmentStatus.reported}
)
# A part that ended without resolving: sent back, or taken away by a re-routing.
ENDED_ASSIGNMENT = frozenset({AssignmentStatus.returned, AssignmentStatus.withdrawn})


class TransitionRefused(Refused):
    """An action that the current status does not allow; `subject` is the matter's number, or
    'number/department' for one department's part."""

    def __init__(self, code: Code, /, **params: Any) -> None:
        super().__init__(code, **params)
        number, department = str(params["number"]), params.get("department")
        self.subject = f"{number}/{department}" if department else number
        self.status, self.action = str(params["status"]), str(params["action"])


def next_status(number: str, status: Status, action: Action) -> Status:
    """Return the matter's status after `action`, or raise TransitionRefused."""
    try:
        return MATTER_TRANSITIONS[(status, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in MATTER_TRANSITIONS if s == status)
        raise TransitionRefused(
            Code.wrong_status if allowed else Code.matter_closed,
            number=number,
            status=status.value,
            action=action.value,
            allowed=allowed,
        ) from None


def next_assignment_status(
    subject: str, status: AssignmentStatus, action: Action
) -> AssignmentStatus:
    """Return an assignment's status after `action` ('number/department' is the subject), or
    raise TransitionRefused."""
    number, _, department = subject.partition("/")
    try:
        return ASSIGNMENT_TRANSITIONS[(status, action)]
    except KeyError:
        first = status == AssignmentStatus.referred and action != Action.acknowledge
        raise TransitionRefused(
            Code.acknowledge_first if first else Code.part_wrong_status,
            number=number,
            department=department,
            status=status.value,
            action=action.value,
            kind="assignment",
        ) from None


def label(value: str, kind: str = "status", language: str = "zh") -> str:
    """Display name of a status, assignment status or role in the user's language."""
    return catalogue_label(kind, value, language)


# Notices not (yet) delivered: waiting, being sent, or to be tried again.
UNSENT_NOTICE = frozenset({NoticeStatus.pending, NoticeStatus.sending, NoticeStatus.failed})
