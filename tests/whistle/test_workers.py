"""Three Prefect task workers on one PostgreSQL store: the whole lifecycle of many matters, every
transition and every notice exactly once, whichever worker ran which stage.

The acting side (the CLI, in this process) only writes the store and submits each stage; the
workers are real `whistle worker` processes talking to the session's Prefect API.
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
from prefect.settings import PREFECT_API_URL, PREFECT_RESULTS_LOCAL_STORAGE_PATH
from sqlmodel import col, func, select

from models.tables import Event, Matter, Notice
from service import app as app_module
from service.app import get_app
from service.store.db import session
from tests.fixtures import World

WORKERS = 3
MATTERS = 6


def _wait(condition: object, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


STAGE_DONE = re.compile(
    r"· (intake|referral|handling|resolution|feedback|closing)' - Finished in state Completed"
)


def _stage_runs(log: Path) -> int:
    """Stage task runs this worker finished (its inner task runs have other names)."""
    return len(STAGE_DONE.findall(log.read_text(encoding="utf-8", errors="replace")))


@pytest.fixture
def workers(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Start the workers against this test's store and the session's Prefect API."""
    storage = tmp_path / "task-parameters"
    env = os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(storage),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    # Submitting and running must agree on where task parameters are kept.
    from prefect.settings import temporary_settings

    logs = [tmp_path / f"worker-{i}.log" for i in range(WORKERS)]
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
                lambda log=log: "Subscribing to runs of task" in log.read_text(errors="replace"),
                f"{log.name} to start",
                timeout=60,
            )
        monkeypatch.setenv("WHISTLE_DISPATCH", "workers")
        app_module.reset()
        with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage}):
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


def _outbox_settled() -> bool:
    with session(get_app().engine) as s:
        waiting = s.exec(select(func.count()).where(col(Notice.status) != "sent")).one()
    return waiting == 0


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_three_workers_run_every_stage_once(world: World, workers: list[Path]) -> None:
    numbers = [world.intake(title=f"工资 {i}")["number"] for i in range(MATTERS)]
    for number in numbers:  # the intake stage (referral by the rules) runs on a worker
        _wait(lambda number=number: _status(number) == "referred", f"{number} referred")
    for i, number in enumerate(numbers):
        for dept in ("hrss", "justice", "public_security"):
            world.ok("ack", number, "--department", dept)
        for dept in ("justice", "public_security"):
            world.ok("report", number, "--department", dept, "--note", "已协助")
        world.ok("resolve", number, "--department", "hrss", "--outcome", "handled", "--note", "ok")
        world.ok("feedback", number, "--satisfied" if i % 4 else "--unsatisfied")
    stages = MATTERS * 8  # intake, 3 acks, 2 reports, resolution, feedback
    _wait(lambda: sum(_stage_runs(log) for log in workers) >= stages, "every stage finished")
    _wait(_outbox_settled, "every notice delivered")

    with session(get_app().engine) as s:
        notices = list(s.exec(select(Notice)).all())
        per_matter = Counter(
            (matter_id, action)
            for matter_id, action in s.exec(select(Event.matter_id, Event.action)).all()
        )
        statuses = Counter(s.exec(select(Matter.status)).all())

    # Every transition once: one registration, one referral (by the rules), one resolution
    # and one feedback per matter, whatever the workers did in parallel.
    matter_ids = {m for m, _ in per_matter}
    assert len(matter_ids) == MATTERS
    for matter_id in matter_ids:
        for action, times in (
            ("received", 1),
            ("referred", 1),
            ("acknowledged", 3),
            ("reported", 2),
        ):
            assert per_matter[(matter_id, action)] == times, (matter_id, action, per_matter)
        assert per_matter[(matter_id, "resolved")] == 1
    satisfied = sum(1 for i in range(MATTERS) if i % 4)
    assert statuses == Counter({"closed": satisfied, "in_progress": MATTERS - satisfied})

    # Every notice exactly once at the receivers: what the outbox says it delivered arrived,
    # and nothing arrived twice.
    assert all(n.status == "sent" for n in notices)
    expected = sum(len(n.delivered) for n in notices)
    received = [(r.path, r.body) for r in world.http.requests]
    mails = [(m.rcpt_tos, m.subject, m.text) for m in world.smtp.messages]
    assert len(received) + len(mails) == expected
    assert len(set(received)) == len(received), "a webhook notice arrived twice"
    assert len(set(mails)) == len(mails), "an email arrived twice"

    # The work was shared: more than one worker ran stages.
    runs = [_stage_runs(log) for log in workers]
    assert sum(runs) == stages, f"stage runs per worker: {runs}"
    assert sum(1 for r in runs if r) >= 2, f"stage runs per worker: {runs}"
