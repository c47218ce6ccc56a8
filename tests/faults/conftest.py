"""Fixtures for the fault suite: a PostgreSQL store reached through a cuttable proxy, and a
World (tests/fixtures.py) wired to it; the other fixtures are the shared ones."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from service import app as app_module
from tests.faults.proxy import TcpProxy
from tests.fixtures import ROOT, World
from tests.receivers import HttpReceiver, SmtpReceiver, wire_channels


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    """A proxy to the local PostgreSQL, open until a test cuts it."""
    with TcpProxy() as running:
        yield running


@pytest.fixture
def direct(store_url: str) -> Iterator[sa.engine.Engine]:
    """A connection to the same database that bypasses the proxy: how a test sees the truth."""
    engine = sa.create_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def proxied_world(
    tmp_path: Path,
    store_url: str,
    proxy: TcpProxy,
    prefect_api: None,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """The sample district on a fresh PostgreSQL database that Whistle reaches only through
    the proxy, wired to real receivers, initialised."""
    if not store_url.startswith("postgresql"):
        pytest.skip("the store is cut at its network connection: PostgreSQL only")
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    wire_channels(folder, http_receiver, smtp_receiver)
    database = store_url.rsplit("/", 1)[1]
    proxied = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{database}"
    monkeypatch.setenv("WHISTLE_CONFIG", str(folder))
    monkeypatch.setenv("WHISTLE_DATABASE_URL", proxied)
    monkeypatch.setenv("WHISTLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WHISTLE_ALLOW_CLOCK_OVERRIDE", "1")
    monkeypatch.setenv("WHISTLE_LINK_BASE", "https://whistle.example/")
    app_module.reset()
    w = World(folder, http_receiver, smtp_receiver, capsys)
    w.ok("init")
    yield w
    from service.store.db import get_engine

    proxy.cut()  # the engine's connections end here, so the database can be dropped
    get_engine(proxied).dispose()
    app_module.reset()
