"""`whistle up`: the whole center on one machine, on the embedded defaults.

Initialises the store with the sample district, starts a local Prefect server with its UI, a
local notice inbox, registers a handful of demo matters at different stages, prints where to
look, and on Ctrl-C or SIGTERM stops everything it started.
"""

from __future__ import annotations

import contextlib
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

from engine.follow import carry_out
from messages import language_of, text
from models.config import ConfigError
from models.status import Role
from models.tables import Assignment, Matter
from service import actions
from service.app import App, get_app
from service.errors import Refused
from service.inputs import IntakeRequest
from service.private import append_private, private_folder
from service.store.db import create_schema, session
from whistle.inbox import Inbox

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


def _child(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A child process of the center: its own session, its output in an owner-only log, and
    owner-only files of its own (the Prefect database, reports)."""
    return subprocess.Popen(
        argv,
        env=env,
        stdout=append_private(log),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        umask=CHILD_UMASK,
    )


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
    argv = [str(prefect), "server", "start", "--host", host, "--port", str(port)]
    return _child(argv, env, home / "prefect-server.log")


def serve_deployments(home: Path, api: str) -> subprocess.Popen[bytes]:
    """Serve the scheduled deployments (sweep, digest, …) in a child process against the API."""
    argv = [sys.executable, "-m", "deployments"]
    return _child(argv, _child_env(PREFECT_API_URL=api), home / "deployments.log")


def start_api(
    home: Path, prefect_api: str, port: int, host: str = LOOPBACK
) -> subprocess.Popen[bytes]:
    """Serve the HTTP API and the workbench pages (`whistle api`) in a child process; the
    leadership board links to the matters' runs in the Prefect UI."""
    env = _child_env(PREFECT_API_URL=prefect_api)
    env.setdefault("WHISTLE_PREFECT_UI_URL", prefect_api.removesuffix("/api"))
    argv = [sys.executable, "-m", "whistle", "api", "--host", host, "--port", str(port)]
    return _child(argv, env, home / "api.log")


def start_engine(home: Path, prefect_api: str) -> subprocess.Popen[bytes]:
    """Start the engine (`whistle worker`): it carries out what follows every action (referral,
    notices) and draws each matter's run in the Prefect UI."""
    argv = [sys.executable, "-m", "whistle", "worker"]
    return _child(argv, _child_env(PREFECT_API_URL=prefect_api), home / "engine.log")


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


DEMO: list[tuple[float, str, str, int, list[str], str, str]] = [
    # (days ago, category, title, people, flags, area, story)
    (6, "wage_arrears", "建筑工地拖欠农民工工资", 8, [], "T05V03", "closed"),
    (5, "consumer", "预付卡商家关门无法退款", 1, [], "T01V02", "reopened"),
    # Orange: acknowledge within 2 h; 3 h 15 min later the sweep has taken it to 督办 (150 %),
    # which raises it to red, and 通报 (200 %) is 45 min away.
    (3.25 / 24, "land", "草牧场边界争议有冲突风险", 8, [], "T08V02", "overdue"),
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
            matter = actions.register(
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
        carry_out(app, "intake", number, t)
        _play(app, number, story, t)
    return numbers


DEMO_PASSWORD = "whistle-demo"  # the demo's accounts only; real accounts get their own


def demo_accounts(app: App) -> list[tuple[str, str, str]]:
    """One account per department holding a demo matter, one for the center's clerks and one
    for the leadership (name, department, role); the ones that exist already are kept."""
    from service import accounts

    with session(app.engine) as s:
        held = s.exec(select(Assignment.department).distinct()).all()
    wanted = [(app.config.department_name(code), code, "head") for code in sorted(set(held))]
    wanted += [("中心受理员", "center", "clerk"), ("中心领导", "center", "leadership")]
    made = []
    for name, department, role in wanted:
        with session(app.engine) as s, contextlib.suppress(Refused):  # kept from a start before
            accounts.create_user(
                session=s,
                app=app,
                department=department,
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                now=datetime.now(UTC),
            )
        made.append((name, department, role))
    return made


def _play(app: App, number: str, story: str, t: datetime) -> None:
    """Move a demo matter along its story with service calls, as departments would."""
    if story in ("referred", "overdue"):
        return
    step = timedelta(hours=2)
    with session(app.engine) as s:
        matter = actions.get_matter(s, number)
        parts = actions.assignments_of(s, matter)
        lead = matter.lead_department or ""
    if story == "returned":
        with session(app.engine) as s:
            actions.return_matter(
                session=s,
                app=app,
                number=number,
                department=lead,
                reason="属于物业管理范围，非本委员会职责",
                now=t + step,
            )
        carry_out(app, "handling", number, t + step)
        return
    for k, part in enumerate(parts, start=1):
        with session(app.engine) as s:
            actions.acknowledge(
                session=s, app=app, number=number, department=part.department, now=t + step * k / 4
            )
        if part.role == Role.co:
            with session(app.engine) as s:
                actions.report(
                    session=s,
                    app=app,
                    number=number,
                    department=part.department,
                    note="已配合核实情况",
                    now=t + step,
                )
    carry_out(app, "handling", number, t + step)
    if story == "in_progress":
        return
    with session(app.engine) as s:
        actions.resolve(
            session=s,
            app=app,
            number=number,
            department=lead,
            outcome="mediated",
            note="经调解双方达成一致",
            now=t + 4 * step,
        )
    carry_out(app, "resolution", number, t + 4 * step)
    with session(app.engine) as s:
        actions.feedback(
            session=s,
            app=app,
            number=number,
            satisfied=story == "closed",
            comment=None if story == "closed" else "商家仍未退款",
            now=t + 12 * step,
        )
    carry_out(app, "feedback", number, t + 12 * step)


def sweep_now() -> int:
    """Run the deadline sweep once now, so what is overdue shows before its first schedule."""
    from engine.quiet import quietly
    from flows.sweep import deadline_sweep

    try:
        with quietly():
            return len(deadline_sweep.with_options(flow_run_name="启动巡检")()["steps"])
    except Exception as exc:  # the center still comes up; the schedule tries again
        print(text("up.no_sweep", _language(), error=type(exc).__name__), file=sys.stderr)
        return 0


def publish_report() -> str | None:
    """Run the statistics report once now, so the UI shows it before its first schedule."""
    from engine.quiet import quietly
    from flows.report import statistics_report

    try:
        with quietly():
            return str(statistics_report.with_options(flow_run_name="统计报表")()["path"])
    except Exception as exc:  # the center still comes up; the schedule tries again
        print(text("up.no_report", _language(), error=type(exc).__name__), file=sys.stderr)
        return None


def flush_prefect(timeout: float = 10) -> None:
    """Send the logs and events still queued in this process while the server is up; left for
    the interpreter's exit, they would wait on a server that is gone."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=timeout)


def _language() -> str:
    return language_of(os.environ.get("WHISTLE_LANGUAGE"))


def _logins(logins: list[tuple[str, str, str]]) -> str:
    """How to sign in to the demo's workbench (demo passwords, for the demo only)."""
    if not logins:
        return ""
    lines = [text("up.demo_signin", _language(), password=DEMO_PASSWORD)]
    lines += [f"    {name}  ({department}, {role})" for name, department, role in logins]
    return "\n".join(lines) + "\n"


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
    # The sample channels read the inbox's port from here (config/channels.yaml), in this
    # process and in the ones it starts.
    os.environ["WHISTLE_INBOX_PORT"] = str(inbox_port)
    try:
        app = get_app()
    except ConfigError as exc:
        language = language_of(os.environ.get("WHISTLE_LANGUAGE"))
        said = text("cli.config_error", language, message=exc.message(language))
        print(said, file=sys.stderr)
        return 3
    lang = app.language
    home = private_folder(app.settings.home)
    create_schema(app.engine)
    reach = client_host(host)
    for needed, where in ((port, host), (api_port, host), (inbox_port, LOOPBACK)):
        if not _port_free(needed, where):
            said = text("up.port_in_use", lang, port=needed, where=client_host(where))
            print(said, file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, _raise_stop)
    api = f"http://{reach}:{port}/api"
    inbox_env = "" if inbox_port == INBOX_PORT else f" WHISTLE_INBOX_PORT={inbox_port}"
    server = start_prefect_server(home, port, host)
    inbox = Inbox(home / "inbox", inbox_port).start()
    served: subprocess.Popen[bytes] | None = None
    http_api: subprocess.Popen[bytes] | None = None
    engine_process: subprocess.Popen[bytes] | None = None
    auth = os.environ.get(CLIENT_AUTH) or os.environ.get(SERVER_AUTH)
    try:
        print(text("up.starting", lang, where=f"{host}:{port}"), flush=True)
        wait_healthy(api, server)
        served = serve_deployments(home, api)
        http_api = start_api(home, api, api_port, host)
        wait_healthy(f"http://{reach}:{api_port}", http_api)
        updates: dict[Setting, Any] = {PREFECT_API_URL: api}
        if auth:
            updates[PREFECT_API_AUTH_STRING] = auth
        with temporary_settings(updates):
            seeded = seed_demo(app) if demo else []
            sweep_now()
            logins = demo_accounts(app) if demo else []
            engine_process = start_engine(home, api)
            report = publish_report()
        schedules = app.config.schedules
        ready = text(
            "up.ready",
            lang,
            ui=f"http://{reach}:{port}",
            api=f"http://{reach}:{api_port}",
            store=app.engine.url.render_as_string(hide_password=True),
            inbox=(home / "inbox").resolve(),
            demo=", ".join(seeded) if seeded else text("up.none", lang),
            report=report or text("up.no_file", lang),
            report_at=schedules.report_at,
            sweep_every=schedules.sweep_every,
            digest_at=schedules.digest_at,
            retention_at=schedules.retention_at,
            try_it=f"PREFECT_API_URL={api}{inbox_env} .venv/bin/whistle list",
        )
        print(ready + _logins(logins) + text("up.stop_hint", lang), flush=True)
        while server.poll() is None:
            time.sleep(0.5)
        print(text("up.server_stopped", lang, code=server.returncode), file=sys.stderr)
        return 1
    except (KeyboardInterrupt, _Stop):
        print(text("up.stopping", lang), flush=True)
        return 0
    finally:
        if http_api is not None:
            stop_process(http_api)
        if engine_process is not None:
            stop_process(engine_process)
        if served is not None:
            stop_process(served)
        flush_prefect()
        inbox.stop()
        stop_process(server)
        print(text("up.stopped", lang), flush=True)
