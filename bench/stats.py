"""Statistics benchmark: `whistle stats` over a year of matters, at city-hotline volume.

    .venv/bin/python -m bench.stats [--matters 1000000] [--store sqlite|postgresql] [--by town]

Bulk-loads a year (2026) of matters with a seeded, realistic mix: categories and channels,
colours, a lead part for every matter and a co-handler for a third, 85 % acknowledged (most in
time), 80 % resolved and most of those closed with feedback (9 in 10 satisfied), 10 % returned,
15 % with a reminder or worse on the ladder. Then it times the real command,
`whistle stats --from 2026-01-01 --to 2026-12-31 --json` (and once more with `--by`), in this
process against that store, and prints the three rates it found so a reader can see the load
was not empty.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.procs import machine
from bench.sweep import _drop, _store

ROOT = Path(__file__).resolve().parent.parent
YEAR = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=8)  # 2026-01-01 00:00 +08:00
CATEGORIES = ("labour", "wage_arrears", "neighbour", "family", "property", "consumer",
              "legal_consult", "counselling", "petition", "traffic", "land", "medical")  # fmt: skip
CHANNELS = ("walk_in", "hotline", "grid", "web")
COLOURS = (("green", 60), ("yellow", 25), ("orange", 12), ("red", 3))
DEPARTMENTS = ("hrss", "justice", "public_security", "housing", "market_regulation", "health")


def load(engine: sa.Engine, matters: int, seed: int, batch: int = 20_000) -> float:
    """Insert `matters` matters with their parts and ladder steps; seconds taken."""
    from models.tables import Assignment, Citizen, LadderStep, Matter

    rng = random.Random(seed)
    colours = [c for c, w in COLOURS for _ in range(w)]
    started = time.perf_counter()
    part_id = step_id = 0
    with engine.begin() as conn:
        for first in range(1, matters + 1, batch):
            ids = range(first, min(first + batch, matters + 1))
            citizens, rows, parts, steps = [], [], [], []
            for i in ids:
                created = YEAR + timedelta(seconds=rng.randrange(365 * 86400))
                lead = rng.choice(DEPARTMENTS)
                acked = rng.random() < 0.85
                ack_at = created + timedelta(hours=rng.uniform(0.5, 30)) if acked else None
                resolved = acked and rng.random() < 0.8
                resolved_at = created + timedelta(days=rng.uniform(1, 24)) if resolved else None
                closed = resolved and rng.random() < 0.9
                returned = not acked and rng.random() < 0.6
                status = (
                    "closed" if closed else "resolved" if resolved else
                    "returned" if returned else "in_progress" if acked else "referred"
                )  # fmt: skip
                citizens.append({"id": i, "name": "演示", "phone": "13800000000",
                                 "created_at": created})  # fmt: skip
                rows.append({
                    "id": i, "number": f"M{created:%Y%m%d}-{i:07d}", "citizen_id": i,
                    "category": rng.choice(CATEGORIES), "title": "t", "description": "d",
                    "channel": rng.choice(CHANNELS), "area": "T01V01", "town": f"T0{1 + i % 8}",
                    "village": None, "tier": "town", "colour": rng.choice(colours),
                    "people": 1 + (rng.random() < 0.1) * rng.randrange(1, 30), "visits": 0,
                    "amount": 0, "flags": [], "status": status, "lead_department": lead,
                    "outcome": "handled" if resolved else None,
                    # Closed after feedback; one in ten was unsatisfied once and reopened first.
                    "feedback": "satisfied" if closed else None,
                    "reopen_count": int(closed and rng.random() < 0.1),
                    "created_at": created, "updated_at": created, "resolved_at": resolved_at,
                    "closed_at": resolved_at + timedelta(days=3) if closed and resolved_at
                    else None,
                })  # fmt: skip
                roles = [("lead", lead)]
                if rng.random() < 0.33:
                    roles.append(("co", rng.choice([d for d in DEPARTMENTS if d != lead])))
                for role, dept in roles:
                    part_id += 1
                    parts.append({
                        "id": part_id, "matter_id": i, "department": dept, "role": role,
                        "status": "returned" if returned and role == "lead" else
                        ("resolved" if role == "lead" else "reported") if resolved else
                        "acknowledged" if acked else "referred",
                        "round": 1, "assigned_at": created, "acknowledged_at": ack_at,
                        "finished_at": resolved_at, "clock_start": created,
                        "ack_due": created + timedelta(hours=24),
                        "due": created + timedelta(days=21),
                    })  # fmt: skip
                    if rng.random() < 0.15:
                        step_id += 1
                        steps.append({"id": step_id, "assignment_id": part_id, "clock": "handle",
                                      "level": rng.choice(("reminder", "urging", "supervision")),
                                      "at": created + timedelta(days=18)})  # fmt: skip
            conn.execute(sa.insert(Citizen.__table__), citizens)  # type: ignore[attr-defined]
            conn.execute(sa.insert(Matter.__table__), rows)  # type: ignore[attr-defined]
            conn.execute(sa.insert(Assignment.__table__), parts)  # type: ignore[attr-defined]
            if steps:
                conn.execute(sa.insert(LadderStep.__table__), steps)  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def stats_command(*extra: str) -> tuple[float, dict[str, Any]]:
    """Run `whistle stats` for the year in this process; its wall time and its document."""
    from whistle.cli import main

    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(["stats", "--from", "2026-01-01", "--to", "2026-12-31", "--json", *extra])
    took = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"whistle stats exited {code}")
    return took, json.loads(out.getvalue())


def run(kind: str, matters: int, seed: int, by: str) -> dict[str, Any]:
    from service import app as app_module
    from service.store.db import create_schema, get_engine

    with tempfile.TemporaryDirectory(prefix="whistle-stats-") as tmp:
        url, name = _store(kind, Path(tmp))
        try:
            os.environ |= {"WHISTLE_DATABASE_URL": url, "WHISTLE_CONFIG": str(ROOT / "config")}
            app_module.reset()
            engine = get_engine(url)
            create_schema(engine)
            loaded = load(engine, matters, seed)
            first, doc = stats_command()
            second, _ = stats_command()
            grouped, _ = stats_command("--by", by)
            engine.dispose()
        finally:
            app_module.reset()
            if name:
                _drop(name)
    return {
        "store": kind,
        "matters": matters,
        "load_s": round(loaded, 1),
        "stats_s": round(first, 2),
        "stats_again_s": round(second, 2),
        "stats_by_s": round(grouped, 2),
        "by": by,
        "rates": {k: doc["rates"][k]["rate"] for k in ("response", "resolution", "satisfaction")},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matters", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--by", default="department")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    r = run(args.store, args.matters, args.seed, args.by)
    m = machine()
    print(f"machine  {m['cpu']} · {m['cores']} cores · Python {m['python']} · store {args.store}")
    print(f"{'matters':>9} {'load s':>7} {'stats s':>8} {'again s':>8} {'by ' + r['by'] + ' s':>16}"
          f"  rates")  # fmt: skip
    print(
        f"{r['matters']:>9} {r['load_s']:>7} {r['stats_s']:>8} {r['stats_again_s']:>8} "
        f"{r['stats_by_s']:>16}  {r['rates']}"
    )
    if args.json:
        print(json.dumps(r, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
