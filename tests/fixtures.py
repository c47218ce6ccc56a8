"""Fixtures for stories: a real store (SQLite file or PostgreSQL), the sample district wired to
real loopback receivers, one Prefect test server per session, and the CLI called in-process."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service import app as app_module
from tests.receivers import HttpReceiver, SmtpReceiver, wire_channels
from whistle.cli import main

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("WHISTLE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# Stories run on the district's own clock: a Thursday morning in Asia/Shanghai.
T0 = "2026-11-26T09:00:00+08:00"


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason it cannot be used."""
    try:
        engine = sa.create_engine(PG_ADMIN)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN} is unreachable: {type(exc).__name__}"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One real Prefect API (temporary SQLite database) for the whole test session."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'whistle.db'}"
        return
    reason = pg_available()
    if reason:
        print(f"skipping PostgreSQL: {reason}")
        pytest.skip(reason)
    name = f"whistle_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from service.store.db import get_engine

        for candidate in (url, url.replace("+psycopg", "")):
            if candidate.startswith("postgresql"):
                get_engine(candidate).dispose()
        get_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        return json.loads(self.out)

    @property
    def refusal(self) -> str:
        """A refused command's code (with --json, the refusal is a document on stdout too)."""
        assert self.code in (2, 3), f"not refused (exit {self.code}): {self.err}"
        return str(self.data["refusal"])


@dataclass
class World:
    """One installation under test: its folder, its receivers and its CLI."""

    folder: Path
    http: HttpReceiver
    smtp: SmtpReceiver
    capsys: pytest.CaptureFixture[str]
    at: str = T0
    runs: list[Result] = field(default_factory=list)

    def cli(self, *args: str, at: str | None = None) -> Result:
        """Run `whistle ARGS --json --at TIME` in-process and capture what it printed."""
        self.capsys.readouterr()
        argv = [*args, "--json", "--at", at or self.at]
        code = main(argv)
        captured = self.capsys.readouterr()
        result = Result(code, captured.out, captured.err)
        self.runs.append(result)
        return result

    def ok(self, *args: str, at: str | None = None) -> Any:
        """Run a command that must succeed and return its JSON document."""
        result = self.cli(*args, at=at)
        assert result.code == 0, f"whistle {' '.join(args)} failed: {result.err}"
        return result.data

    def intake(self, at: str | None = None, **fields: Any) -> Any:
        values: dict[str, Any] = {
            "category": "wage_arrears",
            "title": "工地拖欠工资",
            "description": "某工地拖欠三名工人两个月工资，约三万元。",
            "area": "T01V01",
            "name": "张三丰",
            "phone": "13812345678",
        } | fields
        args = ["intake"]
        for key, value in values.items():
            for item in value if isinstance(value, list) else [value]:
                args += [f"--{key.replace('_', '-')}", str(item)]
        return self.ok(*args, at=at)


@pytest.fixture
def world(
    tmp_path: Path,
    store_url: str,
    prefect_api: None,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """The sample district on a fresh store, wired to real receivers, initialised."""
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    wire_channels(folder, http_receiver, smtp_receiver)
    monkeypatch.setenv("WHISTLE_CONFIG", str(folder))
    monkeypatch.setenv("WHISTLE_HOME", str(tmp_path / "home"))  # the feedback-link key lives here
    monkeypatch.setenv("WHISTLE_DATABASE_URL", store_url)
    monkeypatch.setenv("WHISTLE_ALLOW_CLOCK_OVERRIDE", "1")
    monkeypatch.setenv("WHISTLE_LINK_BASE", "https://whistle.example/")
    app_module.reset()
    w = World(folder, http_receiver, smtp_receiver, capsys)
    w.ok("init")
    yield w
    app_module.reset()
