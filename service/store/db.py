"""The store's engine: a SQLite file by default, PostgreSQL when WHISTLE_DATABASE_URL says so."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

import models.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from service.private import ensure_private_file


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock when a transaction starts, not at its first write: two actions on one
    # matter then queue instead of both reading the old status and one failing on upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
    # WAL lets readers go on while one writer commits; the busy timeout makes a second writer
    # wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """Return one engine per store URL for the life of the process."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            # Created owner-only before SQLite opens it; its -wal and -shm files follow its mode.
            ensure_private_file(Path(path))
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,  # a store error must not carry a citizen's details into a log
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)


def create_schema(engine: Engine) -> str:
    """Create a new store or upgrade an existing one in place; return its schema revision."""
    from service.store.migrate import upgrade

    return upgrade(engine)


def session(engine: Engine) -> Session:
    """Open a session that keeps loaded objects usable after commit."""
    return Session(engine, expire_on_commit=False)
