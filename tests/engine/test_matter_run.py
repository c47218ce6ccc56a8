"""The matter run: one Prefect flow run per matter, whose state is where the matter stands, whose
task runs are its steps, drawn by the engine from the store (`whistle worker --once`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlmodel import select

from models.tables import Matter, MatterRun
from service.app import get_app
from service.store.db import session
from tests.fixtures import World
from tests.prefect_db import prefect_rows

T = "2026-11-26T{}:00+08:00"  # Thursday; the sample's orange acknowledgement window is 2 h


def run_of(number: str) -> dict[str, Any]:
    """The matter's run on the Prefect server, as its API answers it."""
    with session(get_app().engine) as s:
        matter = s.exec(select(Matter).where(Matter.number == number)).one()
        row = s.get(MatterRun, matter.id)
    assert row is not None and row.flow_run_id, f"{number} has no run"
    with get_client(sync_client=True) as client:
        answer = client.request("GET", "/flow_runs/{id}", path_params={"id": row.flow_run_id})
        answer.raise_for_status()
        return dict(answer.json())


def steps_of(run_id: str) -> list[str]:
    with get_client(sync_client=True) as client:
        answer = client.request(
            "POST",
            "/task_runs/filter",
            json={"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200},
        )
        answer.raise_for_status()
        return sorted(t["name"] for t in answer.json())


def states_of(run_id: str) -> list[str]:
    with get_client(sync_client=True) as client:
        answer = client.request("GET", "/flow_run_states/", params={"flow_run_id": run_id})
        answer.raise_for_status()
        rows = sorted(answer.json(), key=lambda s: s["timestamp"])
        return [s["name"] for s in rows]


def runs_named(number: str) -> list[dict[str, Any]]:
    """Every run of the `matter` flow that this test's store drew for `number`."""
    with session(get_app().engine) as s:
        ids = [r.flow_run_id for r in s.exec(select(MatterRun)).all() if r.flow_run_id]
    with get_client(sync_client=True) as client:
        answer = client.request(
            "POST", "/flow_runs/filter", json={"flow_runs": {"id": {"any_": ids}}, "limit": 200}
        )
        answer.raise_for_status()
        return [r for r in answer.json() if r["parameters"].get("number") == number]


def drawn(world: World, at: str | None = None) -> dict[str, Any]:
    done: dict[str, Any] = world.ok("worker", "--once", at=at)
    assert done["errors"] == [], done
    return done


def where(number: str) -> tuple[str, str]:
    run = run_of(number)
    return run["state"]["type"], run["state"]["name"]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_run_follows_every_transition_and_level(world: World) -> None:
    number = world.intake(people=6, at=T.format("09:00"))["number"]  # orange
    drawn(world, T.format("09:00"))
    run = run_of(number)
    assert run["name"] == f"{number} · 拖欠工资 · 橙"
    assert {f"matter:{number}", "colour:orange", "lead:hrss", "town:T01"} <= set(run["tags"])
    assert run["parameters"] == {"number": number}
    assert where(number) == ("PAUSED", "待签收")
    assert "人社" in run["state"]["message"] and "签收" in run["state"]["message"]

    # The ladder on the acknowledgement clocks: 75 %, 100 %, 150 %, 200 % of 2 h.
    for at, expected in [
        ("10:31", ("PAUSED", "提醒")),
        ("11:01", ("FAILED", "催办")),
        ("12:01", ("FAILED", "督办")),
        ("13:01", ("FAILED", "通报")),
    ]:
        world.ok("sweep", at=T.format(at))
        drawn(world, T.format(at))
        assert where(number) == expected, at
    assert run_of(number)["name"] == f"{number} · 拖欠工资 · 红"  # supervision raised it
    assert "colour:red" in run_of(number)["tags"]

    for dept in ("hrss", "justice", "public_security"):
        world.ok("ack", number, "--department", dept, at=T.format("13:05"))
    drawn(world, T.format("13:05"))
    assert where(number) == ("RUNNING", "办理中")  # the late clocks stopped with the answers
    for dept in ("justice", "public_security"):
        world.ok("report", number, "--department", dept, "--note", "已协助", at=T.format("14:00"))
    world.ok(
        "resolve",
        number,
        "--department",
        "hrss",
        "--outcome",
        "mediated",
        "--note",
        "好",
        at=T.format("15:00"),
    )
    drawn(world, T.format("15:00"))
    assert where(number) == ("PAUSED", "待回访")
    world.ok("feedback", number, "--unsatisfied", at=T.format("16:00"))
    drawn(world, T.format("16:00"))
    assert where(number) == ("RUNNING", "办理中")  # reopened: active again
    world.ok(
        "resolve",
        number,
        "--department",
        "hrss",
        "--outcome",
        "handled",
        "--note",
        "好",
        at=T.format("17:00"),
    )
    world.ok("feedback", number, "--satisfied", at=T.format("17:30"))
    drawn(world, T.format("17:30"))
    assert where(number) == ("COMPLETED", "已结案")

    run = run_of(number)
    assert len(runs_named(number)) == 1, "one run per matter"
    history = states_of(run["id"])
    for name in ("待签收", "提醒", "催办", "督办", "通报", "办理中", "待回访", "已结案"):
        assert name in history
    steps = steps_of(run["id"])
    assert any("受理" in s for s in steps) and any("分流交办 · 主办人社" in s for s in steps)
    assert any(s.endswith("· 督办 · 公安（签收时限）") for s in steps), steps
    assert any("已通知 ·" in s for s in steps)
    assert sum("结案" in s for s in steps) == 1 and sum("重办" in s for s in steps) == 1

    returned = world.intake(title="不归我们", at=T.format("09:10"))["number"]
    world.ok(
        "return", returned, "--department", "hrss", "--reason", "非本单位职责", at=T.format("09:20")
    )
    drawn(world, T.format("17:40"))
    assert where(returned) == ("PAUSED", "已退回")


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_drawing_again_doubles_nothing(world: World) -> None:
    number = world.intake()["number"]
    world.ok("ack", number, "--department", "hrss")
    drawn(world)
    run = run_of(number)
    steps, states = steps_of(run["id"]), states_of(run["id"])
    assert drawn(world)["drawn"] == 0  # nothing stale: nothing drawn
    # As if an engine died after drawing and before recording it: everything is drawn again,
    # and Prefect keeps one task run per step and the one run per matter.
    with session(get_app().engine) as s:
        for row in s.exec(select(MatterRun)).all():
            row.shown_event_id, row.state = 0, None
            s.add(row)
        for matter in s.exec(select(Matter)).all():
            matter.run_stale = True
            s.add(matter)
        s.commit()
    assert drawn(world)["drawn"] == 1
    assert steps_of(run["id"]) == steps
    assert len(runs_named(number)) == 1
    assert states_of(run["id"])[-1] == states[-1]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_prefect_down_loses_nothing_and_catches_up(world: World) -> None:
    number = world.intake()["number"]
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):  # nothing listens
        world.ok("ack", number, "--department", "hrss")  # actions never wait for Prefect
        down = world.ok("worker", "--once")
        assert down["drawn"] == 0 and down["not_drawn"] == 1
    assert world.ok("show", number)["status"] == "in_progress"
    # The matter was put off; once the lease of its back-off ends, it is drawn whole.
    with session(get_app().engine) as s:
        row = s.exec(select(MatterRun)).one()
        assert row.failures == 1 and row.flow_run_id is None
        row.lease_until = None
        s.add(row)
        s.commit()
    drawn(world)
    assert where(number) == ("RUNNING", "办理中")
    assert any("签收 · 人社" in s for s in steps_of(run_of(number)["id"]))


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_wiped_prefect_database_is_drawn_again(world: World) -> None:
    first = world.intake()["number"]
    second = world.intake(title="第二件")["number"]
    world.ok("ack", first, "--department", "hrss")
    drawn(world)
    before = {n: (where(n), steps_of(run_of(n)["id"])) for n in (first, second)}
    # Deleting the `matter` flow takes every one of its runs with it, as a new database would;
    # the flow comes back with another id, which tells the engine to draw everything again.
    with get_client(sync_client=True) as client:
        flow = client.request("GET", "/flows/name/{name}", path_params={"name": "matter"})
        client.request("DELETE", "/flows/{id}", path_params={"id": flow.json()["id"]})
    assert drawn(world)["drawn"] >= 2
    for n in (first, second):
        assert (where(n), steps_of(run_of(n)["id"])) == before[n]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_clicks_in_the_ui_are_undone(world: World) -> None:
    number = world.intake()["number"]
    drawn(world)
    run_id = run_of(number)["id"]
    with get_client(sync_client=True) as client:  # a supervisor presses Cancel, then Resume
        for state in ({"type": "CANCELLED", "name": "Cancelled"}, {"type": "RUNNING"}):
            client.request(
                "POST",
                "/flow_runs/{id}/set_state",
                path_params={"id": run_id},
                json={"state": state, "force": True},
            ).raise_for_status()
    assert where(number)[1] == "Running"
    drawn(world)  # the engine's look for foreign states sets it back
    assert where(number) == ("PAUSED", "待签收")
    # Deleting the run: it is drawn again, whole, at the matter's next step.
    with get_client(sync_client=True) as client:
        client.request("DELETE", "/flow_runs/{id}", path_params={"id": run_id})
    world.ok("ack", number, "--department", "hrss")
    drawn(world)
    again = run_of(number)
    assert again["id"] != run_id and where(number) == ("RUNNING", "办理中")
    assert any("受理" in s for s in steps_of(again["id"]))


NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13987654321", "11010519491231002X"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_no_personal_data_in_matter_runs(world: World) -> None:
    number = world.intake(
        name=NAME,
        phone=PHONE,
        id_number=ID_NUMBER,
        title=f"{NAME}反映工资被拖欠",
        description=f"{NAME}（电话{PHONE}，身份证{ID_NUMBER}）反映被拖欠工资。",
    )["number"]
    world.ok("ack", number, "--department", "hrss")
    world.ok("return", number, "--department", "justice", "--reason", f"{NAME}的事不归我们")
    world.ok("sweep", at="2026-12-20T10:00:00+08:00")
    drawn(world, "2026-12-20T10:00:00+08:00")
    run = run_of(number)
    assert states_of(run["id"]) and steps_of(run["id"])
    rows = prefect_rows()
    assert any(number in row for table, row in rows if table == "flow_run")
    for table, row in rows:
        for secret in (NAME, PHONE, ID_NUMBER, "娜娜", "87654321"):
            assert secret not in row, f"{secret!r} in Prefect's {table}: {row[:200]}"
    assert json.dumps(run, ensure_ascii=False).count(number) >= 1


def test_an_unreachable_prefect_never_blocks_an_answer(world: World) -> None:
    """With an engine seen alive, an action only writes the store: even with Prefect and every
    channel gone, it answers at once (the follow-up is the engine's)."""
    from engine.presence import beat, wall_now

    beat(get_app().engine, "test-engine", wall_now())
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        doc = world.intake()
    assert doc["status"] == "received"  # left to the engine, which refers it
    assert not world.http.requests
    world.ok("worker", "--once")
    assert world.ok("show", doc["number"])["status"] == "referred"
    assert any(r.path.startswith("/dept/") for r in world.http.requests)
