"""The processes a benchmark starts and measures: the Prefect server, long-lived Whistle processes
(`whistle api`, `whistle worker`), one-shot CLI commands, and the PostgreSQL backends serving the
store; their CPU from /proc (or wait4's rusage for one-shot commands) and their peak memory.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class BenchError(RuntimeError):
    """The benchmark cannot go on (a command refused, a notice never arrived, ...)."""


# --- /proc readings -----------------------------------------------------------------------------


def stat_cpu(path: Path) -> float:
    """utime + stime in seconds from a /proc/.../stat file (0 when the task is gone)."""
    try:
        text = path.read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def tree_cpu(pid: int) -> float:
    return sum(stat_cpu(Path(f"/proc/{p}/stat")) for p in process_tree(pid))


def tree_peak_rss_mib(pid: int) -> float:
    """Sum of VmHWM (each process's peak resident set) over the process tree, MiB."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


def load() -> str:
    """The machine's load averages, as uptime prints them (the machine may be shared)."""
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def code_version() -> str:
    """The commit measured, and whether files other than bench/ differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    changed = [ln[3:] for ln in status.splitlines() if not ln[3:].startswith("bench/")]
    return head + (f" + uncommitted changes in {len(changed)} file(s)" if changed else "")


def machine() -> dict[str, Any]:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kib = int(line.split()[1])
    from importlib.metadata import version

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(ram_kib / 2**20, 1),
        "python": platform.python_version(),
        "prefect": version("prefect"),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


# --- the Prefect server -------------------------------------------------------------------------

ACCESS = re.compile(r'"(GET|POST|PATCH|PUT|DELETE) (/api/[^ ?"]*)[^"]*" (\d{3})')
WEBSOCKET = re.compile(r'"WebSocket (/api/[^ ?"]*)')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class PrefectServer:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME."""

    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    access_log: bool = False  # uvicorn's access lines in the log, to count requests
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, timeout: float = 120.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = self.home / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WHISTLE_"))}
        env |= {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
        } | self.extra_env
        argv = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                "--port", str(self.port)]  # fmt: skip
        if self.access_log:
            argv += ["--log-level", "INFO"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"the Prefect server exited ({self.process.returncode}):\n"
                    + self.log.read_text(errors="replace")[-2000:]
                )
            if http_ok(f"{self.api_url}/health"):
                return
            time.sleep(0.25)
        raise BenchError(f"the Prefect server did not answer /api/health within {timeout}s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu(self) -> float:
        return tree_cpu(self.pid)

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log and self.log.exists() else 0

    def requests_since(self, offset: int) -> Counter[str]:
        """The API requests in the access log from `offset` on, by method and path (ids as
        {id}); websocket connections as `WS path`."""
        counts: Counter[str] = Counter()
        if self.log is None:
            return counts
        with self.log.open("rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", errors="replace")
        for method, path, status in ACCESS.findall(text):
            counts[f"{method} {UUID.sub('{id}', path)} {status}"] += 1
        for path in WEBSOCKET.findall(text):
            counts[f"WS {path}"] += 1
        return counts

    def stop(self, timeout: float = 20.0) -> int | None:
        """Stop the server as Ctrl-C does (SIGINT: uvicorn shuts down its lifespan and the
        services; SIGTERM kills `prefect server start` at once), then terminate, then kill."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(timeout)
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(5.0)
        self.process.kill()
        return self.process.wait(10.0)

    def wait_quiet(self, idle_rate: float, limit: float = 60.0) -> float:
        """Wait until the server's CPU use drops back to about its idle rate; seconds waited."""
        began = time.perf_counter()
        quiet = 0
        last = tree_cpu(self.pid)
        while time.perf_counter() - began < limit and quiet < 2:
            time.sleep(0.5)
            now = tree_cpu(self.pid)
            quiet = quiet + 1 if now - last <= max(idle_rate, 0.02) else 0
            last = now
        return time.perf_counter() - began


# --- long-lived Whistle processes ----------------------------------------------------------------


@dataclass
class Service:
    """A long-lived `whistle ...` process (the API, an engine) with its log."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(BIN / "whistle"), *self.argv], env=self.env, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, ready: Any, timeout: float = 90.0) -> None:
        """Wait until `ready()` is true, or fail with the end of the log."""
        deadline = time.monotonic() + timeout
        while not ready():
            if (
                self.process is None
                or self.process.poll() is not None
                or (time.monotonic() > deadline)
            ):
                raise BenchError(
                    f"{self.name} did not start:\n{self.log.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.1)

    def wait_log(self, marker: str, timeout: float = 90.0) -> None:
        self.wait_ready(lambda: marker in self.log.read_text(errors="replace"), timeout)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu(self) -> float:
        return tree_cpu(self.pid) if self.process is not None else 0.0

    def peak_rss_mib(self) -> float:
        return tree_peak_rss_mib(self.pid) if self.process is not None else 0.0

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (both the engine and uvicorn shut down cleanly on it), then SIGKILL."""
        p = self.process
        if p is None or p.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


# --- one-shot CLI commands ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    """One finished CLI process: exit code, output, wall seconds, CPU seconds, peak RSS."""

    argv: list[str]
    code: int
    out: str
    err: str
    wall: float
    cpu: float
    rss_mib: float


def run_cli(argv: list[str], env: dict[str, str]) -> Ran:
    """Run `whistle ARGV` as its own process; its CPU and peak RSS from wait4's rusage, which
    counts that process alone even with other commands running alongside."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(
            [str(BIN / "whistle"), *argv], env=env, stdout=out, stderr=err,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Ran(
            argv=argv,
            code=process.returncode,
            out=out.read().decode("utf-8", errors="replace"),
            err=err.read().decode("utf-8", errors="replace"),
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            rss_mib=usage.ru_maxrss / 1024,
        )


# --- the store's backends -----------------------------------------------------------------------


class BackendSampler:
    """CPU of the PostgreSQL backends serving some databases, sampled from /proc every `every`
    seconds (the server runs on this machine). A backend first seen after `start` counts from
    zero; what one does after the last sample before it exits is missed, so the sum is a lower
    bound (close for pooled connections, looser for one-shot CLI commands). Backends whose
    application_name is `exclude` (the benchmark's own) are left out."""

    def __init__(
        self, admin_url: str, databases: list[str], exclude: str, every: float = 0.25
    ) -> None:
        self.admin_url, self.databases, self.exclude, self.every = (
            admin_url, databases, exclude, every,
        )  # fmt: skip
        self._base: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._db: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _pids(self, conn: Any) -> list[tuple[int, str]]:
        rows = conn.exec_driver_sql(
            "SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY(%(d)s) "
            "AND coalesce(application_name, '') <> %(x)s",
            {"d": self.databases, "x": self.exclude},
        ).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    def _sample(self, conn: Any, baseline: bool) -> None:
        for pid, database in self._pids(conn):
            cpu = stat_cpu(Path(f"/proc/{pid}/stat"))
            with self._lock:
                if pid not in self._base:
                    self._base[pid] = cpu if baseline else 0.0
                    self._db[pid] = database
                self._last[pid] = max(cpu, self._last.get(pid, 0.0))

    def start(self) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        conn = engine.connect()
        self._sample(conn, baseline=True)

        def loop() -> None:
            try:
                while not self._stop.wait(self.every):
                    with contextlib.suppress(Exception):
                        self._sample(conn, baseline=False)
            finally:
                conn.close()
                engine.dispose()

        self._thread = threading.Thread(target=loop, name="pg-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        """Stop sampling; CPU seconds of the backends since `start`, by database."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        found = dict.fromkeys(self.databases, 0.0)
        with self._lock:
            for pid, last in self._last.items():
                found[self._db[pid]] += last - self._base[pid]
        return found

    @property
    def backends(self) -> int:
        return len(self._last)
