"""Kill -9 in the middle of a story: the Prefect server (with an engine running), a `whistle`
process (during a delivery), an engine (during a delivery) and the API (mid-request).

Everything runs as real processes: `prefect server start` with its own home and SQLite
database, and the `whistle` command as a subprocess with PREFECT_API_URL set, its own
WHISTLE_HOME and a SQLite store; notices go to real loopback receivers in this process. The
store is the truth: a process that dies never takes a recorded action with it, and an engine or
the sweep completes what a dead process left.
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

import httpx
import pytest
import sqlalchemy as sa

from tests.faults.processes import PrefectServer, Whistle, free_port, kill, stop
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
    tmp_path: Path,
) -> None:
    """Proves: kill -9 of the Prefect server in the middle of a story, with an engine running,
    costs nothing but the picture's delay: every command (which never talks to Prefect) records
    its action and answers at once; the engine goes on referring and sending without it; once the
    server is back on the same database, the engine draws each matter's run with every step
    exactly once, and every notice went out exactly once."""
    http, smtp = http_receiver, smtp_receiver
    command = Whistle({})
    command.env = dict(whistle.env, WHISTLE_DISPATCH="workers")
    log = tmp_path / "engine.log"
    engine = command.serve("worker", "--at", T.format("09:00"), log=log)
    try:
        wait_for(lambda: "engine started" in log.read_text(errors="replace"), "the engine")
        first = command.ok(
            "intake",
            "--category=wage_arrears",
            "--title=工地拖欠工资",
            "--description=三人两月",
            "--area=T01V01",
            "--name=张三丰",
            "--phone=13812345678",
            "--people=3",
            at=T.format("09:00"),
        )["number"]
        wait_for(lambda: settled(command, first), "the first matter's referral notices")
        prefect_server.kill()
        started = time.monotonic()
        second = command.ok(
            "intake",
            "--category=neighbour",
            "--title=楼上漏水",
            "--description=漏水",
            "--area=T01V02",
            "--name=李四",
            "--phone=13900001111",
            at=T.format("09:10"),
        )["number"]
        for department in ("hrss", "public_security", "justice"):
            command.ok("ack", first, "--department", department, at=T.format("09:20"))
        assert time.monotonic() - started < 30, "commands waited for the dead Prefect server"
        wait_for(lambda: command.ok("show", second)["status"] == "referred", "referral")
        wait_for(lambda: settled(command, second), "the second matter's notices, Prefect down")
        prefect_server.start()  # same port, same database
        wait_for(lambda: not stale(command), "the engine to draw both runs", timeout=120)
    finally:
        stop(engine)
    delivered_once(http, smtp, command.ok("notices"))
    with store(command).connect() as conn:
        rows = conn.execute(sa.text("select matter_id, flow_run_id from matter_run")).all()
    runs: dict[int, str] = {int(r[0]): str(r[1]) for r in rows if r[1]}
    assert len(runs) == 2 and all(runs.values())
    with httpx.Client(base_url=prefect_server.api) as api:
        for run_id in runs.values():
            steps = api.post(
                "/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}}
            ).json()
            names = [s["name"] for s in steps]
            assert names and len(names) == len(set(names)), names
        states = {api.get(f"/flow_runs/{i}").json()["state_name"] for i in runs.values()}
    assert states == {"办理中", "待签收"}
    assert prefect_server.kills == 1
    engine_ = store(command)
    try:
        invariants.check(engine_, [first, second])
    finally:
        engine_.dispose()


def stale(whistle: Whistle) -> bool:
    with store(whistle).connect() as conn:
        return bool(conn.execute(sa.text("select count(*) from matter where run_stale")).scalar())


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
    refer.communicate(timeout=10)  # reap it and close its pipes
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


def settled(whistle: Whistle, number: str) -> bool:
    return {n["status"] for n in whistle.ok("notices", "--number", number)} == {"sent"}


def test_engine_killed_mid_delivery_a_new_engine_finishes_it(
    whistle: Whistle, http_receiver: HttpReceiver, tmp_path: Path
) -> None:
    """Proves: with the follow-up left to engines (WHISTLE_DISPATCH=workers), kill -9 of the
    engine while it sends the referral notices loses nothing: the referral was committed before;
    a new engine sends what was left, the notice the dead engine was sending goes again once its
    claim expires, and the rest of the story runs on the new engine with every transition and
    notice once."""
    http = http_receiver
    command = Whistle({})
    command.env = dict(whistle.env, WHISTLE_DISPATCH="workers")

    def worker(name: str, at: str) -> Any:
        log = tmp_path / f"{name}.log"
        process = command.serve("worker", "--limit", "2", "--at", at, log=log)
        wait_for(lambda: "engine started" in log.read_text(errors="replace"), name)
        return process

    first = worker("worker-1", T.format("09:00"))
    http.hang()
    number = command.ok(
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
    wait_for(lambda: len(http.requests) >= 1, "the engine's delivery to reach the channel")
    kill(first)
    http.release()
    cut_off = http.requests[0].path
    assert command.ok("show", number)["status"] == "referred"

    second = worker("worker-2", T.format("09:11"))  # past the claim
    try:
        wait_for(lambda: settled(command, number), "the referral notices")
        for department in ("hrss", "public_security", "justice"):
            command.ok("ack", number, "--department", department, at=T.format("09:20"))
        command.ok(
            "progress", number, "--department", "hrss", "--note", "已约谈", at=T.format("09:30")
        )
        wait_for(lambda: settled(command, number), "the new engine's follow-ups")
    finally:
        stop(second)
    paths = Counter(r.path for r in http.requests)
    assert paths[cut_off] == 2  # the attempt cut off by the kill, and one complete delivery
    assert set(paths.values()) <= {1, 2} and sum(v == 2 for v in paths.values()) == 1
    doc = command.ok("show", number)
    actions = Counter(e["action"] for e in doc["events"])
    assert (actions["referred"], actions["acknowledged"], actions["progress"]) == (1, 3, 1)
    notified = Counter(e["data"]["notice"] for e in doc["events"] if e["action"] == "notified")
    assert set(notified.values()) == {1} and len(notified) == 3
    engine = store(command)
    try:
        invariants.check(engine, [number])
    finally:
        engine.dispose()


def test_api_killed_mid_request_the_action_stands_and_is_not_done_twice(
    whistle: Whistle, http_receiver: HttpReceiver, tmp_path: Path
) -> None:
    """Proves: kill -9 of the API process while it sends the notices of a resolution it has
    committed: the caller's request fails, but the resolution stands; the restarted API
    answers the same request (same Idempotency-Key) with the matter as it is, without
    resolving it again; the sweep sends the notices left behind, each once (the one cut off
    mid-send once more after its claim expires)."""
    import httpx

    http = http_receiver
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def api() -> Any:
        process = whistle.serve("api", "--port", str(port), log=tmp_path / "api.log")

        def up() -> bool:
            try:
                return httpx.get(f"{base}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, "the API to answer")
        return process

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
    for department in ("hrss", "public_security", "justice"):
        whistle.ok("ack", number, "--department", department, at=T.format("09:10"))
    for department in ("public_security", "justice"):
        whistle.ok(
            "report", number, "--department", department, "--note", "已报送", at=T.format("09:20")
        )
    token = whistle.ok("token", "create", "--department", "hrss")["token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": "resolve-1",
        "X-Whistle-As-Of": T.format("10:00"),
    }
    body = {"outcome": "mediated", "note": "工资已结清"}
    server = api()
    http.hang()
    before = len(http.requests)
    failures: list[Exception] = []

    def send() -> None:
        try:
            httpx.post(
                f"{base}/api/matters/{number}/resolve", json=body, headers=headers, timeout=60
            )
        except httpx.HTTPError as exc:
            failures.append(exc)

    import threading

    caller = threading.Thread(target=send)
    caller.start()
    wait_for(lambda: len(http.requests) > before, "the resolution flow to reach the channel")
    kill(server)
    http.release()
    caller.join(30)
    assert failures, "the caller should have lost its connection"
    assert whistle.ok("show", number)["status"] == "resolved"

    server = api()
    try:
        later = dict(headers, **{"X-Whistle-As-Of": T.format("10:05")})
        again = httpx.post(
            f"{base}/api/matters/{number}/resolve", json=body, headers=later, timeout=60
        )
    finally:
        stop(server)
    assert again.status_code == 200, again.text
    assert again.json()["matter"]["status"] == "resolved"
    whistle.ok("sweep", at=T.format("10:06"))
    whistle.ok("sweep", at=T.format("10:12"))  # the cut-off claim has expired
    doc = whistle.ok("show", number)
    assert [e["action"] for e in doc["events"]].count("resolved") == 1
    outbox = whistle.ok("notices", "--number", number)
    assert {n["status"] for n in outbox} == {"sent"}
    notified = Counter(e["data"]["notice"] for e in doc["events"] if e["action"] == "notified")
    assert set(notified.values()) == {1} and len(notified) == len(outbox)
    engine = store(whistle)
    try:
        invariants.check(engine, [number])
    finally:
        engine.dispose()


def test_api_killed_after_an_intake_committed_the_retry_gets_the_same_number(
    whistle: Whistle, http_receiver: HttpReceiver, tmp_path: Path
) -> None:
    """Proves: kill -9 of the API after an Open311 intake committed and before it answered
    (it is delivering the referral notices, which hang): the hotline never learns the number,
    but its retry with the same Idempotency-Key, to the restarted API minutes later, gets that
    very number at once (the answer was stored with the matter, in one transaction), and no
    second matter is registered."""
    import threading

    import httpx

    http = http_receiver
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def api() -> Any:
        process = whistle.serve("api", "--port", str(port), log=tmp_path / "api.log")

        def up() -> bool:
            try:
                return httpx.get(f"{base}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, "the API to answer")
        return process

    hotline = whistle.ok("token", "create", "--channel", "hotline")["token"]
    form = {
        "api_key": hotline,
        "service_code": "wage_arrears",
        "description": "某工地拖欠三名工人两个月工资",
        "last_name": "张",
        "first_name": "三丰",
        "phone": "13812345678",
        "address_string": "东园街道和平社区3号楼",
        "attribute[people]": "3",
    }
    key = {"Idempotency-Key": "12345-call-0931", "X-Whistle-As-Of": T.format("09:31")}
    server = api()
    http.hang()
    lost: list[Exception] = []

    def submit() -> None:
        try:
            httpx.post(f"{base}/open311/v2/requests.json", data=form, headers=key, timeout=60)
        except httpx.HTTPError as exc:
            lost.append(exc)

    caller = threading.Thread(target=submit)
    caller.start()
    wait_for(lambda: len(http.requests) >= 1, "the intake flow to reach the channel")
    kill(server)  # committed (the referral is being notified), not answered
    http.release()
    caller.join(30)
    assert lost, "the hotline should have lost its connection"
    [registered] = whistle.ok("list")
    number = registered["number"]

    server = api()
    try:
        later = dict(key, **{"X-Whistle-As-Of": T.format("09:40")})  # past the 2-minute wait
        again = httpx.post(f"{base}/open311/v2/requests.json", data=form, headers=later, timeout=60)
    finally:
        stop(server)
    assert again.status_code == 201, again.text
    assert again.headers["idempotency-replayed"] == "true"
    assert again.json()[0]["service_request_id"] == number
    assert [m["number"] for m in whistle.ok("list")] == [number]
    whistle.ok("sweep", at=T.format("09:45"))  # the cut-off notice's claim has expired
    outbox = whistle.ok("notices", "--number", number)
    assert {n["status"] for n in outbox} == {"sent"}
    engine = store(whistle)
    try:
        invariants.check(engine, [number])
    finally:
        engine.dispose()


def test_killed_between_channels_the_notice_goes_only_where_it_had_not(
    whistle: Whistle, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> None:
    """Proves: a notice to the center goes by email, then by webhook. Kill -9 of the `whistle`
    process after the email took it and while the webhook hangs: once the claim expires, the
    sweep sends it by webhook only (the email was recorded when it succeeded), so the center
    gets one mail, and the webhook one complete delivery besides the cut-off attempt."""
    http, smtp = http_receiver, smtp_receiver
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
    returned = whistle.start(
        "return", number, "--department", "justice", "--reason", "不属本部门", at=T.format("09:30")
    )
    wait_for(lambda: any(r.path == "/dept/center" for r in http.requests), "the webhook")
    assert len(smtp.messages) == 1  # the email channel, first in line, took it
    os.killpg(returned.pid, signal.SIGKILL)
    returned.communicate(timeout=10)
    http.release()
    [notice] = [n for n in whistle.ok("notices", "--number", number) if n["recipient"] == "center"]
    assert notice["status"] == "sending"

    whistle.ok("sweep", at=T.format("09:41"))  # the claim has expired: taken over
    whistle.ok("sweep", at=T.format("10:00"))
    assert len(smtp.messages) == 1  # not mailed again
    hooks = [r for r in http.requests if r.path == "/dept/center"]
    assert len(hooks) == 2 and hooks[0].json == hooks[1].json  # the cut-off one, and one more
    [notice] = [n for n in whistle.ok("notices", "--number", number) if n["recipient"] == "center"]
    assert notice["status"] == "sent"
    engine = store(whistle)
    try:
        invariants.check(engine, [number])
    finally:
        engine.dispose()
