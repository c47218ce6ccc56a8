"""Reading the test session's Prefect database directly, as a privacy scan must."""

from __future__ import annotations

import json
import sqlite3

from prefect.settings import get_current_settings


def prefect_rows() -> list[tuple[str, str]]:
    """Every row of every table of the Prefect server's database, as text."""
    url = get_current_settings().server.database.connection_url
    text = url.get_secret_value() if url is not None else ""
    path = text.split("///", 1)[1]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        rows = []
        for table in tables:
            for row in db.execute(f'select * from "{table}"'):
                rows.append((table, json.dumps(row, ensure_ascii=False, default=str)))
    return rows
