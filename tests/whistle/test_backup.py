"""`whistle backup` and `whistle restore`: a store with matters at every stage, backed up and
restored into an empty store of each kind (SQLite ↔ PostgreSQL), comes back row for row: the
same matters, timelines with their hashes, and notices; the chain verifies, new matters get new
ids; a non-empty store or a damaged file is refused with nothing written."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from service import app as app_module
from service.store.db import get_engine
from tests.fixtures import PG_ADMIN, World, pg_available

LATER = "2026-11-26T13:00:00+08:00"


def _resolve(world: World, number: str) -> str:
    """Every department acknowledges, co-handlers report, the lead resolves; return the lead."""
    doc = world.ok("show", number)
    for part in doc["assignments"]:
        world.ok("ack", number, "--department", part["department"])
    for co in doc["co_departments"]:
        world.ok("report", number, "--department", co, "--note", "已报送")
    lead: str = doc["lead_department"]
    world.ok("resolve", number, "--department", lead, "--outcome", "mediated", "--note", "已调解")
    return lead


def _stages(world: World) -> list[str]:
    """Matters closed, reopened, returned, extended, escalated and just referred."""
    closed = world.intake()["number"]
    _resolve(world, closed)
    world.ok("feedback", closed, "--satisfied", "--comment", "满意")

    reopened = world.intake(category="neighbour", title="楼上漏水")["number"]
    _resolve(world, reopened)
    world.ok("feedback", reopened, "--unsatisfied", "--comment", "还在漏")

    returned = world.intake(category="consumer", title="网购退款")["number"]
    lead = world.ok("show", returned)["lead_department"]
    world.ok("return", returned, "--department", lead, "--reason", "不属于本单位职责")

    extended = world.intake(category="petition", title="信访事项")["number"]
    lead = world.ok("show", extended)["lead_department"]
    world.ok("ack", extended, "--department", lead)
    world.ok("extension", extended, "--department", lead, "--length", "10d", "--reason", "需调查")

    red = world.intake(flag=["extreme_risk"], title="扬言极端行为")["number"]
    referred = world.intake(category="legal_consult", title="咨询继承")["number"]
    world.ok("sweep", at=LATER)  # the red matter's lead never acknowledged: ladder steps
    return [closed, reopened, returned, extended, red, referred]


def _tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return {
                t.name: [
                    tuple(r)
                    for r in connection.execute(
                        sa.select(*t.columns).order_by(*t.primary_key.columns)
                    )
                ]
                for t in SQLModel.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _snapshot(world: World, numbers: list[str]) -> dict[str, Any]:
    """What people see of the store: every matter, the list, the notices, the chain."""
    return {
        "show": {n: world.ok("show", n) for n in numbers},
        "list": world.ok("list"),
        "notices": world.ok("notices"),
        "verify": world.ok("verify"),
    }


@contextmanager
def _empty_store(kind: str, folder: Path) -> Iterator[str]:
    """A new, empty store of this kind (a PostgreSQL database is dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'restored-{uuid.uuid4().hex[:6]}.db'}"
        return
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    name = f"whistle_r_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        get_engine(url).dispose()  # the app's pool for it; other cached engines stay open
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _use(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("WHISTLE_DATABASE_URL", url)
    app_module.reset()


def test_restore_into_an_empty_store_of_each_kind(
    world: World, tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = _stages(world)
    before = _snapshot(world, numbers)
    assert before["verify"]["ok"] and before["verify"]["matters"] == len(numbers)
    statuses = {n: d["status"] for n, d in before["show"].items()}
    assert set(statuses.values()) == {"closed", "in_progress", "returned", "referred"}
    assert any(a["overdue_level"] for a in before["show"][numbers[4]]["assignments"])
    rows = _tables(store_url)
    assert rows["ladder_step"] and rows["extension"] and rows["notice"]

    path = tmp_path / "backup" / "whistle.jsonl.gz"
    made = world.ok("backup", str(path))
    assert made["rows"] == sum(len(r) for r in rows.values())
    assert made["tables"] == {name: len(r) for name, r in rows.items()}
    again = world.cli("backup", str(path))
    assert again.code == 2 and "已存在" in again.err  # a backup is never overwritten

    for kind in ("sqlite", "postgresql"):
        with _empty_store(kind, tmp_path) as target:
            _use(monkeypatch, target)
            restored = world.ok("restore", str(path))
            assert restored["verified"] and restored["target"] == kind
            assert restored["tables"] == made["tables"]
            assert _tables(target) == rows, f"{store_url} → {kind}: rows differ"
            assert _snapshot(world, numbers) == before, f"{store_url} → {kind}"

            refused = world.cli("restore", str(path))
            assert refused.code == 2 and "不是空的" in refused.err
            assert _tables(target) == rows  # nothing was added

            # The id sequences moved on: new matters and events do not collide.
            fresh = world.intake(title="恢复后新登记")
            assert fresh["number"] not in numbers
            assert world.ok("verify")["ok"]
        _use(monkeypatch, store_url)


def test_a_damaged_backup_restores_nothing(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.intake()
    path = tmp_path / "whole.jsonl.gz"
    world.ok("backup", str(path))
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress("".join(lines[:-3]).encode("utf-8")))  # no trailer, rows gone
    torn = tmp_path / "torn.jsonl.gz"
    torn.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a gzip stream cut short
    for broken, words in ((cut, "不完整"), (torn, "不是完整的")):
        target = f"sqlite:///{tmp_path / f'{broken.stem}.db'}"
        _use(monkeypatch, target)
        result = world.cli("restore", str(broken))
        assert result.code == 2, result.err
        assert words in result.err
        assert not any(_tables(target).values()), "a refused restore left rows behind"
