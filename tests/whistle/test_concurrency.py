"""Department answers are never lost or held up by a flow of the same matter that is running."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from engine.follow import FollowUp, carry_out
from service import actions
from service.app import get_app
from service.store.db import session
from tests.fixtures import World


def test_answer_lands_while_a_flow_of_the_matter_hangs_on_a_channel(world: World) -> None:
    doc = world.intake()
    number = doc["number"]
    world.http.wait_for(3)
    app = get_app()
    now = datetime.fromisoformat("2026-11-26T10:00:00+08:00")
    with session(app.engine) as s:  # the center adds a co-handler: one more notice to send
        actions.refer(
            session=s,
            app=app,
            number=number,
            lead="hrss",
            co=["public_security", "justice", "civil_affairs"],
            actor="center",
            now=now,
        )

    world.http.hang()
    outcome: list[FollowUp] = []
    flow_thread = threading.Thread(
        target=lambda: outcome.append(carry_out(app, "referral", number, now)), daemon=True
    )
    flow_thread.start()
    world.http.wait_for(4)  # the referral flow is now inside the hanging send

    started = time.monotonic()
    ack = world.cli("ack", number, "--department", "hrss", at="2026-11-26T10:01:00+08:00")
    answered_in = time.monotonic() - started
    assert ack.code == 0, ack.err
    assert flow_thread.is_alive(), "the flow should still be waiting on the channel"
    assert answered_in < 5, f"the answer waited {answered_in:.1f}s for the flow"

    world.http.release()
    flow_thread.join(timeout=30)
    assert outcome and outcome[0].finished
    doc = world.ok("show", number)
    assert doc["status"] == "in_progress"
    assert [e["actor"] for e in doc["events"] if e["action"] == "acknowledged"] == ["hrss"]
    civil = [r for r in world.http.requests if r.path == "/dept/civil_affairs"]
    assert len(civil) == 1
