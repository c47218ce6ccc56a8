"""`whistle up`: the whole center on one machine, on the embedded defaults.

Initialises the store with the sample district, starts a local Prefect server with its UI, a
local notice inbox, registers a handful of demo matters at different stages, prints where to
look, and on Ctrl-C or SIGTERM stops everything it started.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
from prefect.settings.legacy import Setting
from sqlmodel import func, select

from models.config import ConfigError
from models.tables import Matter
from whistle import service
from whistle.app import App, get_app
from whistle.db import create_schema, session
from whistle.inbox import Inbox
from whistle.inputs import IntakeRequest
from whistle.private import append_private, private_folder
from whistle.runner import run_stage

INBOX_PORT = 8765
API_PORT = 8000
LOOPBACK = "127.0.0.1"
SERVER_AUTH = "PREFECT_SERVER_API_AUTH_STRING"
CLIENT_AUTH = "PREFECT_API_AUTH_STRING"
# Children create their files (the Prefect database, reports, logs) for the owner only.
CHILD_UMASK = 0o077


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps a server on this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def exposure_problem(host: str, environ: Mapping[str, str]) -> str | None:
    """Why the center must not come up on `host`, or None. Beyond loopback, anyone on the
    network could reach the Prefect server: pause the sweep, run the intake deployment, read
    every run. Prefect's basic auth (PREFECT_SERVER_API_AUTH_STRING) must be set first."""
    if is_loopback(host) or (environ.get(SERVER_AUTH) or "").strip():
        return None
    return (
        f"--host {host} is not a loopback address and {SERVER_AUTH} is not set: the Prefect "
        "server and UI would be open to the whole network. Set it, e.g. "
        f"{SERVER_AUTH}='supervisor:a-long-secret' (and put a TLS reverse proxy in front), "
        "or keep --host 127.0.0.1"
    )


def client_host(host: str) -> str:
    """Where this machine reaches a server bound to `host` (a wildcard: loopback)."""
    return LOOPBACK if host in ("0.0.0.0", "::", "[::]", "") else host


def _child_env(**values: str) -> dict[str, str]:
    """The environment of a child that talks to the Prefect server: with its credentials."""
    env = dict(os.environ, **values)
    if env.get(SERVER_AUTH) and not env.get(CLIENT_AUTH):
        env[CLIENT_AUTH] = env[SERVER_AUTH]
    return env


def _port_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((client_host(host), port)) != 0


def start_prefect_server(home: Path, port: int, host: str = LOOPBACK) -> subprocess.Popen[bytes]:
    """Start `prefect server start` with its own SQLite database under home (owner-only)."""
    prefect_home = private_folder(home / "prefect")
    env = _child_env(
        PREFECT_HOME=str(prefect_home.resolve()),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_API_HOST=host,
        PREFECT_SERVER_API_PORT=str(port),
    )
    env.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).parent / "prefect"
    log = append_private(home / "prefect-server.log")
    return subprocess.Popen(
        [str(prefect), "server", "start", "--host", host, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        umask=CHILD_UMASK,
    )


def serve_deployments(home: Path, api: str) -> subprocess.Popen[bytes]:
    """Serve the scheduled deployments (sweep, digest) in a child process against the API."""
    log = append_private(home / "deployments.log")
    return subprocess.Popen(
        [sys.executable, "-m", "deployments"],
        env=_child_env(PREFECT_API_URL=api),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        umask=CHILD_UMASK,
    )


def start_api(
    home: Path, prefect_api: str, port: int, host: str = LOOPBACK
) -> subprocess.Popen[bytes]:
    """Serve the HTTP API (`whistle api`) in a child process; its stage flows report to the
    Prefect server like everything else."""
    log = append_private(home / "api.log")
    return subprocess.Popen(
        [sys.executable, "-m", "whistle", "api", "--host", host, "--port", str(port)],
        env=_child_env(PREFECT_API_URL=prefect_api),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        umask=CHILD_UMASK,
    )


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Wait until the API answers its health check; fail if the server process ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Prefect server stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f}s")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left after the timeout."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


DEMO = [
    # (days ago, category, title, people, flags, area, story)
    (6, "wage_arrears", "建筑工地拖欠农民工工资", 8, [], "T05V03", "closed"),
    (5, "consumer", "预付卡商家关门无法退款", 1, [], "T01V02", "reopened"),
    (0.15, "land", "草牧场边界争议有冲突风险", 3, ["violence"], "T08V02", "overdue"),
    (2, "neighbour", "楼上装修噪音扰民", 1, [], "T02V04", "returned"),
    (1, "family", "婚姻家庭矛盾需要调解", 2, [], "T06V01", "in_progress"),
    (0, "counselling", "长期失眠焦虑需要心理疏导", 1, [], "T03", "referred"),
]


def seed_demo(app: App) -> list[str]:
    """Register demo matters at different stages (synthetic people), once per store."""
    with session(app.engine) as s:
        if s.exec(select(func.count()).select_from(Matter)).one():
            return []
    numbers = []
    real_now = datetime.now(UTC)
    for i, (days, category, title, people, flags, area, story) in enumerate(DEMO, start=1):
        t = real_now - timedelta(days=days)
        with session(app.engine) as s:
            matter = service.register(
                session=s,
                app=app,
                intake=IntakeRequest(
                    category=category,
                    title=title,
                    description=f"演示事项：{title}。",
                    area=area,
                    name=f"演示{i}号",
                    phone=f"1380000{i:04d}",
                    people=people,
                    flags=flags,
                    channel="walk_in",
                ),
                now=t,
            )
        number = matter.number
        numbers.append(number)
        run_stage(app, "intake", number, t)
        _play(app, number, story, t)
    return numbers


def _play(app: App, number: str, story: str, t: datetime) -> None:
    """Move a demo matter along its story with service calls, as departments would."""
    if story in ("referred", "overdue"):
        return
    step = timedelta(hours=2)
    with session(app.engine) as s:
        matter = service.get_matter(s, number)
        parts = service.assignments_of(s, matter)
        lead = matter.lead_department or ""
    if story == "returned":
        with session(app.engine) as s:
            service.return_matter(
                session=s,
                app=app,
                number=number,
                department=lead,
                reason="属于物业管理范围，非本委员会职责",
                now=t + step,
            )
        run_stage(app, "handling", number, t + step)
        return
    for k, part in enumerate(parts, start=1):
        with session(app.engine) as s:
            service.acknowledge(
                session=s, app=app, number=number, department=part.department, now=t + step * k / 4
            )
        if part.role == "co":
            with session(app.engine) as s:
                service.report(
                    session=s,
                    app=app,
                    number=number,
                    department=part.department,
                    note="已配合核实情况",
                    now=t + step,
                )
    run_stage(app, "handling", number, t + step)
    if story == "in_progress":
        return
    with session(app.engine) as s:
        service.resolve(
            session=s,
            app=app,
            number=number,
            department=lead,
            outcome="mediated",
            note="经调解双方达成一致",
            now=t + 4 * step,
        )
    run_stage(app, "resolution", number, t + 4 * step)
    with session(app.engine) as s:
        service.feedback(
            session=s,
            app=app,
            number=number,
            satisfied=story == "closed",
            comment=None if story == "closed" else "商家仍未退款",
            now=t + 12 * step,
        )
    run_stage(app, "feedback", number, t + 12 * step)


def publish_report() -> str | None:
    """Run the statistics report once now, so the UI shows it before its first schedule."""
    from flows.report import statistics_report
    from whistle.runner import without_heartbeat

    try:
        with without_heartbeat():
            return str(statistics_report.with_options(flow_run_name="统计报表")()["path"])
    except Exception as exc:  # the center still comes up; the schedule tries again
        print(f"whistle: warning: no statistics report ({type(exc).__name__})", file=sys.stderr)
        return None


def flush_prefect(timeout: float = 10) -> None:
    """Send the logs and events still queued in this process while the server is up; left for
    the interpreter's exit, they would wait on a server that is gone."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=timeout)


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def up(
    *,
    port: int = 4200,
    inbox_port: int = INBOX_PORT,
    demo: bool = True,
    api_port: int = API_PORT,
    host: str = LOOPBACK,
) -> int:
    """Run the center until interrupted; returns the process exit code."""
    problem = exposure_problem(host, os.environ)
    if problem:
        print(f"whistle: refused: {problem}", file=sys.stderr)
        return 2
    try:
        app = get_app()
    except ConfigError as exc:
        print(f"whistle: configuration error: {exc}", file=sys.stderr)
        return 3
    home = private_folder(app.settings.home)
    create_schema(app.engine)
    reach = client_host(host)
    for needed in (port, api_port):
        if not _port_free(needed, host):
            print(
                f"whistle: port {needed} on {reach} is in use (is Whistle already up?)",
                file=sys.stderr,
            )
            return 2
    if not _port_free(inbox_port):
        print(
            f"whistle: port {inbox_port} on {LOOPBACK} is in use (is Whistle already up?)",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, _raise_stop)
    api = f"http://{reach}:{port}/api"
    server = start_prefect_server(home, port, host)
    inbox = Inbox(home / "inbox", inbox_port).start()
    served: subprocess.Popen[bytes] | None = None
    http_api: subprocess.Popen[bytes] | None = None
    auth = os.environ.get(CLIENT_AUTH) or os.environ.get(SERVER_AUTH)
    try:
        print(f"whistle: starting the Prefect server on {host}:{port} …", flush=True)
        wait_healthy(api, server)
        served = serve_deployments(home, api)
        http_api = start_api(home, api, api_port, host)
        wait_healthy(f"http://{reach}:{api_port}", http_api)
        updates: dict[Setting, Any] = {PREFECT_API_URL: api}
        if auth:
            updates[PREFECT_API_AUTH_STRING] = auth
        with temporary_settings(updates):
            seeded = seed_demo(app) if demo else []
            report = publish_report()
        print(
            "\nWhistle is up.\n"
            f"  Prefect UI:   http://{reach}:{port}/runs  (runs are named by matter number)\n"
            f"  HTTP API:     http://{reach}:{api_port}  (documentation: /docs; tokens: "
            ".venv/bin/whistle token create --department hrss)\n"
            f"  Store:        {app.engine.url.render_as_string(hide_password=True)}\n"
            f"  Notices:      {(home / 'inbox').resolve()}/<recipient>.log\n"
            f"  Demo matters: {', '.join(seeded) if seeded else 'none added'}\n"
            f"  Statistics:   {report or 'not written (see the log)'} (artifact 'statistics'; "
            f"refreshed daily at {app.config.schedules.report_at})\n"
            "  Intake form:  Deployments → intake form / intake → Run (受理登记)\n"
            f"  Scheduled:    deadline sweep every {app.config.schedules.sweep_every}, "
            f"daily digest at {app.config.schedules.digest_at}, personal data retention at "
            f"{app.config.schedules.retention_at} (Deployments page)\n"
            f"  Try:          PREFECT_API_URL={api} .venv/bin/whistle list\n"
            "Stop with Ctrl-C.",
            flush=True,
        )
        while server.poll() is None:
            time.sleep(0.5)
        print(f"whistle: the Prefect server stopped (exit {server.returncode})", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, _Stop):
        print("\nwhistle: stopping …", flush=True)
        return 0
    finally:
        if http_api is not None:
            stop_process(http_api)
        if served is not None:
            stop_process(served)
        flush_prefect()
        inbox.stop()
        stop_process(server)
        print("whistle: stopped.", flush=True)
