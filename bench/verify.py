"""After a run: did every transition, notice and matter-run step happen exactly once? Counted in
the store, at the receivers and through the Prefect API; and what Prefect stored per matter.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.plans import Plan
from tests.receivers import HttpReceiver, SmtpReceiver


def expected_actions(plan: Plan, co: int) -> Counter[str]:
    """The timeline actions (other than notices) the plan's story makes."""
    rounds = 2 if plan.reopened else 1
    return Counter(
        {
            "received": 1,
            "referred": 1 + plan.returned,
            "acknowledged": 1 + co + plan.returned,
            "returned": int(plan.returned),
            "progress": int(plan.progress),
            "reported": co,
            "resolved": rounds,
            "reopened": int(plan.reopened),
            "closed": 1,
        }
    )


def check_store(
    url: str,
    plans: Sequence[Plan],
    numbers: dict[int, str],
    http: HttpReceiver,
    smtp: SmtpReceiver,
    last_action: dict[str, datetime],
) -> dict[str, Any]:
    """Transitions per matter against its plan, notices once each, one run per matter and
    every event drawn; plus how long after its last action each matter's run was drawn."""
    problems: list[str] = []
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT m.number, e.action, count(*) FROM event e JOIN matter m ON m.id = e.matter_id "
            "GROUP BY m.number, e.action"
        ).all()
        co_rows = conn.exec_driver_sql(
            "SELECT m.number, count(*) FROM assignment a JOIN matter m ON m.id = a.matter_id "
            "WHERE a.role = 'co' AND a.status <> 'withdrawn' GROUP BY m.number"
        ).all()
        statuses = Counter(r[0] for r in conn.exec_driver_sql("SELECT status FROM matter").all())
        notices = conn.exec_driver_sql("SELECT status, delivered FROM notice").all()
        notified = conn.exec_driver_sql(
            "SELECT count(*) FROM event WHERE action = 'notified'"
        ).scalar_one()
        runs = conn.exec_driver_sql(
            "SELECT m.number, r.flow_run_id, r.shown_event_id, r.state, r.drawn_at, "
            "(SELECT max(id) FROM event e WHERE e.matter_id = m.id), m.run_stale "
            "FROM matter m LEFT JOIN matter_run r ON r.matter_id = m.id"
        ).all()
        events = conn.exec_driver_sql(
            "SELECT m.number, e.id, e.action FROM event e JOIN matter m ON m.id = e.matter_id "
            "ORDER BY e.id"
        ).all()
    engine.dispose()

    actions: dict[str, Counter[str]] = {}
    for number, action, count in rows:
        actions.setdefault(number, Counter())[action] = count
    co: dict[str, int] = {str(k): int(v) for k, v in co_rows}
    for plan in plans:
        number = numbers.get(plan.index)
        if number is None:
            problems.append(f"plan {plan.index}: no matter")
            continue
        got = +Counter({k: v for k, v in actions.get(number, Counter()).items() if k != "notified"})
        want = +expected_actions(plan, co.get(number, 0))
        if got != want:
            problems.append(f"{number}: timeline {dict(got)}, expected {dict(want)}")
    if set(statuses) != {"closed"}:
        problems.append(f"statuses {dict(statuses)}: every matter should be closed")

    unsent = sum(1 for status, _ in notices if status != "sent")
    # PostgreSQL hands the JSON column back as a list, SQLite as its text.
    delivered = [json.loads(d) if isinstance(d, str) else d for _, d in notices]
    deliveries = sum(len(d) for d in delivered if isinstance(d, list))
    received = [(r.path, r.body) for r in http.requests]
    mails = [(m.rcpt_tos, m.subject, m.text) for m in smtp.messages]
    if unsent:
        problems.append(f"{unsent} notice(s) not sent")
    if len(received) + len(mails) != deliveries:
        problems.append(
            f"{len(received)} webhooks + {len(mails)} emails arrived for {deliveries} deliveries"
        )
    if notified != len(notices):
        problems.append(f"{notified} 'notified' events for {len(notices)} notices")
    twice = len(received) - len(set(received)) + len(mails) - len(set(mails))
    if twice:
        problems.append(f"{twice} notice(s) arrived twice")

    run_ids = [r[1] for r in runs]
    lags = []
    for number, run_id, shown, state, drawn_at, last_event, stale in runs:
        if not run_id:
            problems.append(f"{number}: no run")
        elif shown != last_event or stale:
            problems.append(f"{number}: run shows event {shown}, last is {last_event}")
        elif not str(state).startswith("COMPLETED/"):
            problems.append(f"{number}: run state {state}")
        acted = last_action.get(number)
        if acted is not None and drawn_at is not None:
            if isinstance(drawn_at, str):  # SQLite: naive UTC text
                drawn_at = datetime.fromisoformat(drawn_at).replace(tzinfo=UTC)
            lags.append((drawn_at - acted).total_seconds())
    if len(set(run_ids)) != len(run_ids):
        problems.append("two matters share a run")
    steps: dict[str, list[int]] = {}
    for number, event_id, action in events:
        if action != "notified":
            steps.setdefault(number, []).append(event_id)
    return {
        "problems": problems,
        "matters": len(runs),
        "notices": len(notices),
        "deliveries": deliveries,
        "runs": {number: run_id for number, run_id, *_ in runs},
        "steps": steps,
        "draw_lag_s": sorted(lags),
    }


def check_prefect(api_url: str, store: dict[str, Any]) -> dict[str, Any]:
    """Through the Prefect API: one `matter` flow run per matter in its closed state, and per
    run one task run per step (dynamic keys unique, every transition present)."""
    problems: list[str] = []
    task_runs = notice_steps = repeated_names = 0
    with httpx.Client(base_url=api_url, timeout=60) as client:
        flows = client.post("/flows/filter", json={"flows": {"name": {"any_": ["matter"]}}})
        flows.raise_for_status()
        if len(flows.json()) != 1:
            problem = f"{len(flows.json())} flows named matter"
            return {"problems": [problem], "task_runs": 0, "notice_steps": 0, "repeated_names": 0}
        flow_id = flows.json()[0]["id"]
        count = client.post("/flow_runs/count", json={"flows": {"id": {"any_": [flow_id]}}})
        count.raise_for_status()
        if count.json() != store["matters"]:
            problems.append(f"{count.json()} matter runs for {store['matters']} matters")
        for number, run_id in store["runs"].items():
            run = client.get(f"/flow_runs/{run_id}")
            if run.status_code != 200:
                problems.append(f"{number}: run {run_id} answers {run.status_code}")
                continue
            if run.json()["state"]["name"] != "已结案":
                problems.append(f"{number}: run state {run.json()['state']['name']}")
            found = client.post(
                "/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200}
            )
            found.raise_for_status()
            keys = [t["dynamic_key"] for t in found.json()]
            task_runs += len(keys)
            names = [t["name"] for t in found.json()]
            notice_steps += sum(1 for name in names if name.startswith(("通知", "notices")))
            repeated_names += len(names) - len(set(names))
            if len(keys) != len(set(keys)):
                problems.append(f"{number}: a step drawn twice ({len(keys)} task runs)")
            missing = {f"event-{i}" for i in store["steps"].get(number, [])} - set(keys)
            if missing:
                problems.append(f"{number}: steps not drawn: {sorted(missing)[:5]}")
    return {
        "problems": problems,
        "task_runs": task_runs,
        "notice_steps": notice_steps,
        "repeated_names": repeated_names,  # same name, different step: e.g. two 通知 · 中心
    }


PREFECT_TABLES = ("flow_run", "flow_run_state", "task_run", "task_run_state", "artifact",
                  "log", "events", "event_resources")  # fmt: skip


def prefect_rows(home: Path, pg_url: str | None = None) -> dict[str, int]:
    """Rows in the Prefect server's own database (its SQLite file, or PostgreSQL), by table."""
    counts: dict[str, int] = {}
    if pg_url is not None:
        engine = sa.create_engine(pg_url)
        with engine.connect() as conn:
            for table in PREFECT_TABLES:
                counts[table] = int(
                    conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
                )
        engine.dispose()
        return counts
    path = home / "prefect.db"
    if not path.exists():
        return counts
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        for table in PREFECT_TABLES:
            with contextlib.suppress(sqlite3.Error):
                counts[table] = int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return counts
