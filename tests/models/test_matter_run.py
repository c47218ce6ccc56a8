"""Where a matter stands, as its run's state: every status and overdue level, table-driven."""

from __future__ import annotations

import pytest

from models.ladder import Level
from models.matter_run import RunType, Standing, run_state
from models.status import Status


@pytest.mark.parametrize(
    ("status", "level", "kind", "standing", "zh"),
    [
        (Status.received, None, RunType.pending, Standing.awaiting_referral, "待分流"),
        (Status.referred, None, RunType.paused, Standing.awaiting_acknowledgement, "待签收"),
        (Status.in_progress, None, RunType.running, Standing.in_hand, "办理中"),
        (Status.returned, None, RunType.paused, Standing.returned, "已退回"),
        (Status.resolved, None, RunType.paused, Standing.awaiting_feedback, "待回访"),
        (Status.closed, None, RunType.completed, Standing.closed, "已结案"),
        # A reminder keeps the matter's own type; from urging on the run turns red (FAILED).
        (Status.referred, Level.reminder, RunType.paused, Standing.reminder, "提醒"),
        (Status.in_progress, Level.reminder, RunType.running, Standing.reminder, "提醒"),
        (Status.referred, Level.urging, RunType.failed, Standing.urging, "催办"),
        (Status.in_progress, Level.supervision, RunType.failed, Standing.supervision, "督办"),
        (Status.in_progress, Level.circular, RunType.failed, Standing.circular, "通报"),
        # A closed matter is closed, whatever a clock reached on the way.
        (Status.closed, Level.circular, RunType.completed, Standing.closed, "已结案"),
    ],
)
def test_run_state(
    status: Status, level: Level | None, kind: RunType, standing: Standing, zh: str
) -> None:
    state = run_state(status, level)
    assert (state.type, state.standing, state.name("zh")) == (kind, standing, zh)
    assert state.name("en") and state.name("en") != zh
