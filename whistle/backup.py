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

from whistle.db import create_schema
from whistle.errors import Refused
from whistle.private import create_private

FORMAT = "whistle-backup"
VERSION = 1
BATCH = 1000


def _say(language: str, zh: str, en: str) -> str:
    return en if language == "en" else zh


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
        raise Refused(
            _say(
                language,
                f"{path} 已存在；请另选文件名，以免覆盖已有备份",
                f"{path} already exists; choose another name so no backup is overwritten",
            )
        )
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


def _lines(path: Path, language: str) -> Generator[dict[str, Any], None, None]:
    """The file's records, with any damage reported as a refusal."""
    broken = _say(
        language, f"{path} 不是完整的 Whistle 备份文件", f"{path} is not a whole Whistle backup"
    )
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise Refused(f"{broken} (line {number})") from None
                if not isinstance(record, dict):
                    raise Refused(f"{broken} (line {number})")
                yield record
    except FileNotFoundError:
        raise Refused(
            _say(language, f"找不到备份文件 {path}", f"no backup file at {path}")
        ) from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise Refused(f"{broken} ({type(exc).__name__})") from None


def _check_header(header: dict[str, Any], path: Path, language: str) -> dict[str, list[str]]:
    """The tables and columns of the backup, each known to this version of the store."""
    if header.get("format") != FORMAT:
        raise Refused(
            _say(language, f"{path} 不是 Whistle 备份文件", f"{path} is not a Whistle backup")
        )
    if header.get("version") != VERSION:
        raise Refused(
            _say(
                language,
                f"{path} 的备份格式版本 {header.get('version')} 不受支持（支持 {VERSION}）",
                f"{path} has backup format {header.get('version')}; this Whistle reads {VERSION}",
            )
        )
    known = {t.name: {c.name for c in t.columns} for t in _tables()}
    columns: dict[str, list[str]] = {}
    for entry in header.get("tables", []):
        name, names = entry["name"], list(entry["columns"])
        unknown = [c for c in names if c not in known.get(name, set())]
        if name not in known or unknown:
            what = name if name not in known else ", ".join(f"{name}.{c}" for c in unknown)
            raise Refused(
                _say(
                    language,
                    f"备份来自更新的版本：本版本没有 {what}；请先升级 Whistle 再恢复",
                    f"the backup comes from a newer Whistle: {what} is unknown here; upgrade first",
                )
            )
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
    records = _lines(path, language)
    header = next(records, None)
    if header is None:
        raise Refused(_say(language, f"{path} 是空文件", f"{path} is empty"))
    columns = _check_header(header, path, language)
    expected = {entry["name"]: int(entry["rows"]) for entry in header["tables"]}
    tables = {t.name: t for t in _tables()}
    create_schema(engine)
    loaded: dict[str, int] = dict.fromkeys(columns, 0)
    try:
        with engine.begin() as connection:
            nonempty = _nonempty(connection)
            if nonempty:
                shown = ", ".join(f"{name} {n}" for name, n in nonempty.items())
                raise Refused(
                    _say(
                        language,
                        f"目标库不是空的（{shown} 行）；只能恢复到空库，请新建一个库再恢复",
                        f"the store is not empty ({shown} rows); a backup restores only into an"
                        " empty store: create a new one and restore there",
                    )
                )
            trailer = _load_rows(connection, records, tables, columns, loaded, path, language)
            if trailer is None or trailer.get("rows") != loaded or loaded != expected:
                raise Refused(
                    _say(
                        language,
                        f"{path} 不完整（行数与文件头不符）；未恢复任何数据",
                        f"{path} is incomplete (its rows do not match its header); nothing was"
                        " restored",
                    )
                )
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
    except (IntegrityError, DBAPIError) as exc:
        raise Refused(
            _say(
                language,
                f"目标库拒绝了备份中的数据（{exc.orig}）；未恢复任何数据",
                f"the store refused the backup's rows ({exc.orig}); nothing was restored",
            )
        ) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise Refused(
            _say(
                language,
                f"{path} 的数据行无法读取（{exc}）；未恢复任何数据",
                f"{path} has a row that cannot be read ({exc}); nothing was restored",
            )
        ) from None
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
    language: str,
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
            raise Refused(
                _say(
                    language, f"{path} 含有未知的表 {name}", f"{path} holds an unknown table {name}"
                )
            )
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
