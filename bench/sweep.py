"""Sweep benchmark: does the deadline sweep scale with what is due, not with what is open?

    .venv/bin/python -m bench.sweep --open 10000 100000 1000000 --due 1000 [--store postgresql]

For each size it bulk-loads that many open matters (one citizen, one lead part each, clocks far
in the future) plus `--due` matters whose acknowledgement clock has run out, then times one
sweep's work in the store: finding the due parts (the indexed `next_check_at` range) and taking
their ladder steps (locks, steps, timeline events, rendered notices in the outbox). Delivery is
the notice benchmark's business and is not part of this figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thursday 09:00 in Asia/Shanghai
NOW = T0 + timedelta(hours=30)  # past every due part's acknowledgement deadline


def _store(kind: str, folder: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'sweep.db'}", None
    name = f"whistle_sweep_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def _drop(name: str) -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def load(engine: sa.Engine, *, open_count: int, due_count: int, batch: int = 20_000) -> float:
    """Bulk-load open matters (clocks far ahead) and due ones; return the seconds it took."""
    from models.tables import Assignment, Citizen, Matter

    started = time.perf_counter()
    far = T0 + timedelta(days=60)
    total = open_count + due_count
    with engine.begin() as conn:
        for first in range(0, total, batch):
            ids = range(first + 1, min(first + batch, total) + 1)
            conn.execute(
                sa.insert(Citizen.__table__),  # type: ignore[attr-defined]
                [{"id": i, "name": "演示", "phone": "13800000000", "created_at": T0} for i in ids],
            )
            conn.execute(
                sa.insert(Matter.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "id": i,
                        "number": f"M20261126-{i:07d}",
                        "citizen_id": i,
                        "category": "neighbour",
                        "title": "t",
                        "description": "d",
                        "channel": "walk_in",
                        "area": "T01V01",
                        "town": "T01",
                        "village": "T01V01",
                        "tier": "village",
                        "colour": "green",
                        "people": 1,
                        "visits": 0,
                        "amount": 0,
                        "flags": [],
                        "status": "referred",
                        "lead_department": "T01V01.mediation",
                        "reopen_count": 0,
                        "created_at": T0,
                        "updated_at": T0,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                sa.insert(Assignment.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "id": i,
                        "matter_id": i,
                        "department": "T01V01.mediation",
                        "role": "lead",
                        "status": "referred",
                        "round": 1,
                        "assigned_at": T0,
                        "clock_start": T0,
                        "ack_due": T0 + timedelta(days=1) if i > open_count else far,
                        "due": T0 + timedelta(days=21) if i > open_count else far,
                        "next_check_at": T0 + timedelta(hours=18) if i > open_count else far,
                    }
                    for i in ids
                ],
            )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
        for table in ("citizen", "matter", "assignment"):
            with engine.begin() as conn:
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {total})")
                )
    return time.perf_counter() - started


def sweep_once(app: Any) -> dict[str, float]:
    """Find the due parts and take their steps, as the sweep's escalation task does."""
    from service.actions import due_parts, escalate_due
    from service.store.db import session

    started = time.perf_counter()
    with session(app.engine) as s:
        ids = due_parts(session=s, now=NOW)
        found = time.perf_counter() - started
    started = time.perf_counter() - found
    with session(app.engine) as s:  # exactly what the sweep flow's escalation task does
        steps = len(escalate_due(s, app, NOW))
    return {
        "parts": len(ids),
        "steps": steps,
        "find_s": found,
        "total_s": time.perf_counter() - started,
    }


def run(kind: str, open_count: int, due_count: int) -> dict[str, Any]:
    from service.app import build_app
    from service.settings import Settings
    from service.store.db import create_schema

    with tempfile.TemporaryDirectory(prefix="whistle-sweep-") as tmp:
        url, pg_name = _store(kind, Path(tmp))
        try:
            app = build_app(Settings(config=ROOT / "config", database_url=url))
            create_schema(app.engine)
            loaded = load(app.engine, open_count=open_count, due_count=due_count)
            figures = sweep_once(app)
            again = sweep_once(app)  # the same moment again: nothing left to do
            app.engine.dispose()
        finally:
            if pg_name:
                _drop(pg_name)
    return {
        "store": kind,
        "open": open_count,
        "due": due_count,
        "load_s": loaded,
        **figures,
        "second_sweep_steps": again["steps"],
        "second_sweep_s": again["total_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    print(
        f"machine  {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · store {args.store}"
    )
    print(
        f"{'open':>9} {'due':>5} {'load s':>8} {'find ms':>8} {'sweep s':>8} {'steps':>6} "
        f"{'ms/step':>8} {'2nd sweep':>10}"
    )
    for count in args.open:
        r = run(args.store, count, args.due)
        print(
            f"{r['open']:>9} {r['due']:>5} {r['load_s']:>8.1f} {r['find_s'] * 1000:>8.1f} "
            f"{r['total_s']:>8.2f} {r['steps']:>6} "
            f"{r['total_s'] * 1000 / max(r['steps'], 1):>8.2f} "
            f"{r['second_sweep_steps']:>4} steps",
            flush=True,
        )


if __name__ == "__main__":
    main()
