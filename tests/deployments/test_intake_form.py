"""The intake deployment: a clerk's form run through the Prefect API and executed the way a
served deployment or a worker executes it (`prefect flow-run execute`). The citizen ends up in
the store, and nowhere in Prefect: not in the run's parameters, names, tags, state messages,
logs, artifacts or events; the test reads every row of every table of Prefect's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.settings import PREFECT_API_URL
from prefect.states import Scheduled
from sqlmodel import func, select

from deployments import declarations
from engine.quiet import without_heartbeat
from models.tables import Citizen, Matter
from service.app import get_app
from service.forms import CLEARED
from service.store.db import session
from tests.fixtures import ROOT, World
from tests.prefect_db import prefect_rows

NAME, PHONE, ID_NUMBER = "诸葛卧龙", "13698765432", "150204198001010039"
SECRETS = (NAME, PHONE, ID_NUMBER, "卧龙", "98765432", "1980010100")


def form(**fields: Any) -> dict[str, Any]:
    return {
        "category": "wage_arrears 拖欠工资",  # as the pick lists offer them: code and name
        "title": f"{NAME}反映工资被拖欠",
        "description": f"{NAME}（电话{PHONE}）反映三个月工资未付。",
        "area": "T01V01 和平社区",
        "name": NAME,
        "phone": PHONE,
        "id_number": ID_NUMBER,
        "people": 6,
        "flags": [],
        "channel": "walk_in 来访",
    } | fields


def submit(parameters: dict[str, Any]) -> UUID:
    """What the UI's Run form does: create a run of the intake deployment."""
    deployment = next(d for d in declarations(get_app()) if d.name == "intake")
    deployment_id = deployment.apply()
    assert isinstance(deployment_id, UUID)  # a coroutine only inside an event loop
    with get_client(sync_client=True) as client:
        return client.create_flow_run_from_deployment(
            deployment_id, parameters={"form": parameters}
        ).id


def execute(run_id: UUID) -> None:
    """Run it as a served deployment or a worker does: a new process, by the run's id."""
    env = dict(os.environ, PREFECT_API_URL=str(PREFECT_API_URL.value()))
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    prefect = Path(sys.executable).parent / "prefect"
    done = subprocess.run(
        [str(prefect), "flow-run", "execute", str(run_id)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=180,
        check=False,
    )
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} in the run's own output"


def execute_here(run_id: UUID) -> None:
    """The same engine call `flow-run execute` makes, in this process (no second start-up)."""
    from prefect.flow_engine import run_flow

    from flows.intake_form import intake_form

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    with without_heartbeat():
        run_flow(intake_form, flow_run=run, parameters=run.parameters, return_type="state")


def assert_nothing_in_prefect() -> None:
    rows = prefect_rows()
    assert any(table == "flow_run" for table, _ in rows)
    for table, row in rows:
        for secret in SECRETS:
            assert secret not in row, f"{secret!r} stored in Prefect's {table}: {row[:300]}"


def matters() -> list[Matter]:
    app = get_app()
    with session(app.engine) as s:
        return list(s.exec(select(Matter)).all())


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_form_moves_the_citizen_into_the_store_and_out_of_prefect(world: World) -> None:
    run_id = submit(form())
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).parameters["form"]["name"] == NAME  # as submitted
    execute(run_id)

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        assert run.state is not None and run.state.is_completed(), run.state
        (matter,) = matters()
        assert run.parameters["form"] == form(
            title=CLEARED, description=CLEARED, name=CLEARED, phone=CLEARED, id_number=""
        )
        assert run.name.startswith(f"{matter.number} · 拖欠工资 · 橙")
        assert {f"matter:{matter.number}", "colour:orange", "lead:hrss"} <= set(run.tags)
    world.ok("worker", "--once")  # the engine draws the matter's own run beside the form's
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[f"matter:{matter.number}"]))
        )
        assert {r.name for r in runs} >= {
            f"{matter.number} · 拖欠工资 · 橙 · 受理登记",  # the form's run
            f"{matter.number} · 拖欠工资 · 橙",  # the matter run
        }
    app = get_app()
    with session(app.engine) as s:
        citizen = s.get(Citizen, matter.citizen_id)
        assert citizen is not None
        assert (citizen.name, citizen.phone, citizen.id_number) == (NAME, PHONE, ID_NUMBER)
    assert matter.status == "referred" and matter.lead_department == "hrss"
    assert (matter.category, matter.area, matter.channel) == ("wage_arrears", "T01V01", "walk_in")
    assert any(r.path.startswith("/dept/") for r in world.http.requests), "departments told"
    assert_nothing_in_prefect()

    # The UI's "Retry" runs the stored (cleared) form again: refused, no second matter.
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Scheduled(), force=True)
    execute_here(run_id)
    with get_client(sync_client=True) as client:
        again = client.read_flow_run(run_id)
    assert again.state is not None and again.state.is_failed()
    assert "已经登记过" in (again.state.message or "")
    assert len(matters()) == 1


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_refused_form_is_cleared_too_and_names_only_the_field(world: World) -> None:
    run_id = submit(form(phone="1369876543X"))
    execute_here(run_id)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.state is not None and run.state.is_failed()
    message = run.state.message or ""
    assert "联系电话" in message and "重新填写" in message
    assert run.parameters["form"]["phone"] == CLEARED
    app = get_app()
    with session(app.engine) as s:
        assert s.exec(select(func.count()).select_from(Citizen)).one() == 0
    assert_nothing_in_prefect()
    for secret in ("1369876543X",):
        assert all(secret not in row for _, row in prefect_rows())
