"""Bringing a store's schema to the one this code expects, with Alembic.

A new, empty store gets every table at once and is stamped with the newest revision; a store made
before migrations existed is stamped with the baseline and upgraded; any other store is upgraded
in place. The whole step is one transaction under a lock, so two processes starting together
(a worker and the API, say) neither race nor leave a half-upgraded store.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from models.refusals import Code, Refused

BASELINE = "0001"
FOLDER = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x5748_4953  # any constant; PostgreSQL advisory locks are per database


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    """The revision a store is at (None for an empty store or one made before migrations)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Create or upgrade the store's schema; return the revision it is at afterwards."""
    ours = set(SQLModel.metadata.tables)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
        tables = set(sa.inspect(connection).get_table_names())
        config = _config(connection)
        try:
            if not tables & ours:
                SQLModel.metadata.create_all(connection)
                command.stamp(config, "head")
            else:
                if "alembic_version" not in tables:
                    command.stamp(config, BASELINE)
                command.upgrade(config, "head")
        except CommandError as exc:
            raise Refused(Code.schema_newer, detail=str(exc)) from None
        return MigrationContext.configure(connection).get_current_revision() or head()


def revision(message: str) -> None:
    """Write a new migration from the difference between the tables and a store at head.

    For developers: builds a throwaway SQLite store at the current head and lets Alembic's
    autogenerate compare it with models/tables.py.
    """
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        config = _config(connection)
        command.upgrade(config, "head")
        number = len(list(ScriptDirectory.from_config(config).walk_revisions())) + 1
        command.revision(config, message=message, autogenerate=True, rev_id=f"{number:04d}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Whistle schema migrations (for developers)")
    parser.add_argument("message", help="what the new revision changes")
    revision(parser.parse_args().message)
