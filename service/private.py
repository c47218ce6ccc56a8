"""Files and folders that hold personal data or secrets, created for the owner only.

The store (and SQLite's WAL and shared-memory files beside it), backups, the demo inbox's logs,
WHISTLE_HOME and the Prefect home of `whistle up` are created 0600 (files) and 0700 (folders)
whatever the process's umask: a common umask of 022 would leave citizens' phones readable by
every local user. Existing files and folders are left as they are; `whistle init` says when the
store can be read by others and how to fix it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO

OWNER_FILE = 0o600
OWNER_FOLDER = 0o700


def private_folder(path: Path) -> Path:
    """Create the folder and any missing parents, each 0700; an existing one is not touched."""
    missing: list[Path] = []
    current = Path(os.path.abspath(path))
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=OWNER_FOLDER)
        except FileExistsError:
            continue  # another process made it first; theirs stands
        os.chmod(folder, OWNER_FOLDER)  # mkdir's mode passes through the umask
    return path


def _private_descriptor(path: Path, flags: int) -> int:
    descriptor = os.open(path, flags, OWNER_FILE)
    try:
        info = os.fstat(descriptor)
        if flags & os.O_EXCL or info.st_size == 0:  # made here: its mode is ours to set
            os.fchmod(descriptor, OWNER_FILE)
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def create_private(path: Path) -> IO[bytes]:
    """A new file (refused if it exists), writable, readable by the owner only."""
    private_folder(path.parent)
    descriptor = _private_descriptor(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    return os.fdopen(descriptor, "wb")


def append_private(path: Path) -> IO[bytes]:
    """A log to append to; created readable by the owner only when it is new."""
    private_folder(path.parent)
    descriptor = _private_descriptor(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    return os.fdopen(descriptor, "ab")


def ensure_private_file(path: Path) -> None:
    """Create an empty file owner-only if there is none (an empty file is a valid SQLite
    database, and SQLite gives its -wal and -shm files the database file's mode)."""
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(_private_descriptor(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))


def open_to_others(path: Path) -> bool:
    """Whether anyone but the owner may read, write or enter it."""
    try:
        return bool(os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except FileNotFoundError:
        return False


def sqlite_files(database: Path) -> list[Path]:
    """The database file and the WAL and shared-memory files SQLite keeps beside it."""
    return [database] + [database.with_name(database.name + end) for end in ("-wal", "-shm")]


def exposed_store(database: Path, language: str = "zh") -> str | None:
    """A warning when an existing SQLite store is open to other local users, with the command
    that fixes it; None when it is not."""
    files = [f for f in sqlite_files(database) if open_to_others(f)]
    if not files:
        return None
    command = "chmod 600 " + " ".join(str(f) for f in files)
    if language == "en":
        return (
            f"the store {database} can be read by other users of this machine (it holds "
            f"citizens' names and phones); fix it with: {command}"
        )
    return f"数据库 {database} 可被本机其他用户读取（其中有群众姓名和电话），请执行：{command}"
