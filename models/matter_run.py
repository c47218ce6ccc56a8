"""Where a matter stands, as the state of its one Prefect flow run: the supervisor's view.

A pure rule, no Prefect import: the engine turns the answer into a Prefect state. The state
*type* decides how Prefect treats and colours the run; the *name* is what a supervisor reads and
filters on in the runs list. Types were chosen so that Prefect's own services leave a run alone
for as long as a matter waits (README, "The matter run"):

- a matter waiting for a person (a department's acknowledgement, the center's re-routing, the
  citizen's feedback) is PAUSED with no pause timeout, which no service expires;
- a matter a department is handling is RUNNING; no heartbeat is ever sent for it, and Prefect
  only treats missing heartbeats as a crash through an automation nobody installs by default;
- a matter past a deadline (催办 and up) is FAILED: red in every list, terminal, so no service
  touches it, and it becomes PAUSED or RUNNING again when the department answers;
- a closed matter is COMPLETED; a reopened one becomes RUNNING again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.ladder import Level
from models.status import Status


class RunType(StrEnum):
    """Prefect's state types used for matter runs (the values are Prefect's own names)."""

    pending = "PENDING"
    paused = "PAUSED"
    running = "RUNNING"
    failed = "FAILED"
    completed = "COMPLETED"


class Standing(StrEnum):
    """Where a matter stands, one value per state name a supervisor can filter on."""

    awaiting_referral = "awaiting_referral"
    awaiting_acknowledgement = "awaiting_acknowledgement"
    in_hand = "in_hand"
    returned = "returned"
    awaiting_feedback = "awaiting_feedback"
    closed = "closed"
    reminder = "reminder"
    urging = "urging"
    supervision = "supervision"
    circular = "circular"


STATE_NAMES: dict[Standing, tuple[str, str]] = {
    Standing.awaiting_referral: ("待分流", "Awaiting referral"),
    Standing.awaiting_acknowledgement: ("待签收", "Awaiting acknowledgement"),
    Standing.in_hand: ("办理中", "In hand"),
    Standing.returned: ("已退回", "Returned to the center"),
    Standing.awaiting_feedback: ("待回访", "Awaiting feedback"),
    Standing.closed: ("已结案", "Closed"),
    Standing.reminder: ("提醒", "Reminder"),
    Standing.urging: ("催办", "Urging"),
    Standing.supervision: ("督办", "Supervision"),
    Standing.circular: ("通报", "Circulated notice"),
}

_BY_STATUS: dict[Status, tuple[Standing, RunType]] = {
    Status.received: (Standing.awaiting_referral, RunType.pending),
    Status.referred: (Standing.awaiting_acknowledgement, RunType.paused),
    Status.in_progress: (Standing.in_hand, RunType.running),
    Status.returned: (Standing.returned, RunType.paused),
    Status.resolved: (Standing.awaiting_feedback, RunType.paused),
    Status.closed: (Standing.closed, RunType.completed),
}
_BY_LEVEL: dict[Level, Standing] = {
    Level.reminder: Standing.reminder,
    Level.urging: Standing.urging,
    Level.supervision: Standing.supervision,
    Level.circular: Standing.circular,
}


@dataclass(frozen=True)
class RunState:
    type: RunType
    standing: Standing

    def name(self, language: str = "zh") -> str:
        zh, en = STATE_NAMES[self.standing]
        return en if language == "en" else zh


def run_state(status: Status, level: Level | None) -> RunState:
    """The run's state for a matter in `status` whose running clocks reached `level` (None:
    none overdue). A reminder keeps the matter's own type; from urging on the run is red."""
    standing, kind = _BY_STATUS[status]
    if level is None or status in (Status.closed, Status.received):
        return RunState(kind, standing)
    overdue = _BY_LEVEL[level]
    if level is Level.reminder:
        return RunState(kind, overdue)
    return RunState(RunType.failed, overdue)
