"""Files that hold personal data or secrets are the owner's alone, whatever the umask: run under
umask 022 (the usual default, which leaves new files readable by every local user), `whistle`
creates WHISTLE_HOME and every folder it makes 0700, and the store, SQLite's WAL and
shared-memory files, backups (also while being written) and the inbox logs 0600. `whistle init`
warns about an existing store that others can read and prints the chmod that fixes it."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.store import backup as backup_module
from service.store.db import get_engine
from tests.fixtures import ROOT
from whistle.inbox import Inbox

USUAL_UMASK = 0o022


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def whistle(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command as its own process under umask 022."""
    return subprocess.run(
        [sys.executable, "-m", "whistle", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        umask=USUAL_UMASK,
        stdin=subprocess.DEVNULL,
    )


def ok(env: dict[str, str], *args: str) -> Any:
    done = whistle(env, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = dict(
        os.environ, WHISTLE_HOME=str(tmp_path / "home"), WHISTLE_CONFIG=str(ROOT / "config")
    )
    for name in ("WHISTLE_DATABASE_URL", "PREFECT_API_URL", "WHISTLE_LANGUAGE"):
        values.pop(name, None)
    return values


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """This process under umask 022 too (for what it creates itself in the test)."""
    before = os.umask(USUAL_UMASK)
    yield
    os.umask(before)


def test_home_store_wal_and_backup_are_the_owners_only(
    env: dict[str, str], tmp_path: Path, usual_umask: None
) -> None:
    ok(env, "init")
    ok(env, "token", "create", "--department", "center")  # a write: the WAL file is used
    home = tmp_path / "home"
    store = home / "whistle.db"
    assert mode(home) == 0o700
    assert mode(store) == 0o600

    # SQLite's WAL and shared-memory files exist while a connection is open; they take the
    # store's mode, whoever opens it and whatever their umask.
    connection = sqlite3.connect(store)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("INSERT INTO day_sequence (day, last) VALUES ('19990101', 0)")
        connection.commit()
        for end in ("-wal", "-shm"):
            assert mode(store.with_name(store.name + end)) == 0o600, end
    finally:
        connection.close()

    target = tmp_path / "backups" / "2026" / "whistle.jsonl.gz"
    ok(env, "backup", str(target))
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700 and mode(target.parent.parent) == 0o700


def test_a_store_named_by_url_in_a_new_folder_is_the_owners_only(
    env: dict[str, str], tmp_path: Path
) -> None:
    store = tmp_path / "data" / "center" / "whistle.db"
    ok(dict(env, WHISTLE_DATABASE_URL=f"sqlite:///{store}"), "init")
    assert mode(store) == 0o600
    assert mode(store.parent) == 0o700 and mode(store.parent.parent) == 0o700


def test_a_backup_is_the_owners_only_while_it_is_written(
    env: dict[str, str], tmp_path: Path, usual_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(env, "init")
    engine = get_engine(f"sqlite:///{tmp_path / 'home' / 'whistle.db'}")
    target = tmp_path / "b.jsonl.gz"
    partial = target.with_name(target.name + ".partial")
    seen: list[int] = []
    dump = backup_module._dump_table

    def watched(*args: Any, **kwargs: Any) -> int:
        seen.append(mode(partial))
        return dump(*args, **kwargs)

    monkeypatch.setattr(backup_module, "_dump_table", watched)
    try:
        backup_module.backup(engine, target, now=datetime.now(UTC))
    finally:
        engine.dispose()
    assert seen and set(seen) == {0o600}
    assert mode(target) == 0o600 and not partial.exists()


def test_the_inbox_files_notices_for_the_owner_only(tmp_path: Path, usual_umask: None) -> None:
    inbox = Inbox(tmp_path / "home" / "inbox", 0)
    try:
        inbox.file("citizen", {"title": "请评价", "message": "张三丰您好"})
    finally:
        inbox.server_close()
    assert mode(tmp_path / "home") == 0o700 and mode(tmp_path / "home" / "inbox") == 0o700
    log = tmp_path / "home" / "inbox" / "citizen.log"
    assert mode(log) == 0o600 and "张三丰您好" in log.read_text("utf-8")


@pytest.mark.parametrize(
    ("language", "expected"), [("zh", "可被本机其他用户读取"), ("en", "can be read by other users")]
)
def test_init_warns_about_a_store_others_can_read_and_says_how_to_fix_it(
    env: dict[str, str], tmp_path: Path, language: str, expected: str
) -> None:
    env = dict(env, WHISTLE_LANGUAGE=language)
    assert ok(env, "init")["warnings"] == []
    store = tmp_path / "home" / "whistle.db"
    store.chmod(0o644)  # as a store made before this release, under umask 022, is
    done = whistle(env, "init")
    assert done.returncode == 0, done.stderr
    assert expected in done.stderr and f"chmod 600 {store}" in done.stderr
    assert len(json.loads(done.stdout)["warnings"]) == 1
    subprocess.run(["chmod", "600", str(store)], check=True)  # the advice works
    assert ok(env, "init")["warnings"] == []
