"""Kill -9 in the middle of a story: the Prefect server (during the intake's referral flow,
before an intake, during a notice delivery) and a `whistle` process (during a delivery).

Everything runs as real processes: `prefect server start` with its own home and SQLite
database, and the `whistle` command as a subprocess with PREFECT_API_URL set, its own
WHISTLE_HOME and a SQLite store; notices go to real loopback receivers in this process. The
store is the truth: a process that dies never takes a recorded action with it, and the sweep
completes what a dead flow left.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.faults.processes import PrefectServer, Whistle
from tests.fixtures import ROOT
from tests.properties import invariants
from tests.receivers import HttpReceiver, SmtpReceiver, wire_channels

T = "2026-11-26T{}:00+08:00"


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    server = PrefectServer(tmp_path_factory.mktemp("prefect"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def whistle(
    tmp_path: Path,
    prefect_server: PrefectServer,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> Whistle:
    """The command with a fresh home, store and configuration wired to the receivers."""
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    wire_channels(folder, http_receiver, smtp_receiver)
    command = Whistle(
        {
            "WHISTLE_HOME": str(tmp_path / "home"),
            "WHISTLE_CONFIG": str(folder),
            "WHISTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'whistle.db'}",
            "WHISTLE_ALLOW_CLOCK_OVERRIDE": "1",
            "WHISTLE_LINK_BASE": "https://whistle.example/",
            "PREFECT_API_URL": prefect_server.api,
            "PREFECT_HOME": str(tmp_path / "prefect-client"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
    )
    if prefect_server.process is None or prefect_server.process.poll() is not None:
        prefect_server.start()
    command.ok("init")
    return command


def wait_for(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def store(whistle: Whistle) -> sa.engine.Engine:
    return sa.create_engine(whistle.env["WHISTLE_DATABASE_URL"])


def delivered_once(http: HttpReceiver, smtp: SmtpReceiver, outbox: list[dict[str, Any]]) -> None:
    """Every notice in the outbox arrived, none twice: one request per (path, text) for each
    webhook notice, one mail per subject for the center's email."""
    hooks = Counter((r.path, r.json["title"], r.json["message"]) for r in http.requests)
    assert max(hooks.values()) == 1, [k[:2] for k, n in hooks.items() if n > 1]
    mails = Counter(m.subject for m in smtp.messages)
    assert not mails or max(mails.values()) == 1, mails
    assert {n["status"] for n in outbox} == {"sent"}, Counter(n["status"] for n in outbox)
    # every notice reaches the webhook ('*'), the center's also by email
    assert len(http.requests) == len(outbox)
    assert len(smtp.messages) == sum(n["recipient"] == "center" for n in outbox)


def test_prefect_server_killed_mid_story_loses_nothing(
    whistle: Whistle,
    prefect_server: PrefectServer,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    """Proves: kill -9 of the Prefect server (1) while an intake's flow is delivering the
    referral notices, (2) before an intake (its flow cannot start at all) and (3) while the
    resolution notices are being delivered loses no action and doubles nothing: every
    command records its action and exits 0 with a warning; after a restart on the same port
    and database the sweep refers the matter that was never referred and sends what was left;
    both stories complete with every transition and every notice exactly once, none stuck."""
    http, smtp = http_receiver, smtp_receiver

    # (1) killed while the intake flow delivers: the referral is committed first
    http.hang()
    intake = whistle.start(
        "intake",
        "--category=wage_arrears",
        "--title=工地拖欠工资",
        "--description=三人两月",
        "--area=T01V01",
        "--name=张三丰",
        "--phone=13812345678",
        "--people=3",
        at=T.format("09:00"),
    )
    wait_for(lambda: len(http.requests) >= 1, "the intake flow to reach the channel")
    prefect_server.kill()
    http.release()
    code, out, err = finish(intake)
    assert code == 0, err[-2000:]
    first = whistle_json(out)["number"]
    assert "flow did not finish" in err

    # (2) dead before an intake: recorded, nobody summoned yet
    code_2 = whistle.run(
        "intake",
        "--category=neighbour",
        "--title=楼上漏水",
        "--description=漏水",
        "--area=T01V02",
        "--name=李四",
        "--phone=13900001111",
        at=T.format("09:10"),
    )
    assert code_2.code == 0 and "flow did not finish" in code_2.err
    second = code_2.data["number"]
    assert code_2.data["status"] == "received"

    prefect_server.start()  # same port, same database
    swept = whistle.ok("sweep", at=T.format("09:15"))
    assert swept["referred"] == [second]
    for department in ("hrss", "public_security", "justice"):
        whistle.ok("ack", first, "--department", department, at=T.format("09:20"))
    for department in ("public_security", "justice"):
        whistle.ok(
            "report", first, "--department", department, "--note", "已报送", at=T.format("09:30")
        )

    # (3) killed while the resolution notices are delivered (the center's webhook hangs)
    http.hang()
    resolve = whistle.start(
        "resolve",
        first,
        "--department",
        "hrss",
        "--outcome",
        "mediated",
        "--note",
        "已结清",
        at=T.format("10:00"),
    )
    seen = len(http.requests)
    wait_for(lambda: len(http.requests) > seen, "the resolution flow to reach the channel")
    prefect_server.kill()
    http.release()
    code, out, err = finish(resolve)
    assert code == 0, err[-2000:]
    assert whistle_json(out)["status"] == "resolved"

    prefect_server.start()
    whistle.ok("sweep", at=T.format("10:05"))
    whistle.ok("feedback", first, "--satisfied", at=T.format("11:00"))
    lead = whistle.ok("show", second)["lead_department"]
    whistle.ok("ack", second, "--department", lead, at=T.format("11:00"))
    whistle.ok("sweep", at=T.format("11:05"))

    story = whistle.ok("show", first)
    assert story["status"] == "closed"
    actions = [e["action"] for e in story["events"] if e["action"] != "notified"]
    assert actions == [
        "received",
        "referred",
        "acknowledged",
        "acknowledged",
        "acknowledged",
        "reported",
        "reported",
        "resolved",
        "closed",
    ]
    assert whistle.ok("show", second)["status"] == "in_progress"
    outbox = whistle.ok("notices")
    delivered_once(http, smtp, outbox)
    for number in (first, second):
        notified = Counter(
            e["data"]["notice"]
            for e in whistle.ok("show", number)["events"]
            if e["action"] == "notified"
        )
        assert set(notified.values()) == {1}
        assert len(notified) == len(whistle.ok("notices", "--number", number))
    assert whistle.ok("list", "--status", "received") == []
    assert prefect_server.kills == 2
    engine = store(whistle)
    try:
        invariants.check(engine, [first, second])
    finally:
        engine.dispose()


def whistle_json(out: str) -> Any:
    import json

    return json.loads(out)


def test_whistle_killed_mid_delivery_is_redelivered_once_after_the_claim_expires(
    whistle: Whistle, http_receiver: HttpReceiver
) -> None:
    """Proves: kill -9 of a `whistle` process while it waits on a channel leaves its notice
    claimed ('sending'); sweeps before the claim expires (10 minutes) leave it alone, the
    first sweep after sends it once more, and later sweeps never again. The receiver sees the
    cut-off attempt (it never answered) and exactly one complete delivery; the store records
    one."""
    http = http_receiver
    number = whistle.ok(
        "intake",
        "--category=wage_arrears",
        "--title=讨薪",
        "--description=d",
        "--area=T01V01",
        "--name=张三丰",
        "--phone=13812345678",
        "--people=3",
        at=T.format("09:00"),
    )["number"]
    wait_for(lambda: len(http.requests) >= 3, "the referral notices")
    http.hang()
    refer = whistle.start(
        "refer",
        number,
        "--lead",
        "hrss",
        "--co",
        "public_security",
        "--co",
        "justice",
        "--co",
        "civil_affairs",
        at=T.format("09:30"),
    )
    wait_for(lambda: any(r.path == "/dept/civil_affairs" for r in http.requests), "the send")
    os.killpg(refer.pid, signal.SIGKILL)
    refer.wait(10)
    http.release()
    claimed = [
        n for n in whistle.ok("notices", "--number", number) if n["recipient"] == "civil_affairs"
    ]
    assert [n["status"] for n in claimed] == ["sending"]

    whistle.ok("sweep", at=T.format("09:35"))  # the claim (taken at 09:30) still holds
    assert [r.path for r in http.requests].count("/dept/civil_affairs") == 1
    whistle.ok("sweep", at=T.format("09:41"))  # expired: taken back and sent
    whistle.ok("sweep", at=T.format("09:50"))
    whistle.ok("sweep", at=T.format("11:00"))
    copies = [r for r in http.requests if r.path == "/dept/civil_affairs"]
    assert len(copies) == 2 and copies[0].json == copies[1].json
    notice = next(
        n for n in whistle.ok("notices", "--number", number) if n["recipient"] == "civil_affairs"
    )
    assert notice["status"] == "sent"
    notified = [
        e
        for e in whistle.ok("show", number)["events"]
        if e["action"] == "notified" and e["data"]["recipient"] == "civil_affairs"
    ]
    assert len(notified) == 1
    engine = store(whistle)
    try:
        invariants.check(engine, [number])
    finally:
        engine.dispose()
