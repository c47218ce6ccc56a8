"""The lifecycle benchmark: N synthetic matters from intake to closing, driven the way users drive
Whistle, against a real Prefect server and N engine processes.

    python -m bench.lifecycle [--mode api|cli] [--matters 100] [--engines 1|2] [--json]

`--mode api` (default): a long-lived `whistle api` (uvicorn) takes every action over HTTP: Open311
intake with a channel's token, the departments' and the center's actions with their tokens, the
citizen's answer through the link in the message they received. `--mode cli`: every action is its
own `whistle ... --json --at T` process. Either way `whistle worker` processes (the engines) refer
the matters, deliver the notices to loopback receivers and draw each matter's Prefect run.

Figures: matters per second from the first intake until the engines have drawn every run; CPU
seconds per matter of every process (Prefect server, API, engines, CLI processes, and the
PostgreSQL backends), beside the plain-SQL floor (bench/floor.py) measured in the same run; the
intake → lead's notice latency; a `whistle show` and an action as separate processes; and the
checks that every transition, notice and run step happened exactly once.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.drive import (
    ApiActor,
    Backlog,
    CliActor,
    Clock,
    Record,
    TimedHttpReceiver,
    drive_all,
    settle,
)
from bench.plans import COLOUR_WEIGHTS, Plan, make_plans
from bench.procs import (
    BackendSampler,
    BenchError,
    PrefectServer,
    Ran,
    Service,
    code_version,
    free_port,
    http_ok,
    load,
    machine,
    run_cli,
    tree_peak_rss_mib,
)
from tests.receivers import SmtpReceiver, wire_channels

__all__ = ["machine", "main"]

ROOT = Path(__file__).resolve().parent.parent
# A Thursday 09:00 in the district: the clock runs at wall pace from here (the holiday data in
# config/holidays.yaml covers 2026).
T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_APP = "whistle-bench"  # application_name of this process's own store connections


# --- the store ----------------------------------------------------------------------------------


def _pg_execute(admin_url: str, statement: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


@contextlib.contextmanager
def store(kind: str, folder: Path, pg_admin: str) -> Iterator[tuple[str, str, str | None]]:
    """(URL, description, database name) of a fresh store; a PostgreSQL one is dropped after."""
    if kind == "sqlite":
        import sqlite3

        yield f"sqlite:///{folder / 'whistle.db'}", f"SQLite {sqlite3.sqlite_version}", None
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
    try:
        yield (
            pg_admin.rsplit("/", 1)[0] + f"/{name}",
            f"PostgreSQL {str(version).split()[0]} (local TCP)",
            name,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _own(url: str) -> str:
    """The store URL for this process's own connections, named so the sampler leaves them out."""
    if url.startswith("sqlite"):
        return url
    return url + ("&" if "?" in url else "?") + f"application_name={BENCH_APP}"


# --- in-process CLI calls for the set-up ----------------------------------------------------------


def whistle(*argv: str) -> Any:
    """`whistle ARGV --json` in this process (set-up only: init and tokens)."""
    from whistle.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--json"])
    if code != 0:
        raise BenchError(f"whistle {' '.join(argv)} exited {code}: {err.getvalue().strip()}")
    return json.loads(out.getvalue())


def issue_tokens() -> dict[str, str]:
    """`whistle token create` for the center, every department and every intake channel."""
    from service.app import get_app

    config = get_app().config
    tokens = {d: whistle("token", "create", "--department", d)["token"] for d in config.departments}
    for channel in config.channels_in:
        tokens[f"channel:{channel}"] = whistle("token", "create", "--channel", channel)["token"]
    return tokens


def engines_seen(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM engine_seen").scalar_one())
    finally:
        engine.dispose()


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


# --- probes: a CLI command as its own process -----------------------------------------------------


def probe(
    env: dict[str, str], clock: Clock, http: TimedHttpReceiver, plan: Plan, times: int
) -> dict[str, Any]:
    """A matter for the probe, then `times` × `whistle show` and `times` × `whistle progress`
    (an action) one after another, each its own process, with the engines running."""
    since = http.count()
    ran = run_cli([*plan.intake_argv(), "--json", "--at", clock.iso()], env)
    if ran.code:
        raise BenchError(f"probe intake exited {ran.code}: {ran.err[-500:]}")
    number = json.loads(ran.out)["number"]
    deadline = time.monotonic() + 60
    while (found := http.referral(number, since)) is None:
        if time.monotonic() > deadline:
            raise BenchError(f"probe {number} was not referred")
        http.wait_change(0.05)
    lead = found[0]
    run_cli(["ack", number, "--department", lead, "--json", "--at", clock.iso()], env)
    shows: list[Ran] = []
    acts: list[Ran] = []
    for _ in range(times):
        shows.append(run_cli(["show", number, "--json", "--at", clock.iso()], env))
        acts.append(
            run_cli(
                [
                    "progress",
                    number,
                    "--department",
                    lead,
                    "--note",
                    "进展",
                    "--json",
                    "--at",
                    clock.iso(),
                ],
                env,
            )
        )
    bad = [r for r in shows + acts if r.code]
    if bad:
        raise BenchError(f"probe command exited {bad[0].code}: {bad[0].err[-500:]}")

    def median(runs: list[Ran], what: str) -> float:
        return round(float(statistics.median(getattr(r, what) for r in runs)), 3)

    return {
        "times": times,
        "show_wall_s": median(shows, "wall"),
        "show_cpu_s": median(shows, "cpu"),
        "show_rss_mib": round(max(r.rss_mib for r in shows), 1),
        "action_wall_s": median(acts, "wall"),
        "action_cpu_s": median(acts, "cpu"),
        "action_rss_mib": round(max(r.rss_mib for r in acts), 1),
    }


def import_times(env: dict[str, str], top: int = 12) -> list[tuple[str, float]]:
    """The slowest top-level imports of `whistle show` (python -X importtime), cumulative ms."""
    done = run_cli(["categories", "--json"], env)  # warm the file cache
    del done
    import subprocess

    answer = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "whistle", "categories", "--json"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    rows = []
    for line in answer.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            name = parts[2]
            if not name.startswith(" ") and "." not in name.strip():
                rows.append((name.strip(), int(parts[1]) / 1000))
    return sorted(rows, key=lambda r: -r[1])[:top]


# --- the run --------------------------------------------------------------------------------------


def bench(args: argparse.Namespace) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        if args.keep_temp:
            tmp = Path(tempfile.mkdtemp(prefix="whistle-bench-"))
            print(f"bench: keeping {tmp} (config, logs, Prefect server home)", file=sys.stderr)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="whistle-bench-")))
        http = stack.enter_context(TimedHttpReceiver())
        smtp = stack.enter_context(SmtpReceiver())
        folder = tmp / "config"
        shutil.copytree(ROOT / "config", folder)
        wire_channels(folder, http, smtp)
        load_before = load()

        extra = dict(item.split("=", 1) for item in args.server_env)
        prefect_db: str | None = None
        if args.prefect_db == "postgresql":
            prefect_db = f"whistle_prefect_{uuid.uuid4().hex[:10]}"
            _pg_execute(args.pg_admin, f'CREATE DATABASE "{prefect_db}"')
            stack.callback(
                _pg_execute, args.pg_admin, f'DROP DATABASE IF EXISTS "{prefect_db}" WITH (FORCE)'
            )
            extra["PREFECT_API_DATABASE_CONNECTION_URL"] = (
                args.pg_admin.rsplit("/", 1)[0].replace("+psycopg", "+asyncpg") + f"/{prefect_db}"
            )
        version = code_version()
        server = PrefectServer(tmp / "prefect-server", extra, access_log=args.count_requests)
        stack.callback(server.stop)
        server.start()

        url, store_name, database = stack.enter_context(store(args.store, tmp, args.pg_admin))
        whistle_env = {
            "WHISTLE_CONFIG": str(folder),
            "WHISTLE_DATABASE_URL": url,
            "WHISTLE_ALLOW_CLOCK_OVERRIDE": "1",
            "WHISTLE_LINK_BASE": "https://whistle.example/",
            "WHISTLE_HOME": str(tmp / "home"),
            "WHISTLE_SECRET_KEY": secrets.token_urlsafe(48),
            "WHISTLE_DISPATCH": "auto",
            "PREFECT_API_URL": server.api_url,
            "PREFECT_HOME": str(tmp / "prefect-client"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WHISTLE_"))
        }
        env = base_env | whistle_env  # for every Whistle process this starts
        os.environ.update(whistle_env | {"WHISTLE_DATABASE_URL": _own(url)})
        from service import app as app_module

        app_module.reset()
        own_url = _own(url)
        whistle("init")
        tokens = issue_tokens()
        config = app_module.get_app().config
        villages, towns = sorted(config.villages), sorted(config.towns)
        plans = make_plans(args.matters + args.warmup + 1, args.seed, villages, towns)
        warmup, measured = plans[: args.warmup], plans[args.warmup : -1]
        probe_plan = plans[-1]

        clock = Clock(T0)
        services: list[Service] = []
        api: Service | None = None
        if args.mode == "api":
            port = free_port()
            api = Service("api", ["api", "--port", str(port)], env, tmp / "api.log")
            api.start()
            services.append(api)
            stack.callback(api.stop)
            base = f"http://127.0.0.1:{port}"
            api.wait_ready(lambda: http_ok(f"{base}/health"))
        engines = []
        for i in range(args.engines):
            engine = Service(
                f"engine-{i}",
                ["worker", "--limit", str(args.engine_limit), "--at", clock.iso()],
                env,
                tmp / f"engine-{i}.log",
            )
            engine.start()
            stack.callback(engine.stop)
            engines.append(engine)
            services.append(engine)
        for engine in engines:
            engine.wait_log("engine started")
        deadline = time.monotonic() + 60
        while engines_seen(own_url) < args.engines:
            if time.monotonic() > deadline:
                raise BenchError("the engines did not note themselves in the store")
            time.sleep(0.1)

        record = Record()

        def actor() -> ApiActor | CliActor:
            if args.mode == "api":
                return ApiActor(base, tokens, clock, record)
            return CliActor(env, clock, record)

        citizen_link = args.mode == "api"
        # Warm-up: imports, the `matter` flow, template compilation, connection pools.
        drive_all(warmup, actor, http, record, clients=1, in_flight=args.in_flight,
                  citizen_link=citizen_link)  # fmt: skip
        settle(own_url)
        time.sleep(1.0)
        server.wait_quiet(idle_rate=0.05)
        cpu0 = server.cpu()
        time.sleep(2.0)
        idle_rate = (server.cpu() - cpu0) / 2.0
        record = Record()
        notices0 = http.count() + len(smtp.messages)

        spies = []
        if args.profile:
            from bench.spy import Spy

            out = Path(args.profile)
            out.mkdir(parents=True, exist_ok=True)
            targets = [(s.name, s.pid) for s in services] + [("prefect-server", server.pid)]
            spies = [Spy(name, pid, out / f"{name}.txt") for name, pid in targets]

        # --- measured ---------------------------------------------------------------------------
        sampler = None
        databases = [d for d in (database, prefect_db) if d is not None]
        if databases:
            sampler = BackendSampler(args.pg_admin, databases, BENCH_APP)
            sampler.start()
        backlog = Backlog(own_url)
        log_offset = server.log_size()
        cpu_before = {s.name: s.cpu() for s in services}
        server_cpu0 = server.cpu()
        driver_cpu0 = time.process_time()
        for spy in spies:
            spy.start()
        backlog.start()
        load_start = load()
        wall0 = time.perf_counter()
        drive_all(measured, actor, http, record, clients=args.clients,
                  in_flight=args.in_flight, citizen_link=citizen_link,
                  rate=args.rate)  # fmt: skip
        acted = time.perf_counter()
        settled = settle(own_url)
        wall = settled - wall0
        cpu_after = {s.name: s.cpu() for s in services}
        driver_cpu = time.process_time() - driver_cpu0
        load_end = load()
        backlog_max = backlog.stop()
        for spy in spies:
            spy.stop()
        backends_cpu = sampler.stop() if sampler is not None else {}
        backends = sampler.backends if sampler is not None else 0
        drain_s = server.wait_quiet(idle_rate)
        server_cpu = server.cpu() - server_cpu0  # until quiet again, its idle use included
        requests = server.requests_since(log_offset) if args.count_requests else None
        # ----------------------------------------------------------------------------------------

        notices = http.count() + len(smtp.messages) - notices0
        from bench.verify import check_prefect, check_store, prefect_rows

        checked = check_store(own_url, measured, record.numbers, http, smtp, record.last_action)
        prefect = check_prefect(server.api_url, checked)
        rows = prefect_rows(
            server.home,
            args.pg_admin.rsplit("/", 1)[0] + f"/{prefect_db}" if prefect_db else None,
        )

        probes = probe(env, clock, http, probe_plan, args.probes) if args.probes else None
        imports = import_times(env) if args.profile else None
        rss = {s.name: round(s.peak_rss_mib(), 1) for s in services}
        rss["prefect-server"] = round(tree_peak_rss_mib(server.pid), 1)
        for s in services:
            s.stop()
        server_exit = server.stop()

        floor = None
        if args.floor_matters and args.store == "postgresql":
            from bench.floor import run as run_floor

            floor = run_floor("postgresql", args.floor_matters)

        n = len(measured)
        cli_runs = record.runs
        cpu: dict[str, float] = {"prefect-server": server_cpu}
        for s in services:
            cpu[s.name] = cpu_after[s.name] - cpu_before[s.name]
        if cli_runs:
            cpu["cli-processes"] = sum(r.cpu for r in cli_runs)
        if prefect_db is not None:  # the Prefect server's database work is the server's
            cpu["prefect-postgresql"] = backends_cpu.get(prefect_db, 0.0)
        whistle_prefect = sum(cpu.values())
        store_cpu = backends_cpu.get(database, 0.0) if database is not None else 0.0
        if database is not None:
            cpu["store-postgresql"] = store_cpu
        by_kind: dict[str, list[Ran]] = {}
        for r in cli_runs:
            by_kind.setdefault(r.argv[0], []).append(r)
        lags = checked["draw_lag_s"]
        figures: dict[str, Any] = {
            "mode": args.mode,
            "matters": n,
            "engines": args.engines,
            "store": args.store,
            "prefect_db": args.prefect_db,
            "clients": args.clients,
            "in_flight": args.in_flight,
            "rate": args.rate,
            "seed": args.seed,
            "warmup_matters": len(warmup),
            "commands": sum(record.commands.values()),
            "commands_by_kind": dict(record.commands),
            "notices_delivered": notices,
            "mix": {
                "colours": {c: record.colours.get(c, 0) for c in COLOUR_WEIGHTS},
                "co_handled": record.co_handled,
                "returned_rereferred": record.returned,
                "reopened": record.reopened,
            },
            "wall_s": round(wall, 2),
            "actions_s": round(acted - wall0, 2),
            "matters_per_s": round(n / wall, 3),
            "drawing_lag_s": round(settled - acted, 2),
            "draw_lag_per_matter_s": {
                "p50": round(percentile(lags, 50), 2),
                "p95": round(percentile(lags, 95), 2),
                "max": round(max(lags, default=0.0), 2),
            },
            "backlog_max": backlog_max,
            "cpu_s_per_matter": {k: round(v / n, 4) for k, v in cpu.items()},
            "cpu_s_per_matter_total": round(whistle_prefect / n, 4),
            "cpu_s_per_matter_with_store": round((whistle_prefect + store_cpu) / n, 4),
            "postgresql_backends_seen": backends,
            "driver_cpu_s_per_matter": round(driver_cpu / n, 4),
            "server_idle_cpu_pct": round(100 * idle_rate, 1),
            "server_drain_s": round(drain_s, 1),
            "intake_to_notice_ms": {
                q: round(1000 * percentile(record.latencies, v), 1)
                for q, v in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))
            },
            "cli_by_command": {
                k: {
                    "count": len(v),
                    "wall_s_median": round(statistics.median(r.wall for r in v), 3),
                    "cpu_s_median": round(statistics.median(r.cpu for r in v), 3),
                }
                for k, v in sorted(by_kind.items())
            },
            "probe": probes,
            "floor": floor,
            "checks": {
                "problems": checked["problems"] + prefect["problems"],
                "matters": checked["matters"],
                "notices": checked["notices"],
                "deliveries": checked["deliveries"],
                "task_runs": prefect["task_runs"],
                "notice_steps": prefect["notice_steps"],
                "repeated_task_run_names": prefect["repeated_names"],
            },
            "prefect_rows_per_matter": {
                k: round(v / checked["matters"], 2) for k, v in rows.items()
            },
            "prefect_requests": (dict(requests.most_common()) if requests is not None else None),
            "peak_rss_mib": rss,
            "server_exit_code": server_exit,
            "load": {"before": load_before, "start": load_start, "end": load_end},
            "machine": machine() | {"store": store_name},
            "code": version,
        }
        if spies:
            from bench.spy import report, summarise

            figures["profile"] = {spy.name: str(spy.out) for spy in spies}
            figures["profile_text"] = "\n\n".join(
                report(spy.name, summarise(spy.out)) for spy in spies
            )
        if imports is not None:
            figures["import_ms"] = dict(imports)
        return figures


# --- output -------------------------------------------------------------------------------------


def table(f: dict[str, Any]) -> str:
    m, mix = f["machine"], f["mix"]
    colours = " · ".join(f"{c} {k}" for c, k in mix["colours"].items())
    lat = f["intake_to_notice_ms"]
    cpu = f["cpu_s_per_matter"]
    lag = f["draw_lag_per_matter_s"]
    lines = [
        f"Whistle lifecycle benchmark: mode {f['mode']}, {f['matters']} matters, "
        f"{f['engines']} engine(s), store {f['store']}, Prefect server on {f['prefect_db']}, "
        f"{f['clients']} driver thread(s), {f['in_flight']} in flight at most, "
        + (f"{f['rate']} new matters/s, " if f["rate"] else "closed loop, ")
        + f"seed {f['seed']}",
        f"machine  {m['cpu']} · {m['cores']} cores · {m['ram_gib']} GiB RAM · Python "
        f"{m['python']} · Prefect {m['prefect']} · store {m['store']}",
        f"load     {f['load']['before']} (before) · {f['load']['start']} (start) · "
        f"{f['load']['end']} (end)   code {f['code']}",
        f"mix      {colours} · co-handled {mix['co_handled']} · returned+re-referred "
        f"{mix['returned_rereferred']} · reopened {mix['reopened']}",
        "",
        f"matters per second          {f['matters_per_s']:8.2f}   {f['matters']} matters in "
        f"{f['wall_s']:.1f} s (actions {f['actions_s']:.1f} s + drawing lag "
        f"{f['drawing_lag_s']:.1f} s), {f['commands']} commands",
        f"run drawn after last action  p50 {lag['p50']:.2f} s · p95 {lag['p95']:.2f} s · max "
        f"{lag['max']:.2f} s; backlog max {f['backlog_max']['stale_runs_max']} runs, "
        f"{f['backlog_max']['notices_max']} notices",
        f"intake→notice ms            p50 {lat['p50']:.0f} · p95 {lat['p95']:.0f} · p99 "
        f"{lat['p99']:.0f} · max {lat['max']:.0f}",
        "CPU s per matter:",
    ]
    for name, value in cpu.items():
        lines.append(f"  {name:<26} {value:8.3f}")
    lines.append(f"  {'= total (Whistle+Prefect)':<26} {f['cpu_s_per_matter_total']:8.3f}")
    lines.append(f"  {'= total with the store':<26} {f['cpu_s_per_matter_with_store']:8.3f}")
    lines.append(f"  {'(driver, not counted)':<26} {f['driver_cpu_s_per_matter']:8.3f}")
    lines.append(
        f"  Prefect server idle {f['server_idle_cpu_pct']:.1f}% CPU (counted above), quiet "
        f"{f['server_drain_s']:.1f} s after the engines finished"
    )
    if f["floor"]:
        fl = f["floor"]
        lines.append(
            f"floor (plain SQL)            {fl['matters_per_s']} matters/s · client CPU "
            f"{fl['client_cpu_ms_per_matter']} ms · backend CPU "
            f"{fl.get('server_cpu_ms_per_matter', '-')} ms per matter"
        )
    if f["probe"]:
        p = f["probe"]
        lines.append(
            f"CLI probe (median of {p['times']})   show {p['show_wall_s']:.2f} s wall / "
            f"{p['show_cpu_s']:.2f} CPU-s · action (progress) {p['action_wall_s']:.2f} s wall / "
            f"{p['action_cpu_s']:.2f} CPU-s · RSS {p['show_rss_mib']:.0f}/"
            f"{p['action_rss_mib']:.0f} MiB"
        )
    for kind, v in f["cli_by_command"].items():
        lines.append(
            f"  cli {kind:<10} ×{v['count']:<4} median {v['wall_s_median']:.2f} s wall, "
            f"{v['cpu_s_median']:.2f} CPU-s"
        )
    rows = f["prefect_rows_per_matter"]
    lines.append("Prefect rows per matter      " + " · ".join(f"{k} {v}" for k, v in rows.items()))
    rss = f["peak_rss_mib"]
    lines.append("peak RSS MiB                 " + " · ".join(f"{k} {v}" for k, v in rss.items()))
    checks = f["checks"]
    verdict = "OK" if not checks["problems"] else f"{len(checks['problems'])} PROBLEM(S)"
    lines.append(
        f"exactly once                 {verdict}: {checks['matters']} matters, "
        f"{checks['notices']} notices ({checks['deliveries']} deliveries), "
        f"{checks['task_runs']} task runs ({checks['notice_steps']} of them notice batches; "
        f"{checks['repeated_task_run_names']} repeat another's name in their run, keys unique)"
    )
    lines += [f"  ! {p}" for p in checks["problems"][:20]]
    if f["prefect_requests"]:
        total = sum(f["prefect_requests"].values())
        lines.append(f"Prefect API requests: {total / f['matters']:.1f} per matter")
        for k, v in list(f["prefect_requests"].items())[:15]:
            lines.append(f"  {v / f['matters']:7.2f}  {k}")
    if f.get("import_ms"):
        lines.append(
            "imports of a CLI command (ms, cumulative)  "
            + " · ".join(f"{k} {v:.0f}" for k, v in f["import_ms"].items())
        )
    return "\n".join(lines)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    doc = (__doc__ or "").splitlines()[0]
    p = argparse.ArgumentParser(prog="python -m bench.lifecycle", description=doc)
    p.add_argument(
        "--mode",
        choices=("api", "cli"),
        default="api",
        help="api: every action over HTTP to `whistle api`; cli: each its own process",
    )
    p.add_argument("--matters", type=int, default=100, help="matters to measure (default 100)")
    p.add_argument("--engines", type=int, default=1, help="`whistle worker` processes")
    p.add_argument("--engine-limit", type=int, default=50, help="the engines' --limit")
    p.add_argument("--store", choices=("sqlite", "postgresql"), default="postgresql")
    p.add_argument(
        "--prefect-db",
        choices=("sqlite", "postgresql"),
        default="postgresql",
        help="the Prefect server's own database (default postgresql, the production shape; on "
        "SQLite it answers 503 'database is locked' under load)",
    )
    p.add_argument("--clients", type=int, default=4, help="driver threads acting at once")
    p.add_argument("--in-flight", type=int, default=16, help="open matters, over all threads")
    p.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="new matters per second (open loop); 0: keep --in-flight open (default)",
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--warmup", type=int, default=2, help="matters run first and not counted")
    p.add_argument(
        "--probes",
        type=int,
        default=10,
        help="`whistle show` and action processes timed after the run (0: none)",
    )
    p.add_argument(
        "--floor-matters",
        type=int,
        default=300,
        help="matters for the plain-SQL floor in the same run (0: skip)",
    )
    p.add_argument(
        "--count-requests",
        action="store_true",
        help="count the Prefect server's requests from its access log",
    )
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy the API, engines and Prefect server into DIR; show imports",
    )
    p.add_argument("--pg-admin", default=PG_ADMIN, help="PostgreSQL URL to create databases from")
    p.add_argument("--keep-temp", action="store_true", help="keep the temporary folder (logs)")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the Prefect server (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = p.parse_args(argv)  # fmt: skip
    if args.matters < 1 or args.warmup < 1 or args.in_flight < 1 or args.clients < 1:
        p.error("--matters, --warmup, --in-flight and --clients must be at least 1")
    if args.engines < 1:
        p.error("--engines must be at least 1: the engines carry out what follows each action")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        figures = bench(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print(table(figures))
    if figures.get("profile_text"):
        print()
        print(figures["profile_text"])
    if args.json:
        shown = {k: v for k, v in figures.items() if k != "profile_text"}
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0 if not figures["checks"]["problems"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
