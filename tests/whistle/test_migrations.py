"""Schema migrations: a store made by an earlier Whistle is upgraded in place and loses nothing;
the migrations alone build exactly the schema the tables describe; a store newer than the code
is refused rather than damaged."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from service import app as app_module
from service.app import get_app
from service.store.db import get_engine
from service.store.migrate import BASELINE, _config, current, head, upgrade
from tests.fixtures import World


def _story(world: World) -> list[str]:
    """Matters at several stages, with events, parts, notices, a ladder step and an extension."""
    first = world.intake()["number"]
    second = world.intake(category="neighbour", title="邻里噪音")["number"]
    third = world.intake(title="欠薪二")["number"]
    world.ok("ack", first, "--department", "hrss")
    world.ok("extension", first, "--department", "hrss", "--length", "5wd", "--reason", "需调查")
    world.ok(
        "return",
        second,
        "--department",
        world.ok("show", second)["lead_department"],
        "--reason",
        "不属本部门",
    )
    for dept in ("hrss", "justice", "public_security"):
        world.ok("ack", third, "--department", dept)
    for dept in ("justice", "public_security"):
        world.ok("report", third, "--department", dept, "--note", "已协助")
    world.ok("resolve", third, "--department", "hrss", "--outcome", "handled", "--note", "已解决")
    world.ok("feedback", third, "--satisfied")
    world.ok("sweep", at="2026-12-10T09:00:00+08:00")  # overdue steps for the others
    return [first, second, third]


# The tables the baseline schema had: what a store made before migrations can hold.
BASELINE_TABLES = (
    "citizen", "matter", "assignment", "extension", "ladder_step", "event", "notice",
    "day_sequence",
)  # fmt: skip


def _snapshot(engine: sa.Engine, numbers: list[str], world: World) -> dict[str, Any]:
    with engine.connect() as connection:
        counts = {
            name: connection.execute(
                sa.select(sa.func.count()).select_from(SQLModel.metadata.tables[name])
            ).scalar_one()
            for name in BASELINE_TABLES
        }
    return {"counts": counts, "matters": [world.ok("show", n) for n in numbers]}


def test_store_from_before_migrations_is_upgraded_in_place_losing_nothing(world: World) -> None:
    numbers = _story(world)
    engine = get_app().engine
    before = _snapshot(engine, numbers, world)

    # Take the store back to the baseline schema and forget the version table: exactly what a
    # store made before migrations existed looks like, with its data in it.
    with engine.begin() as connection:
        command.downgrade(_config(connection), BASELINE)
        connection.execute(sa.text("DROP TABLE alembic_version"))
    assert current(engine) is None

    result = world.ok("init")
    assert result["schema"] == head()
    assert current(engine) == head()
    assert _snapshot(engine, numbers, world) == before
    # The old timelines were chained by the upgrade, and the chain holds.
    assert world.ok("verify")["ok"] is True
    world.ok("progress", numbers[0], "--department", "hrss", "--note", "升级后仍可办理")


def test_migrations_alone_build_the_schema_the_tables_describe(store_url: str) -> None:
    """Guards against a table or column added to the code without a migration."""
    engine = get_engine(store_url)
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}),
            SQLModel.metadata,
        )
    assert differences == []


def test_a_new_store_is_created_at_head_and_init_is_repeatable(store_url: str) -> None:
    engine = get_engine(store_url)
    assert current(engine) is None
    assert upgrade(engine) == head()
    assert upgrade(engine) == head()
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_two_processes_initialising_at_once_both_succeed(store_url: str) -> None:
    engines = [
        sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
        for _ in range(2)
    ]
    outcomes: list[object] = []

    def start(engine: sa.Engine) -> None:
        try:
            outcomes.append(upgrade(engine))
        except Exception as exc:  # recorded, asserted below
            outcomes.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert outcomes == [head(), head()]


def test_a_store_newer_than_the_code_is_refused(world: World) -> None:
    engine = get_app().engine
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    app_module.reset()
    result = world.cli("init")
    assert result.code == 2 and result.refusal == "schema_newer"
    assert "比本版本 Whistle 更新" in result.err
    with engine.connect() as connection:
        assert (
            connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            == "9999"
        )
