"""The lifecycle benchmark: N synthetic matters from intake to closing, through the `whistle` CLI.

    python -m bench.lifecycle [--matters 200] [--store sqlite|postgresql] [--json]

Everything is set up here and taken down afterwards: a copy of `config/` whose channels point at
loopback receivers (the center by SMTP, departments and the citizen by webhook), a fresh store
(a SQLite file in a temporary folder, or a new PostgreSQL database that is dropped at the end)
and a real local Prefect server started as a subprocess. The matters go through
`whistle.cli.main([... "--json", "--at", TIME])` in this process, exactly what a user runs, on a
simulated clock from 2026-11-26T09:00+08:00 that advances a few minutes per command.

Figures: matters per second (wall), CPU-seconds per matter for this process (net of the loopback
receivers' threads) and for the Prefect server process tree, the intake-to-notice latency (from
just before `whistle intake` to the arrival of the lead department's referral notice at the
webhook receiver), and the peak RSS of both processes.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import logging
import os
import platform
import pstats
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from tests.receivers import HttpReceiver, ReceivedRequest, SmtpReceiver, wire_channels

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
# The holiday data (config/holidays.yaml) ends with 2026: the simulated clock stays inside it.
CLOCK_END = datetime.fromisoformat("2026-12-31T18:00:00+08:00")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# How often each category comes to the window: disputes about work, neighbours, families and
# property management dominate; petitions, medical and land disputes are rarer.
CATEGORY_WEIGHTS: dict[str, int] = {
    "labour": 13,
    "wage_arrears": 13,
    "neighbour": 13,
    "family": 11,
    "property": 11,
    "consumer": 7,
    "traffic": 6,
    "legal_consult": 6,
    "enterprise": 4,
    "counselling": 4,
    "women_children": 3,
    "other": 3,
    "petition": 2,
    "medical": 2,
    "land": 2,
}
# Colour mix via the number of people involved (config/grading.yaml: red >= 50, orange >= 5,
# yellow >= 2); nothing else in a plan (visits < 3, amount < 100 000, no red flags) moves it.
COLOUR_WEIGHTS = {"green": 60, "yellow": 25, "orange": 12, "red": 3}
PEOPLE = {"green": (1, 1), "yellow": (2, 4), "orange": (5, 40), "red": (50, 120)}
CHANNEL_WEIGHTS = {"walk_in": 40, "hotline": 25, "phone": 15, "grid": 12, "web": 8}
OUTCOMES = ("mediated", "handled", "explained", "litigation")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰建国志红海燕春梅文斌宇浩鑫"
SUBJECTS: dict[str, tuple[str, str]] = {
    "labour": ("劳动合同纠纷", "用人单位未签劳动合同即辞退{p}名员工，要求补偿。"),
    "wage_arrears": ("工地拖欠工资", "某工地拖欠{p}名工人工资约{a}元，多次讨要未果。"),
    "neighbour": ("邻里噪音纠纷", "楼上住户夜间噪音扰民，涉及{p}户居民，协商未果。"),
    "family": ("赡养纠纷", "子女之间因老人赡养费用分担发生争执，涉及{p}人。"),
    "property": ("物业服务纠纷", "小区电梯长期故障，{p}户业主与物业公司就维修费用争执。"),
    "consumer": ("预付卡退费纠纷", "健身房停业，{p}名会员预付卡无法退费。"),
    "traffic": ("交通事故赔偿", "电动车与轿车相撞，双方就赔偿金额协商不成。"),
    "legal_consult": ("继承问题咨询", "咨询房产继承手续及份额划分。"),
    "enterprise": ("企业合同纠纷", "小微企业与供货商就货款结算发生争议，涉及{p}人。"),
    "counselling": ("心理疏导需求", "家属反映当事人情绪低落，希望获得心理疏导。"),
    "women_children": ("未成年人权益", "反映未成年人监护缺失问题，请求介入。"),
    "other": ("公共设施报修", "路灯损坏多日，影响{p}户居民夜间出行。"),
    "petition": ("信访事项", "就征收补偿标准多次来访，涉及{p}人。"),
    "medical": ("医疗纠纷", "术后并发症，患者家属与医院就责任认定发生争议。"),
    "land": ("草场边界纠纷", "两户牧民就草场边界划分发生争执，涉及{p}人。"),
}
# Whom the center re-refers a matter to when its first lead sends it back, by preference.
REREFER: dict[str, tuple[str, ...]] = {
    "labour": ("hrss", "justice"),
    "wage_arrears": ("justice", "politics_law"),
    "neighbour": ("housing", "justice"),
    "family": ("civil_affairs", "justice"),
    "property": ("urban_management", "housing"),
    "consumer": ("justice", "politics_law"),
    "traffic": ("transport", "justice"),
    "legal_consult": ("justice", "court"),
    "enterprise": ("justice", "politics_law"),
    "counselling": ("civil_affairs", "womens_federation"),
    "women_children": ("civil_affairs", "justice"),
    "other": ("urban_management", "politics_law"),
    "petition": ("politics_law", "justice"),
    "medical": ("justice", "politics_law"),
    "land": ("agriculture", "justice"),
}


class BenchError(RuntimeError):
    """The benchmark cannot go on (a command refused, a notice never arrived, ...)."""


# --- the synthetic matters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One synthetic matter and how its story goes."""

    index: int
    category: str
    colour: str
    people: int
    area: str
    channel: str
    name: str
    phone: str
    amount: int
    visits: int
    flags: tuple[str, ...]
    returned: bool  # the first lead sends it back; the center re-refers it by hand
    reopened: bool  # the citizen is unsatisfied once; the lead resolves it again
    progress: bool  # the lead reports progress before resolving
    outcome: str

    def intake_argv(self) -> list[str]:
        title, description = SUBJECTS[self.category]
        argv = [
            "intake",
            "--category", self.category,
            "--title", title,
            "--description", description.format(p=self.people, a=self.amount),
            "--area", self.area,
            "--name", self.name,
            "--phone", self.phone,
            "--people", str(self.people),
            "--amount", str(self.amount),
            "--visits", str(self.visits),
            "--channel", self.channel,
        ]  # fmt: skip
        for flag in self.flags:
            argv += ["--flag", flag]
        return argv


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_plans(count: int, seed: int, villages: Sequence[str], towns: Sequence[str]) -> list[Plan]:
    """The same `count` matters for the same seed."""
    rng = random.Random(seed)
    plans = []
    for index in range(count):
        category = _weighted(rng, CATEGORY_WEIGHTS)
        colour = _weighted(rng, COLOUR_WEIGHTS)
        low, high = PEOPLE[colour]
        people = rng.randint(low, high)
        area = rng.choice(towns) if rng.random() < 0.1 else rng.choice(villages)
        amount = rng.randrange(5_000, 95_000, 500) if category == "wage_arrears" else 0
        flags = (
            tuple(rng.sample(["elderly", "minors", "disability"], 1)) if rng.random() < 0.1 else ()
        )
        plans.append(
            Plan(
                index=index,
                category=category,
                colour=colour,
                people=people,
                area=area,
                channel=_weighted(rng, CHANNEL_WEIGHTS),
                name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                amount=amount,
                visits=rng.choice((0, 0, 0, 1, 2)),
                flags=flags,
                returned=rng.random() < 0.10,
                reopened=rng.random() < 0.10,
                progress=rng.random() < 0.3,
                outcome=rng.choice(OUTCOMES),
            )
        )
    return plans


Story = Generator[list[str], dict[str, Any], None]


def _expect(doc: dict[str, Any], status: str, what: str) -> None:
    if doc.get("status") != status:
        raise BenchError(
            f"{doc.get('number')}: after {what} status is {doc.get('status')!r}, "
            f"expected {status!r}"
        )


def story(plan: Plan) -> Story:
    """The commands of one matter's life; each `yield` runs one and receives its JSON document."""
    doc = yield plan.intake_argv()
    number, lead, co = doc["number"], doc["lead_department"], list(doc["co_departments"])
    _expect(doc, "referred", "intake")
    if doc["colour"] != plan.colour:
        raise BenchError(f"{number}: graded {doc['colour']}, planned {plan.colour}")
    if plan.returned:
        yield ["ack", number, "--department", lead]
        doc = yield ["return", number, "--department", lead, "--reason", "不属本单位职责，请改派"]
        _expect(doc, "returned", "return")
        lead = next(
            d for d in (*REREFER[plan.category], "politics_law") if d != lead and d not in co
        )
        doc = yield ["refer", number, "--lead", lead, *[x for c in co for x in ("--co", c)]]
        _expect(doc, "referred", "refer")
    yield ["ack", number, "--department", lead]
    for c in co:
        yield ["ack", number, "--department", c]
    if plan.progress:
        yield ["progress", number, "--department", lead, "--note", "已约谈双方，正在调处"]
    for c in co:
        yield ["report", number, "--department", c, "--note", "已配合核实情况"]
    doc = yield ["resolve", number, "--department", lead, "--outcome", plan.outcome,
                 "--note", "已依法依规处理"]  # fmt: skip
    _expect(doc, "resolved", "resolve")
    if plan.reopened:
        doc = yield ["feedback", number, "--unsatisfied", "--comment", "问题仍未解决"]
        _expect(doc, "in_progress", "unsatisfied feedback")
        doc = yield ["resolve", number, "--department", lead, "--outcome", "handled",
                     "--note", "已再次督办落实"]  # fmt: skip
        _expect(doc, "resolved", "second resolve")
    doc = yield ["feedback", number, "--satisfied", "--comment", "满意"]
    _expect(doc, "closed", "satisfied feedback")


# --- receivers with arrival times ---------------------------------------------------------------


class TimedHttpReceiver(HttpReceiver):
    """The loopback webhook receiver, noting when each request landed and its handler's CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []
        self.handler_cpu = 0.0  # CPU of the per-request handler threads up to recording

    def _record(self, request: ReceivedRequest) -> None:
        landed = time.perf_counter()
        with self._cond:  # an RLock: HttpReceiver._record takes it again
            self.arrivals.append(landed)
            self.handler_cpu += time.thread_time()
            super()._record(request)

    def arrival(self, path: str, number: str, start: int, timeout: float = 15.0) -> float:
        """perf_counter() when the first request to `path` about `number` from index `start` on
        arrived; waits for it."""

        def found() -> float | None:
            for i in range(start, len(self.requests)):
                request = self.requests[i]
                body = request.json if isinstance(request.json, dict) else {}
                if request.path == path and number in str(body.get("title", "")):
                    return self.arrivals[i]
            return None

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout=timeout):
                raise BenchError(f"no notice to {path} about {number} within {timeout}s")
            moment = found()
            assert moment is not None
            return moment


# --- /proc readings -----------------------------------------------------------------------------


def _stat_cpu(path: Path) -> float:
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
    return sum(_stat_cpu(Path(f"/proc/{p}/stat")) for p in process_tree(pid))


def tree_peak_rss_mib(pid: int) -> float:
    """Sum of VmHWM (each process's peak resident set) over the process tree, MiB."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


def self_status(key: str) -> int:
    """A number from /proc/self/status (VmRSS in KiB, Threads, ...); 0 when missing."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return 0


def thread_cpu(native_id: int | None) -> float:
    if native_id is None:
        return 0.0
    return _stat_cpu(Path(f"/proc/self/task/{native_id}/stat"))


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
    import prefect

    return {
        "cpu": model,
        "cores": os.cpu_count() or 0,
        "ram_gib": round(ram_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "prefect": prefect.__version__,
    }


# --- the Prefect server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PrefectServer:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME."""

    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, timeout: float = 120.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = self.home / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env |= {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
        } | self.extra_env
        prefect_bin = Path(sys.executable).parent / "prefect"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(prefect_bin), "server", "start", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"the Prefect server exited ({self.process.returncode}):\n"
                    + self.log.read_text(errors="replace")[-2000:]
                )
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise BenchError(f"the Prefect server did not answer /api/health within {timeout}s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

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
            quiet = quiet + 1 if now - last <= max(0.5 * idle_rate * 2, 0.02) else 0
            last = now
        return time.perf_counter() - began


# --- the stores ---------------------------------------------------------------------------------


def _pg_execute(admin_url: str, statement: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


@contextlib.contextmanager
def store(kind: str, folder: Path, pg_admin: str) -> Iterator[tuple[str, str]]:
    """A fresh store URL and a description of it; a PostgreSQL database is dropped afterwards."""
    if kind == "sqlite":
        import sqlite3

        yield f"sqlite:///{folder / 'whistle.db'}", f"SQLite {sqlite3.sqlite_version} (file)"
        return
    import sqlalchemy as sa

    name = f"whistle_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            version = conn.execute(sa.text("show server_version")).scalar()
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise BenchError(f"PostgreSQL at {pg_admin} is not usable: {exc}") from exc
    url = pg_admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url, f"PostgreSQL {str(version).split()[0]} (local TCP)"
    finally:
        from service.store.db import get_engine

        get_engine(url).dispose()
        get_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- driving the CLI ----------------------------------------------------------------------------


@dataclass
class Clock:
    """The simulated time: every command happens `step` after the previous one."""

    at: datetime
    step: timedelta

    def tick(self) -> str:
        self.at += self.step
        return self.at.isoformat()


@dataclass
class Driver:
    """Runs `whistle ARGS --json --at TIME` in-process and keeps count."""

    main: Callable[[Sequence[str] | None], int]
    clock: Clock
    commands: Counter[str] = field(default_factory=Counter)
    stage_warnings: list[str] = field(default_factory=list)
    peak_threads: int = 0  # this process's threads, sampled after each command

    def run(self, argv: list[str]) -> dict[str, Any]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = self.main([*argv, "--json", "--at", self.clock.tick()])
        self.commands[argv[0]] += 1
        self.peak_threads = max(self.peak_threads, self_status("Threads"))
        if code != 0:
            said = err.getvalue().strip()
            raise BenchError(f"whistle {' '.join(argv[:2])} exited {code}: {said}")
        self.stage_warnings += [ln for ln in err.getvalue().splitlines() if "warning:" in ln]
        doc: dict[str, Any] = json.loads(out.getvalue())
        return doc


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    colours: Counter[str] = field(default_factory=Counter)
    returned: int = 0
    reopened: int = 0
    co_handled: int = 0


def run_matters(
    plans: Sequence[Plan], driver: Driver, http: TimedHttpReceiver, in_flight: int
) -> Tally:
    """Run the stories interleaved: up to `in_flight` open matters take turns, one command each,
    so the store holds matters at every stage, as a real center's would."""
    tally = Tally()
    waiting = deque(plans)
    active: deque[tuple[Plan, Story, list[str]]] = deque()

    def intake(plan: Plan) -> None:
        gen = story(plan)
        argv = next(gen)
        start = len(http.requests)
        began = time.perf_counter()
        doc = driver.run(argv)
        if doc["lead_department"] is None:  # referral runs on a worker: wait for it
            referred_lead(doc["number"])
            doc = driver.run(["show", doc["number"]])
        landed = http.arrival(f"/dept/{doc['lead_department']}", doc["number"], start)
        tally.latencies.append(landed - began)
        tally.colours[doc["colour"]] += 1
        tally.returned += plan.returned
        tally.reopened += plan.reopened
        tally.co_handled += bool(doc["co_departments"])
        active.append((plan, gen, gen.send(doc)))

    while waiting or active:
        if waiting and len(active) < in_flight:
            intake(waiting.popleft())
            continue
        plan, gen, argv = active.popleft()
        with contextlib.suppress(StopIteration):
            active.append((plan, gen, gen.send(driver.run(argv))))
    return tally


def referred_lead(number: str, timeout: float = 60.0) -> str:
    """Wait until a worker's intake stage has referred the matter; its lead department."""
    from sqlmodel import select

    from models.tables import Matter
    from service.app import get_app
    from service.store.db import session

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session(get_app().engine) as s:
            lead = s.exec(select(Matter.lead_department).where(Matter.number == number)).one()
        if lead is not None:
            return lead
        time.sleep(0.02)
    raise BenchError(f"{number}: no worker referred it within {timeout:.0f} s")


def outbox_drained(timeout: float = 300.0) -> None:
    """Wait until every notice is out: the workers have finished every stage."""
    from sqlmodel import col, func, select

    from models.tables import Notice
    from service.app import get_app
    from service.store.db import session

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session(get_app().engine) as s:
            left = s.exec(select(func.count()).where(col(Notice.status) != "sent")).one()
        if left == 0:
            return
        time.sleep(0.1)
    raise BenchError(f"notices still waiting after {timeout:.0f} s")


def store_size_mib(url: str) -> float:
    """The store's size on disk: the SQLite file with its WAL, or the PostgreSQL database."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        files = [path, path.with_name(path.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 2**20
    from service.app import get_app

    with get_app().engine.connect() as conn:
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
    return float(size) / 2**20


def direct_stage(app: Any, stage: str, number: str, now: datetime) -> Any:
    """A stage's work as plain calls, without Prefect (the --without-prefect split)."""
    from engine.runner import StageRun
    from service import actions
    from service.notices.delivery import deliver_pending
    from service.store.db import session

    with session(app.engine) as s:
        if stage == "intake":
            actions.refer_by_rules(session=s, app=app, number=number, now=now)
        elif stage == "closing":
            actions.close_without_feedback(session=s, app=app, number=number, now=now)
        matter_id = actions.get_matter(s, number).id
    deliver_pending(app, now=now, matter_id=matter_id)
    return StageRun(stage, True)


@dataclass
class Workers:
    """`whistle worker` processes, their CPU and memory."""

    count: int
    folder: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, timeout: float = 90.0) -> None:
        env = os.environ | {"PREFECT_LOGGING_LEVEL": "INFO"}
        logs = [self.folder / f"worker-{i}.log" for i in range(self.count)]
        for log in logs:
            with log.open("wb") as out:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "whistle", "worker", "--limit", "4"],
                        env=env, stdout=out, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL, start_new_session=True,
                    )
                )  # fmt: skip
        deadline = time.monotonic() + timeout
        for log in logs:
            while "Subscribing to runs of task" not in log.read_text(errors="replace"):
                if time.monotonic() > deadline:
                    raise BenchError(f"{log.name} did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)

    def cpu(self) -> float:
        return sum(tree_cpu(p.pid) for p in self.processes)

    def peak_rss_mib(self) -> float:
        return max((tree_peak_rss_mib(p.pid) for p in self.processes), default=0.0)

    def stop(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def flush_prefect() -> None:
    """Send the logs and events the Prefect client still holds (as a CLI process does at exit)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30)
    EventsWorker.drain_all(timeout=30)


def mute_prefect_console(sink: TextIO) -> None:
    """Send Prefect's console log lines (two per flow run) to `sink`; they are still formatted,
    so their cost stays in the figures, and still sent to the API."""
    from prefect.logging.handlers import PrefectConsoleHandler

    names = list(logging.root.manager.loggerDict)
    for logger in [logging.getLogger(), *(logging.getLogger(n) for n in names)]:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.setStream(sink)
                handler.console.file = sink


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


# --- the run ------------------------------------------------------------------------------------


def bench(args: argparse.Namespace) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        if args.keep_temp:
            tmp = Path(tempfile.mkdtemp(prefix="whistle-bench-"))
            print(f"bench: keeping {tmp} (config, store, Prefect server home and log)")
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="whistle-bench-")))
        http = stack.enter_context(TimedHttpReceiver())
        smtp = stack.enter_context(SmtpReceiver())
        folder = tmp / "config"
        shutil.copytree(ROOT / "config", folder)
        wire_channels(folder, http, smtp)

        extra = dict(item.split("=", 1) for item in args.server_env)
        if args.prefect_db == "postgresql":
            prefect_db = f"whistle_prefect_{uuid.uuid4().hex[:10]}"
            admin = args.pg_admin.rsplit("/", 1)[0]
            _pg_execute(args.pg_admin, f'CREATE DATABASE "{prefect_db}"')
            stack.callback(
                _pg_execute, args.pg_admin, f'DROP DATABASE IF EXISTS "{prefect_db}" WITH (FORCE)'
            )
            extra["PREFECT_API_DATABASE_CONNECTION_URL"] = (
                admin.replace("+psycopg", "+asyncpg") + f"/{prefect_db}"
            )
        version = code_version()
        server = PrefectServer(tmp / "prefect-server", extra)
        stack.callback(server.stop)
        began_setup = time.perf_counter()
        server.start()
        setup_s = time.perf_counter() - began_setup
        # Prefect reads its settings when it is first imported: point this process at the server
        # before anything imports it (whistle.cli does, through engine.runner).
        os.environ |= {
            "PREFECT_API_URL": server.api_url,
            "PREFECT_HOME": str(tmp / "prefect-client"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        if "prefect" in sys.modules:
            raise BenchError("prefect was imported before its settings were in place")

        url, store_name = stack.enter_context(store(args.store, tmp, args.pg_admin))
        os.environ |= {
            "WHISTLE_CONFIG": str(folder),
            "WHISTLE_DATABASE_URL": url,
            "WHISTLE_ALLOW_CLOCK_OVERRIDE": "1",
            "WHISTLE_LINK_BASE": "https://whistle.example/",
        }
        os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(tmp / "task-parameters")
        if args.workers:
            os.environ["WHISTLE_DISPATCH"] = "workers"
        from service import app as app_module
        from whistle import cli as cli_module
        from whistle.cli import main

        if args.without_prefect:
            setattr(cli_module, "start_stage", direct_stage)  # noqa: B010
        app_module.reset()
        stack.callback(app_module.reset)
        if not args.show_logs:
            sink = stack.enter_context(open(os.devnull, "w", encoding="utf-8"))
            mute_prefect_console(sink)

        config = app_module.get_app().config
        villages, towns = sorted(config.villages), sorted(config.towns)
        plans = make_plans(args.matters + args.warmup, args.seed, villages, towns)
        warmup, measured = plans[: args.warmup], plans[args.warmup :]
        commands_estimate = 11 * len(plans)
        step = timedelta(minutes=args.step_minutes)
        span = CLOCK_END - T0
        if step * commands_estimate > span:
            step = span / commands_estimate
        driver = Driver(main, Clock(T0, step))
        driver.run(["init"])
        store_mib0 = store_size_mib(url)
        workers = Workers(args.workers, tmp)
        stack.callback(workers.stop)
        if args.workers:
            workers.start()

        # Warm-up: first flow run, imports, template compilation, connection pools.
        run_matters(warmup, driver, http, args.in_flight)
        if args.workers:
            outbox_drained()
        flush_prefect()
        server.wait_quiet(idle_rate=0.05)
        cpu0 = tree_cpu(server.pid)
        time.sleep(2.0)
        idle_rate = (tree_cpu(server.pid) - cpu0) / 2.0
        driver.commands.clear()
        notices0 = len(http.requests) + len(smtp.messages)
        warnings0 = len(driver.stage_warnings)

        # The receivers' long-lived threads (SMTP event loop, HTTP accept loop) run in this
        # process too; their CPU is taken out of the client's figure.
        smtp_thread = getattr(getattr(smtp, "_controller", None), "_thread", None)
        http_thread = getattr(http, "_thread", None)
        receiver_tids = [t.native_id for t in (smtp_thread, http_thread) if t is not None]
        profiler = None
        if args.profile:
            timer = time.thread_time if args.profile_clock == "cpu" else time.perf_counter
            profiler = cProfile.Profile(timer)

        # --- measured -------------------------------------------------------------------------
        rss0, threads0 = self_status("VmRSS"), self_status("Threads")
        driver.peak_threads = threads0
        http_cpu0 = http.handler_cpu
        threads_cpu0 = sum(thread_cpu(t) for t in receiver_tids)
        server_cpu0 = tree_cpu(server.pid)
        workers_cpu0 = workers.cpu()
        client_cpu0 = time.process_time()
        wall0 = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        tally = run_matters(measured, driver, http, args.in_flight)
        if args.workers:
            outbox_drained()
        flush_prefect()
        if profiler is not None:
            profiler.disable()
        wall = time.perf_counter() - wall0
        client_cpu = time.process_time() - client_cpu0
        threads_cpu = sum(thread_cpu(t) for t in receiver_tids) - threads_cpu0
        receivers_cpu = http.handler_cpu - http_cpu0 + threads_cpu
        drain_s = server.wait_quiet(idle_rate)
        server_cpu = tree_cpu(server.pid) - server_cpu0
        workers_cpu = workers.cpu() - workers_cpu0
        workers_rss = workers.peak_rss_mib()
        store_mib = store_size_mib(url)
        # ----------------------------------------------------------------------------------------

        server_rss = tree_peak_rss_mib(server.pid)
        server_procs = len(process_tree(server.pid))
        server_exit = server.stop()
        client_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss1 = self_status("VmRSS")
        n = len(measured)
        figures: dict[str, Any] = {
            "matters": n,
            "store": args.store,
            "workers": args.workers,
            "without_prefect": args.without_prefect,
            "prefect_db": args.prefect_db,
            "workers_cpu_s_per_matter": round(workers_cpu / n, 4),
            "store_mib_per_1000_matters": round(1000 * (store_mib - store_mib0) / len(plans), 2),
            "seed": args.seed,
            "warmup_matters": len(warmup),
            "in_flight": args.in_flight,
            "commands": sum(driver.commands.values()),
            "commands_by_kind": dict(driver.commands),
            "notices_delivered": len(http.requests) + len(smtp.messages) - notices0,
            "stage_warnings": len(driver.stage_warnings) - warnings0,
            "mix": {
                "colours": {c: tally.colours.get(c, 0) for c in COLOUR_WEIGHTS},
                "co_handled": tally.co_handled,
                "returned_rereferred": tally.returned,
                "reopened": tally.reopened,
            },
            "wall_s": round(wall, 3),
            "matters_per_s": round(n / wall, 3),
            "ms_per_command": round(1000 * wall / max(1, sum(driver.commands.values())), 1),
            "client_cpu_s_per_matter": round((client_cpu - receivers_cpu) / n, 4),
            "receivers_cpu_s_per_matter": round(receivers_cpu / n, 4),
            "server_cpu_s_per_matter": round(server_cpu / n, 4),
            "server_idle_cpu_pct": round(100 * idle_rate, 1),
            "server_drain_s": round(drain_s, 1),
            "intake_to_notice_ms": {
                "p50": round(1000 * percentile(tally.latencies, 50), 1),
                "p95": round(1000 * percentile(tally.latencies, 95), 1),
                "p99": round(1000 * percentile(tally.latencies, 99), 1),
                "max": round(1000 * max(tally.latencies), 1),
            },
            "peak_rss_mib": {"client": round(client_rss, 1), "server": round(server_rss, 1),
                             "worker": round(workers_rss, 1)},
            "client_rss_mib": {"before": round(rss0 / 1024, 1), "after": round(rss1 / 1024, 1)},
            "client_threads": {"before": threads0, "peak": driver.peak_threads},
            "server_processes": server_procs,
            "server_start_s": round(setup_s, 1),
            "server_exit_code": server_exit,
            "clock": {"from": T0.isoformat(), "to": driver.clock.at.isoformat(),
                      "step_s": step.total_seconds()},
            "machine": machine() | {"store": store_name},
            "code": version,
        }  # fmt: skip
        if profiler is not None:
            profiler.dump_stats(args.profile)
            figures["profile"] = str(args.profile)
        return figures


def table(f: dict[str, Any]) -> str:
    m = f["machine"]
    mix = f["mix"]
    colours = " · ".join(f"{c} {k}" for c, k in mix["colours"].items())
    lat = f["intake_to_notice_ms"]
    rows = [
        ("matters per second (wall)", f"{f['matters_per_s']:.2f}",
         f"{f['matters']} matters in {f['wall_s']:.1f} s, {f['commands']} commands, "
         f"{f['ms_per_command']:.0f} ms/command"),
        ("CPU s per matter, client", f"{f['client_cpu_s_per_matter']:.3f}",
         f"this process, net of the loopback receivers ({f['receivers_cpu_s_per_matter']:.3f})"),
        ("CPU s per matter, server", f"{f['server_cpu_s_per_matter']:.3f}",
         f"Prefect server ({f['server_processes']} process(es)), idle "
         f"{f['server_idle_cpu_pct']:.1f}% CPU, drained {f['server_drain_s']:.1f} s after"),
        ("CPU s per matter, workers", f"{f['workers_cpu_s_per_matter']:.3f}",
         f"{f['workers']} `whistle worker` process(es)" if f["workers"] else "no workers"),
        ("intake→notice p50 (ms)", f"{lat['p50']:.0f}", "intake call to lead's referral webhook"),
        ("intake→notice p95 (ms)", f"{lat['p95']:.0f}", f"max {lat['max']:.0f} ms"),
        ("intake→notice p99 (ms)", f"{lat['p99']:.0f}", ""),
        ("peak RSS client (MiB)", f"{f['peak_rss_mib']['client']:.0f}",
         f"ru_maxrss; RSS {f['client_rss_mib']['before']:.0f} → {f['client_rss_mib']['after']:.0f}"
         f" MiB, threads {f['client_threads']['before']} → peak {f['client_threads']['peak']}"),
        ("peak RSS server (MiB)", f"{f['peak_rss_mib']['server']:.0f}", "VmHWM, process tree"),
        ("peak RSS worker (MiB)", f"{f['peak_rss_mib']['worker']:.0f}", "largest worker"),
        ("store MiB per 1000 matters", f"{f['store_mib_per_1000_matters']:.2f}",
         "growth of file + WAL, or of pg_database_size, over every matter run"),
        ("notices delivered", str(f["notices_delivered"]),
         f"stage warnings: {f['stage_warnings']}; server started in {f['server_start_s']:.0f} s,"
         f" stopped with exit code {f['server_exit_code']}"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    lines = [
        f"Whistle lifecycle benchmark: {f['matters']} matters, store {f['store']}, "
        f"workers {f['workers']}, Prefect server on {f['prefect_db']}"
        f"{', WITHOUT PREFECT (stage work as plain calls)' if f['without_prefect'] else ''}, seed "
        f"{f['seed']}, {f['warmup_matters']} warm-up matter(s) not counted, "
        f"{f['in_flight']} in flight",
        f"machine  {m['cpu']} · {m['cores']} cores · {m['ram_gib']} GiB RAM · Python "
        f"{m['python']} · Prefect {m['prefect']} · store {m['store']}",
        f"mix      {colours} · co-handled {mix['co_handled']} · returned+re-referred "
        f"{mix['returned_rereferred']} · reopened {mix['reopened']}",
        f"clock    {f['clock']['from']} → {f['clock']['to']} · code {f['code']}",
        "",
    ]
    lines += [f"{name:<{width}}  {value:>8}  {note}" for name, value, note in rows]
    return "\n".join(lines)


def profile_summary(path: str, top: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    doc = (__doc__ or "").splitlines()[0]
    p = argparse.ArgumentParser(prog="python -m bench.lifecycle", description=doc)
    p.add_argument("--matters", type=int, default=200, help="matters to measure (default 200)")
    p.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--warmup", type=int, default=1, help="matters run first and not counted")
    p.add_argument("--in-flight", type=int, default=8, help="open matters taking turns")
    p.add_argument("--step-minutes", type=float, default=2.0, help="simulated time per command")
    p.add_argument("--pg-admin", default=PG_ADMIN, help="PostgreSQL URL to create databases from")
    p.add_argument("--profile", metavar="FILE", help="cProfile the measured part into FILE")
    p.add_argument(
        "--profile-clock",
        choices=("wall", "cpu"),
        default="wall",
        help="what the profile counts: wall time or this thread's CPU time",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="run stage flows on N `whistle worker` processes (WHISTLE_DISPATCH=workers); "
        "0 runs them in the acting process",
    )
    p.add_argument(
        "--without-prefect",
        action="store_true",
        help="do each stage's work as plain calls, no flows: Whistle's own cost, for the split",
    )
    p.add_argument(
        "--prefect-db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the Prefect server's own database",
    )
    p.add_argument("--show-logs", action="store_true", help="let Prefect log to the console")
    p.add_argument("--keep-temp", action="store_true", help="keep the temporary folder")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the Prefect server (repeatable)",
    )
    args = p.parse_args(argv)
    if args.workers and args.without_prefect:
        p.error("--workers and --without-prefect exclude each other")
    if args.matters < 1 or args.warmup < 0 or args.in_flight < 1:
        p.error("--matters and --in-flight must be at least 1, --warmup at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        figures = bench(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print(table(figures))
    if args.profile:
        print()
        print(profile_summary(args.profile))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
