"""A matter waits weeks for a department: Prefect's own services must leave its run alone.

Prefect 3.9's server services that act on flow runs by time are the late-runs monitor
(SCHEDULED runs named "Scheduled" past their start), the pause-expiry monitor (PAUSED runs whose
pause timeout passed) and the cancellation clean-up (CANCELLING runs). Here each one's monitor is
run against the session's Prefect database with its clock moved 30 days on, and every task it
schedules is carried out at once; the matter runs (PENDING, PAUSED, RUNNING, FAILED) keep their
state and gain no state in their history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.server.database import provide_database_interface
from prefect.server.services import cancellation_cleanup, late_runs, pause_expirations
from prefect.types._datetime import now as prefect_now

from tests.engine.test_matter_run import drawn, run_of, states_of
from tests.fixtures import World

LATER = timedelta(days=30)


def control(state: dict[str, Any]) -> str:
    """A plain flow run (not a matter's) in the given state."""
    with get_client(sync_client=True) as client:
        flow = client.request("POST", "/flows/", json={"name": "control"}).json()
        run = client.request(
            "POST", "/flow_runs/", json={"flow_id": flow["id"], "state": state}
        ).json()
    return str(run["id"])


def state_of(run_id: str) -> tuple[str, str]:
    with get_client(sync_client=True) as client:
        run = client.request("GET", "/flow_runs/{id}", path_params={"id": run_id}).json()
    return run["state"]["type"], run["state"]["name"]


class RunAtOnce:
    """Stands in for the services' task queue (docket): a scheduled task runs right away."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def add(self, task: Callable[..., Awaitable[Any]], key: str = "", **_: Any) -> Any:
        async def call(*args: Any, **kwargs: Any) -> None:
            self.ran.append(key or task.__name__)
            await task(*args, db=provide_database_interface(), **kwargs)

        return call


async def _monitors(docket: RunAtOnce) -> None:
    db = provide_database_interface()
    await late_runs.monitor_late_runs(docket=docket, db=db)  # type: ignore[arg-type]
    await pause_expirations.monitor_expired_pauses(docket=docket, db=db)  # type: ignore[arg-type]
    await cancellation_cleanup.ensure_cancelling_timeout_checks(docket=docket, db=db)  # type: ignore[arg-type]
    await cancellation_cleanup.monitor_cancelled_flow_runs(docket=docket, db=db)  # type: ignore[arg-type]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_runs_waiting_30_days_are_left_alone(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    at = "2026-11-26T{}:00+08:00"
    waiting = world.intake(title="待签收", at=at.format("09:00"))["number"]  # PAUSED
    handled = world.intake(title="办理中", at=at.format("09:00"))["number"]
    world.ok("ack", handled, "--department", "hrss", at=at.format("09:10"))  # RUNNING
    late = world.intake(title="超时", people=6, at=at.format("09:00"))["number"]
    world.ok("ack", late, "--department", "hrss", at=at.format("09:10"))
    world.ok("sweep", at=at.format("11:30"))  # co-handlers' acknowledgement overdue: FAILED
    drawn(world, at.format("11:30"))
    returned = world.intake(title="退回", at=at.format("11:40"))["number"]
    world.ok(
        "return", returned, "--department", "hrss", "--reason", "非本单位", at=at.format("11:50")
    )
    drawn(world, at.format("11:50"))
    numbers = [waiting, handled, late, returned]
    before = {n: (run_of(n)["state"]["type"], run_of(n)["state"]["name"]) for n in numbers}
    assert {state for state, _ in before.values()} == {"PAUSED", "RUNNING", "FAILED"}
    histories = {n: states_of(run_of(n)["id"]) for n in numbers}
    # Controls, to show the services did run on the moved clock: a scheduled run and a pause
    # with a timeout, which they must mark late and fail.
    soon = (prefect_now("UTC") + timedelta(hours=1)).isoformat()
    scheduled = control({"type": "SCHEDULED", "state_details": {"scheduled_time": soon}})
    paused = control({"type": "PAUSED", "state_details": {"pause_timeout": soon}})

    def moved(tz: str = "UTC") -> Any:
        return prefect_now(tz) + LATER

    for module in (late_runs, pause_expirations, cancellation_cleanup):
        monkeypatch.setattr(module, "now", moved)
    docket = RunAtOnce()
    asyncio.run(_monitors(docket))

    assert state_of(scheduled) == ("SCHEDULED", "Late")
    assert state_of(paused)[0] == "FAILED"
    after = {n: (run_of(n)["state"]["type"], run_of(n)["state"]["name"]) for n in numbers}
    assert after == before
    assert {n: states_of(run_of(n)["id"]) for n in numbers} == histories
    assert not [key for key in docket.ran if any(run_of(n)["id"] in key for n in numbers)]
