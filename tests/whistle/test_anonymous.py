"""Anonymous matters (匿名) in the service layer: registered without a name or a phone, handled
like any other, closed at resolution without a feedback request, past retention without
trouble; the clerk's CLI still asks for both, as a walk-in always gives them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from models.tables import Citizen, Matter, Notice
from service import actions
from service.app import get_app
from service.inputs import OpenIntake
from service.store.db import session
from tests.fixtures import World
from tests.properties.helpers import act

NOW = datetime(2026, 11, 26, 1, tzinfo=UTC)
INTAKE = {
    "category": "neighbour",
    "title": "楼上深夜噪音",
    "description": "楼上每晚十二点后仍有噪音。",
    "area": "T01V01",
    "channel": "hotline",
}


@pytest.mark.parametrize(
    ("contact", "anonymous"),
    [({}, True), ({"name": "李四"}, True), ({"phone": "13900001111"}, False)],
    ids=["nothing", "a name only", "a phone only"],
)
def test_the_service_layer_registers_without_name_or_phone(
    world: World, contact: dict[str, str], anonymous: bool
) -> None:
    app = get_app()
    intake = OpenIntake.model_validate(INTAKE | contact | {"lat": 40.69, "long": 109.81})
    matter = act(app, actions.register, intake=intake, now=NOW)
    with session(app.engine) as s:
        stored = s.exec(select(Matter).where(Matter.number == matter.number)).one()
        citizen = s.get(Citizen, stored.citizen_id)
    assert stored.anonymous is anonymous and (stored.lat, stored.long) == (40.69, 109.81)
    assert citizen is not None
    assert (citizen.name, citizen.phone) == (contact.get("name", ""), contact.get("phone", ""))
    received = world.ok("show", matter.number)["events"][0]
    assert received["action"] == "received"
    assert received["data"].get("anonymous", False) is anonymous


def test_an_anonymous_matter_closes_at_resolution_and_passes_retention(world: World) -> None:
    app = get_app()
    intake = OpenIntake.model_validate(INTAKE | {"lat": 40.6950, "long": 109.8050})
    matter = act(app, actions.register, intake=intake, now=NOW)
    number = matter.number
    world.ok("refer", number, "--lead", "T01V01.mediation")
    world.ok("ack", number, "--department", "T01V01.mediation")
    world.ok(
        "resolve",
        number,
        "--department",
        "T01V01.mediation",
        "--outcome",
        "mediated",
        "--note",
        "好",
    )
    doc = world.ok("show", number)
    assert (doc["status"], doc["feedback"], doc["anonymous"]) == ("closed", "anonymous", True)
    assert [e["action"] for e in doc["events"] if e["action"] != "notified"][-2:] == [
        "resolved",
        "closed",
    ]
    with session(app.engine) as s:
        kinds = s.exec(select(Notice.kind).where(Notice.matter_id == matter.id)).all()
    assert "feedback_request" not in kinds and "closing" in kinds
    refused = world.cli("feedback", number, "--satisfied")  # nobody could have been asked
    assert refused.code == 2 and refused.data["refusal"] == "matter_closed"
    assert world.ok("sweep", at="2026-12-10T09:00:00+08:00") is not None  # nothing left to chase
    assert world.ok("verify", number)["ok"] is True
    world.ok("retention", at="2030-01-01T09:00:00+08:00")
    erased = world.ok("show", number)
    assert erased["status"] == "closed" and erased["area"] == "T01V01"
    assert (erased["lat"], erased["long"]) == (None, None)  # the point goes with the person


def test_the_cli_intake_still_requires_a_name_and_a_phone(world: World) -> None:
    for missing in ("--name", "--phone"):
        args = ["intake", "--category", "neighbour", "--title", "噪音", "--description", "噪音"]
        args += ["--area", "T01V01", "--name", "王五", "--phone", "13900002222"]
        at = args.index(missing)
        with pytest.raises(SystemExit) as refused:  # argparse: a required option is missing
            world.cli(*(args[:at] + args[at + 2 :]))
        assert refused.value.code == 2
        assert missing in world.capsys.readouterr().err
