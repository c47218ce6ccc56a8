"""Real processes for the fault suite: a `prefect server start` that can be killed with SIGKILL
and restarted on the same port and data, and the `whistle` command run as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrefectServer:
    """`prefect server start` on loopback with its own home and SQLite database."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, timeout: float = 120) -> None:
        """Start (or restart, same port and database) and wait until it answers."""
        env = dict(
            os.environ,
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_UI_ENABLED="false",
        )
        env.pop("PREFECT_API_URL", None)
        with (self.home / "server.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [
                    str(BIN / "prefect"),
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prefect server exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.api}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"prefect server did not answer within {timeout:.0f}s")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handler runs."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def log_tail(self) -> str:
        path = self.home / "server.log"
        return path.read_text("utf-8", "replace")[-2000:] if path.exists() else ""


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        return json.loads(self.out)


class Whistle:
    """The `whistle` command of the virtualenv, run as a separate process with its own home."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = dict(os.environ, **env)
        self.env.pop("PYTEST_CURRENT_TEST", None)

    def argv(self, args: tuple[str, ...], at: str | None) -> list[str]:
        return [str(BIN / "whistle"), *args, "--json", *(["--at", at] if at else [])]

    def run(self, *args: str, at: str | None = None, timeout: float = 180) -> Run:
        done = subprocess.run(
            self.argv(args, at),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, at: str | None = None) -> Any:
        result = self.run(*args, at=at)
        assert result.code == 0, (
            f"whistle {' '.join(args)}: exit {result.code}\n{result.err[-3000:]}"
        )
        return result.data

    def serve(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """Start a long-running subcommand (`worker`, `api`) with its output in a log file."""
        with log.open("ab") as out:
            return subprocess.Popen(
                [str(BIN / "whistle"), *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def start(
        self, *args: str, at: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        """Start a command without waiting for it (to kill it or what it talks to midway)."""
        return subprocess.Popen(
            self.argv(args, at),
            env=dict(self.env, **(env or {})),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def kill(process: subprocess.Popen[Any]) -> None:
    """SIGKILL a process started in its own session, with everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            kill(process)
