"""The floor: a matter's whole lifecycle as plain SQL writes, without Prefect or Whistle's code.

    .venv/bin/python -m bench.floor [--matters 2000] [--store sqlite|postgresql|both]

Each matter goes through the same transactions the lifecycle benchmark drives through Whistle
(intake; referral to a lead and two co-handlers; three acknowledgements; two co-handler reports;
resolution; satisfied feedback and closing), each one transaction that locks the matter row,
updates it, appends its timeline event and writes its outbox notices, on the store's real
tables. Nothing is rendered, graded, routed or sent: this is what the store alone costs, so the
README can say how many times the floor Whistle costs.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.procs import machine, stat_cpu
from bench.sweep import _drop, _store

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
STEPS = 9  # transactions per matter, as below


def _stamp(engine: sa.Engine, at: datetime) -> Any:
    # SQLite keeps naive UTC (as models.tables.UTCDateTime does); PostgreSQL an aware time.
    return at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at


def lifecycle(engine: sa.Engine, index: int) -> None:
    """One matter's transactions, as plain SQL."""
    lock = " FOR UPDATE" if engine.dialect.name == "postgresql" else ""
    at = T0 + timedelta(seconds=index)

    def ts(minutes: int) -> Any:
        return _stamp(engine, at + timedelta(minutes=minutes))

    def step(
        conn: sa.Connection, matter_id: int, minute: int, action: str, notices: list[str]
    ) -> None:
        conn.execute(sa.text(f"SELECT id FROM matter WHERE id = :m{lock}"), {"m": matter_id})
        conn.execute(
            sa.text("UPDATE matter SET updated_at = :t WHERE id = :m"),
            {"t": ts(minute), "m": matter_id},
        )
        conn.execute(
            sa.text(
                "INSERT INTO event (matter_id, at, action, actor, data) "
                "VALUES (:m, :t, :a, 'bench', '{}')"
            ),
            {"m": matter_id, "t": ts(minute), "a": action},
        )
        for recipient in notices:
            conn.execute(
                sa.text(
                    "INSERT INTO notice (key, matter_id, kind, recipient, language, subject, "
                    "body, status, attempts, delivered, created_at) VALUES (:k, :m, :a, :r, "
                    "'zh', '主题', '正文', 'pending', 0, '[]', :t)"
                ),
                {"k": f"{matter_id}:{action}:{minute}:{recipient}", "m": matter_id,
                 "a": action, "r": recipient, "t": ts(minute)},
            )  # fmt: skip

    with engine.begin() as conn:
        citizen = conn.execute(
            sa.text(
                "INSERT INTO citizen (name, phone, created_at) VALUES ('某某', '13800000000', :t) "
                "RETURNING id"
            ),
            {"t": ts(0)},
        ).scalar_one()
        matter = conn.execute(
            sa.text(
                "INSERT INTO matter (number, citizen_id, category, title, description, channel, "
                "area, town, tier, colour, people, visits, amount, flags, status, reopen_count, "
                "created_at, updated_at) VALUES (:n, :c, 'wage_arrears', '标题', '描述', "
                "'walk_in', 'T01V01', 'T01', 'village', 'green', 1, 0, 0, '[]', 'received', 0, "
                ":t, :t) RETURNING id"
            ),
            {"n": f"F{index:012d}", "c": citizen, "t": ts(0)},
        ).scalar_one()
        step(conn, matter, 0, "received", [])
    departments = ("hrss", "justice", "public_security")
    parts: dict[str, int] = {}
    with engine.begin() as conn:
        for role, dept in zip(("lead", "co", "co"), departments, strict=True):
            parts[dept] = conn.execute(
                sa.text(
                    "INSERT INTO assignment (matter_id, department, role, status, round, "
                    "assigned_at) VALUES (:m, :d, :r, 'referred', 1, :t) RETURNING id"
                ),
                {"m": matter, "d": dept, "r": role, "t": ts(1)},
            ).scalar_one()
        conn.execute(
            sa.text(
                "UPDATE matter SET status = 'referred', lead_department = 'hrss' WHERE id = :m"
            ),
            {"m": matter},
        )
        step(conn, matter, 1, "referred", list(departments))
    for minute, dept in enumerate(departments, start=2):
        with engine.begin() as conn:
            step(conn, matter, minute, "acknowledged", ["center"])
            conn.execute(
                sa.text(
                    "UPDATE assignment SET status = 'acknowledged', acknowledged_at = :t "
                    "WHERE id = :p"
                ),
                {"t": ts(minute), "p": parts[dept]},
            )
    for minute, dept in enumerate(departments[1:], start=5):
        with engine.begin() as conn:
            step(conn, matter, minute, "reported", ["hrss"])
            conn.execute(
                sa.text(
                    "UPDATE assignment SET status = 'reported', finished_at = :t WHERE id = :p"
                ),
                {"t": ts(minute), "p": parts[dept]},
            )
    with engine.begin() as conn:
        step(conn, matter, 7, "resolved", ["center", "citizen"])
        conn.execute(
            sa.text("UPDATE matter SET status = 'resolved', resolved_at = :t WHERE id = :m"),
            {"t": ts(7), "m": matter},
        )
    with engine.begin() as conn:
        step(conn, matter, 8, "closed", ["hrss"])
        conn.execute(
            sa.text(
                "UPDATE matter SET status = 'closed', closed_at = :t, feedback = 'satisfied' "
                "WHERE id = :m"
            ),
            {"t": ts(8), "m": matter},
        )


def run(kind: str, matters: int) -> dict[str, Any]:
    from service.store.db import create_schema, get_engine

    with tempfile.TemporaryDirectory(prefix="whistle-floor-") as tmp:
        url, name = _store(kind, Path(tmp))
        try:
            engine = get_engine(url)
            create_schema(engine)
            work: Callable[[int], None] = lambda i: lifecycle(engine, i)  # noqa: E731
            work(0)  # warm-up: connections, statement caches
            backend = _backend(engine)
            server0 = stat_cpu(Path(f"/proc/{backend}/stat")) if backend else 0.0
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for i in range(1, matters + 1):
                work(i)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            server = stat_cpu(Path(f"/proc/{backend}/stat")) - server0 if backend else None
            engine.dispose()
        finally:
            if name:
                _drop(name)
    return {
        "store": kind,
        "matters": matters,
        "transactions_per_matter": STEPS,
        "matters_per_s": round(matters / wall, 1),
        "ms_per_matter": round(1000 * wall / matters, 2),
        "client_cpu_ms_per_matter": round(1000 * cpu / matters, 2),
        "server_cpu_ms_per_matter": None if server is None else round(1000 * server / matters, 2),
    }


def _backend(engine: sa.Engine) -> int | None:
    """The PostgreSQL backend serving the (one) pooled connection, to read its CPU from /proc;
    None on SQLite (the store runs in this process)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matters", type=int, default=2000)
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("WHISTLE_CONFIG", str(Path(__file__).resolve().parent.parent / "config"))
    kinds = ("sqlite", "postgresql") if args.store == "both" else (args.store,)
    results = [run(kind, args.matters) for kind in kinds]
    m = machine()
    print(f"machine  {m.get('cpu', '?')} · {m.get('cores', '?')} cores · Python {m.get('python')}")
    print("  store        matters  matters/s  ms/matter  client CPU ms/matter  backend CPU ms")
    for r in results:
        print(
            f"  {r['store']:<11} {r['matters']:>8} {r['matters_per_s']:>10} "
            f"{r['ms_per_matter']:>10} {r['client_cpu_ms_per_matter']:>21} "
            f"{r['server_cpu_ms_per_matter'] or '-':>15}"
        )
    if args.json:
        print(json.dumps({"machine": m, "results": results}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
