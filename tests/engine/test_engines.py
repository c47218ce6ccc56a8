"""Two engines (`whistle worker`) on one PostgreSQL store: the whole lifecycle of many matters,
every transition, every notice and every step of every matter run exactly once, whichever engine
did which, and the work shared between them.

The acting side (the CLI, in this process) only writes the store (WHISTLE_DISPATCH=workers);
the engines are real processes talking to the store and to the session's Prefect API.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL
from sqlmodel import col, func, select

from models.tables import Event, Matter, MatterRun, Notice
from service import app as app_module
from service.app import get_app
from service.store.db import session
from tests.fixtures import World

ENGINES = 2
MATTERS = 6


def _wait(condition: object, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


REFERRED = re.compile(r"(M\d{8}-\d{4}) referred by the rules")
DRAWN = re.compile(r"(M\d{8}-\d{4}) drawn:")


@pytest.fixture
def engines(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Start the engines against this test's store and the session's Prefect API."""
    env = os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    logs = [tmp_path / f"engine-{i}.log" for i in range(ENGINES)]
    procs = []
    for log in logs:
        with log.open("w") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "whistle", "worker", "--limit", "2"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    try:
        for log in logs:
            _wait(
                lambda log=log: "engine started" in log.read_text(errors="replace"),
                f"{log.name} to start",
                timeout=60,
            )
        monkeypatch.setenv("WHISTLE_DISPATCH", "workers")
        app_module.reset()
        yield logs
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _status(number: str) -> str:
    with session(get_app().engine) as s:
        matter = s.exec(select(Matter).where(Matter.number == number)).one()
        return matter.status


def _settled() -> bool:
    with session(get_app().engine) as s:
        waiting = s.exec(select(func.count()).where(col(Notice.status) != "sent")).one()
        stale = s.exec(select(func.count()).where(col(Matter.run_stale).is_(True))).one()
    return waiting == 0 and stale == 0


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_two_engines_do_everything_once(world: World, engines: list[Path]) -> None:
    numbers = [world.intake(title=f"工资 {i}")["number"] for i in range(MATTERS)]
    for number in numbers:  # referral by the rules happens on an engine
        _wait(lambda number=number: _status(number) == "referred", f"{number} referred")
    for i, number in enumerate(numbers):
        for dept in ("hrss", "justice", "public_security"):
            world.ok("ack", number, "--department", dept)
        for dept in ("justice", "public_security"):
            world.ok("report", number, "--department", dept, "--note", "已协助")
        world.ok("resolve", number, "--department", "hrss", "--outcome", "handled", "--note", "ok")
        world.ok("feedback", number, "--satisfied" if i % 4 else "--unsatisfied")
    _wait(_settled, "every notice delivered and every run drawn")

    with session(get_app().engine) as s:
        notices = list(s.exec(select(Notice)).all())
        per_matter = Counter(
            (matter_id, action)
            for matter_id, action in s.exec(select(Event.matter_id, Event.action)).all()
        )
        statuses = Counter(s.exec(select(Matter.status)).all())
        run_ids = [r.flow_run_id for r in s.exec(select(MatterRun)).all()]

    # Every transition once, whatever the engines did in parallel.
    matter_ids = {m for m, _ in per_matter}
    assert len(matter_ids) == MATTERS
    for matter_id in matter_ids:
        for action, times in (
            ("received", 1),
            ("referred", 1),
            ("acknowledged", 3),
            ("reported", 2),
            ("resolved", 1),
        ):
            assert per_matter[(matter_id, action)] == times, (matter_id, action, per_matter)
    satisfied = sum(1 for i in range(MATTERS) if i % 4)
    assert statuses == Counter({"closed": satisfied, "in_progress": MATTERS - satisfied})

    # Every notice exactly once at the receivers.
    assert all(n.status == "sent" for n in notices)
    expected = sum(len(n.delivered) for n in notices)
    received = [(r.path, r.body) for r in world.http.requests]
    mails = [(m.rcpt_tos, m.subject, m.text) for m in world.smtp.messages]
    assert len(received) + len(mails) == expected
    assert len(set(received)) == len(received), "a webhook notice arrived twice"
    assert len(set(mails)) == len(mails), "an email arrived twice"

    # One run per matter, each step once: as many task runs as steps, no name twice.
    assert len(run_ids) == MATTERS and all(run_ids)
    with get_client(sync_client=True) as client:
        for run_id in run_ids:
            answer = client.request(
                "POST",
                "/task_runs/filter",
                json={"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200},
            )
            names = [t["name"] for t in answer.json()]
            assert names and len(names) == len(set(names)), names
            run = client.request("GET", "/flow_runs/{id}", path_params={"id": run_id}).json()
            assert run["state"]["name"] in ("已结案", "办理中")

    # The work was shared, and no matter was referred twice.
    referred = [REFERRED.findall(log.read_text(errors="replace")) for log in engines]
    assert sorted(n for found in referred for n in found) == sorted(numbers)
    drawn = [len(DRAWN.findall(log.read_text(errors="replace"))) for log in engines]
    assert all(drawn), f"matters drawn per engine: {drawn}"
