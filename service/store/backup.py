"""Backup and restore: a portable logical dump of the whole store, for SQLite and PostgreSQL alike.

The file is gzip'd JSON lines: a header (format, schema, row counts per table), then every row
of every table in dependency order (parents before children), then a trailer with the counts
written. It is read in one consistent snapshot, so a backup taken while the center works is a
single moment of the store. A backup restores only into an empty store, of either kind, in one
transaction: all of it or nothing. PostgreSQL's id sequences are moved past the restored ids.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from models.refusals import Code, Refused
from service.private import create_private
from service.store.db import create_schema

FORMAT = "whistle-backup"
VERSION = 1
BATCH = 1000


# --- one consistent read -----------------------------------------------------------------------


def _sqlite_reader(engine: Engine) -> Engine:
    """A second engine on the same SQLite file whose transactions only read.

    The store's own engine starts every transaction with BEGIN IMMEDIATE (the write lock); a
    deferred BEGIN instead reads one snapshot of the WAL file and never holds writers up.
    """
    reader = sa.create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 30})

    def connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    sa.event.listen(reader, "connect", connect)
    sa.event.listen(reader, "begin", begin)
    return reader


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection inside one read-only transaction that sees a single moment of the store."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        reader = _sqlite_reader(engine)
        try:
            with reader.connect() as connection, connection.begin():
                yield connection
        finally:
            reader.dispose()
        return
    options: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        yield connection


# --- the file ----------------------------------------------------------------------------------


def _tables() -> list[sa.Table]:
    """Every table of the store, parents before the tables that refer to them."""
    return list(SQLModel.metadata.sorted_tables)


def _fingerprint(tables: list[sa.Table]) -> str:
    shape = "\n".join(f"{t.name}:{','.join(c.name for c in t.columns)}" for t in tables)
    return hashlib.sha256(shape.encode()).hexdigest()


def _is_time(column: sa.Column[Any]) -> bool:
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, sa.DateTime)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _version() -> str:
    try:
        return package_metadata.version("whistle")
    except package_metadata.PackageNotFoundError:
        return "unknown"


def _migration(connection: Connection) -> str | None:
    """The Alembic revision of the store, when it has one."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    value = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return str(value) if value is not None else None


def backup(engine: Engine, path: Path, *, now: datetime, language: str = "zh") -> dict[str, Any]:
    """Write the whole store to `path` (a new file); return the row counts written."""
    path = Path(path)
    if path.exists():
        raise Refused(Code.backup_exists, path=str(path))
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)  # left by a backup that was killed
    tables = _tables()
    written: dict[str, int] = {}
    try:
        with snapshot(engine) as connection:
            counts = {
                t.name: int(
                    connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                )
                for t in tables
            }
            header = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": _encode(now),
                "whistle": _version(),
                "source": engine.dialect.name,
                "schema": {
                    "fingerprint": _fingerprint(tables),
                    "migration": _migration(connection),
                },
                "tables": [
                    {"name": t.name, "columns": [c.name for c in t.columns], "rows": counts[t.name]}
                    for t in tables
                ],
            }
            # Owner-only from its first byte: a backup holds every citizen's phone.
            with (
                create_private(partial) as raw,
                gzip.open(raw, "wt", encoding="utf-8") as out,
            ):
                out.write(json.dumps(header, ensure_ascii=False) + "\n")
                for table in tables:
                    written[table.name] = _dump_table(connection, table, out)
                out.write(json.dumps({"end": True, "rows": written}) + "\n")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return {
        "path": str(path),
        "source": engine.dialect.name,
        "tables": written,
        "rows": sum(written.values()),
        "bytes": path.stat().st_size,
    }


def _dump_table(connection: Connection, table: sa.Table, out: IO[str]) -> int:
    query = sa.select(*table.columns).order_by(*table.primary_key.columns)
    rows = connection.execution_options(stream_results=True, yield_per=2000).execute(query)
    count = 0
    for row in rows:
        record = {"t": table.name, "r": [_encode(v) for v in row]}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


# --- restoring ---------------------------------------------------------------------------------


def _lines(path: Path) -> Generator[dict[str, Any], None, None]:
    """The file's records, with any damage reported as a refusal."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise Refused(Code.backup_broken, path=str(path), line=number) from None
                if not isinstance(record, dict):
                    raise Refused(Code.backup_broken, path=str(path), line=number)
                yield record
    except FileNotFoundError:
        raise Refused(Code.backup_missing, path=str(path)) from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise Refused(Code.backup_unreadable, path=str(path), detail=type(exc).__name__) from None


def _check_header(header: dict[str, Any], path: Path) -> dict[str, list[str]]:
    """The tables and columns of the backup, each known to this version of the store."""
    if header.get("format") != FORMAT:
        raise Refused(Code.backup_not_whistle, path=str(path))
    if header.get("version") != VERSION:
        raise Refused(
            Code.backup_version,
            path=str(path),
            version=str(header.get("version")),
            supported=VERSION,
        )
    known = {t.name: {c.name for c in t.columns} for t in _tables()}
    columns: dict[str, list[str]] = {}
    for entry in header.get("tables", []):
        name, names = entry["name"], list(entry["columns"])
        unknown = [c for c in names if c not in known.get(name, set())]
        if name not in known or unknown:
            what = name if name not in known else ", ".join(f"{name}.{c}" for c in unknown)
            raise Refused(Code.backup_newer, what=what)
        columns[name] = names
    return columns


def _nonempty(connection: Connection) -> dict[str, int]:
    counts = {
        t.name: int(connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
        for t in _tables()
    }
    return {name: n for name, n in counts.items() if n}


def _reset_sequences(connection: Connection) -> None:
    """Move each PostgreSQL id sequence past the highest restored id."""
    for table in _tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        sequence = connection.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": keys[0].name},
        ).scalar()
        if sequence is None:
            continue
        highest = connection.execute(sa.select(sa.func.max(keys[0]))).scalar()
        connection.execute(
            sa.text("SELECT setval(:sequence, :value, false)"),
            {"sequence": sequence, "value": int(highest or 0) + 1},
        )


def restore(engine: Engine, path: Path, *, language: str = "zh") -> dict[str, Any]:
    """Load a backup into an empty store (creating its tables); all of it, or nothing."""
    path = Path(path)
    records = _lines(path)
    header = next(records, None)
    if header is None:
        raise Refused(Code.backup_empty, path=str(path))
    columns = _check_header(header, path)
    expected = {entry["name"]: int(entry["rows"]) for entry in header["tables"]}
    tables = {t.name: t for t in _tables()}
    create_schema(engine)
    loaded: dict[str, int] = dict.fromkeys(columns, 0)
    try:
        with engine.begin() as connection:
            nonempty = _nonempty(connection)
            if nonempty:
                shown = ", ".join(f"{name} {n}" for name, n in nonempty.items())
                raise Refused(Code.store_not_empty, tables=shown)
            trailer = _load_rows(connection, records, tables, columns, loaded, path)
            if trailer is None or trailer.get("rows") != loaded or loaded != expected:
                raise Refused(Code.backup_incomplete, path=str(path))
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
    except (IntegrityError, DBAPIError) as exc:
        raise Refused(Code.restore_refused, detail=str(exc.orig)) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise Refused(Code.backup_bad_row, path=str(path), detail=str(exc)) from None
    finally:
        records.close()
    return {
        "path": str(path),
        "source": header.get("source"),
        "target": engine.dialect.name,
        "created_at": header.get("created_at"),
        "tables": loaded,
        "rows": sum(loaded.values()),
    }


def _load_rows(
    connection: Connection,
    records: Iterator[dict[str, Any]],
    tables: dict[str, sa.Table],
    columns: dict[str, list[str]],
    loaded: dict[str, int],
    path: Path,
) -> dict[str, Any] | None:
    """Insert the rows in file order, a batch at a time; return the trailer (None if missing)."""
    batch: list[dict[str, Any]] = []
    current: sa.Table | None = None
    times: set[str] = set()

    def flush() -> None:
        if current is not None and batch:
            connection.execute(current.insert(), batch)
            batch.clear()

    for record in records:
        if record.get("end"):
            flush()
            return record
        name = record.get("t")
        if name not in columns:
            raise Refused(Code.backup_unknown_table, path=str(path), table=str(name))
        table = tables[name]
        if table is not current:
            flush()
            current = table
            times = {c.name for c in table.columns if _is_time(c)}
        row = dict(zip(columns[name], record["r"], strict=True))
        for key in times & row.keys():
            if row[key] is not None:
                row[key] = datetime.fromisoformat(row[key])
        batch.append(row)
        loaded[name] += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    return None
