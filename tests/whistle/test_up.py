"""The README's main command: `whistle up` brings the center up, shows demo matters in a real
Prefect server, and stops everything on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.fixtures import ROOT

# The deployments `whistle up` serves: scheduled work and the clerk's intake form.
SERVED = {"sweep", "daily", "retention", "statistics", "intake"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_up_runs_the_center_and_stops_cleanly(tmp_path: Path) -> None:
    port, inbox = _free_port(), _free_port()
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)  # the sample channels as shipped: they follow
    env = dict(os.environ, WHISTLE_HOME=str(tmp_path / "home"), WHISTLE_CONFIG=str(config))
    for name in ("WHISTLE_DATABASE_URL", "PREFECT_API_URL", "WHISTLE_ALLOW_CLOCK_OVERRIDE"):
        env.pop(name, None)
    log = (tmp_path / "up.log").open("w+b")
    process = subprocess.Popen(
        [sys.executable, "-m", "whistle", "up", "--port", str(port), "--inbox-port", str(inbox)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 150
        text = ""
        while "Stop with Ctrl-C" not in text:
            assert process.poll() is None, f"whistle up ended early:\n{text}"
            assert time.monotonic() < deadline, f"whistle up did not come up:\n{text}"
            time.sleep(0.5)
            text = (tmp_path / "up.log").read_text("utf-8", "replace")
        line = next(x for x in text.splitlines() if "Demo matters:" in x)
        numbers = [n.strip() for n in line.split(":", 1)[1].split(",")]
        assert len(numbers) == 6 and all(n.startswith("M") for n in numbers)
        assert f"http://127.0.0.1:{port}/v2/runs" in text

        with (
            temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}),
            get_client(sync_client=True) as client,
        ):
            deadline = time.monotonic() + 60
            runs: list[Any] = []
            while len(runs) < 6 and time.monotonic() < deadline:  # the engine draws them
                runs = [
                    r
                    for r in client.read_flow_runs(limit=200)
                    if r.parameters.get("number") in numbers
                ]
                time.sleep(0.5)
            states = {r.parameters["number"]: r.state_name for r in runs}
            assert states[numbers[0]] == "已结案" and states[numbers[1]] == "办理中", states
            assert states[numbers[2]] == "督办" and states[numbers[3]] == "已退回", states
            assert len(states) == 6
            deadline = time.monotonic() + 60
            names: set[str] = set()
            while names != SERVED and time.monotonic() < deadline:
                names = {d.name for d in client.read_deployments()}
                time.sleep(0.5)
            assert names == SERVED, "the scheduled deployments are not served"
        filed = list((tmp_path / "home" / "inbox").glob("*.log"))  # on --inbox-port, not 8765
        assert any(f.name == "center.log" for f in filed)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        log.close()
    assert code == 0
    assert "whistle: stopped." in (tmp_path / "up.log").read_text("utf-8", "replace")
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the Prefect server is still running"
