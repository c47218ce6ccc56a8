"""Sampling the long-lived processes with py-spy while the benchmark runs, and summarising where
their Python CPU went (samples holding the GIL: py-spy's idle detection does not work here, and
C code that releases the GIL, such as SQLite's, is not seen): by the function on top of the
stack (self), and by the package and the Whistle function a sample passed through (inclusive).

py-spy is not a dependency of the project: `.venv/bin/pip install py-spy` to use `--profile`.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import BenchError

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
OURS = ("whistle/", "api/", "engine/", "service/", "models/", "notifications/", "flows/", "tasks/")


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if found is None:
        raise BenchError("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


@dataclass
class Spy:
    """One `py-spy record` attached to a process, writing collapsed stacks."""

    name: str
    pid: int
    out: Path
    rate: int = 50
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [py_spy(), "record", "--pid", str(self.pid), "--output", str(self.out),
             "--format", "raw", "--rate", str(self.rate), "--full-filenames", "--subprocesses",
             "--gil"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _where(file: str) -> str:
    """A short name for the file a frame is in: the package, or Whistle's module path."""
    path = file.replace("\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/lib/python3" in path or path.startswith("<"):
        return "stdlib"
    for ours in OURS:
        at = path.find(ours)
        if at >= 0:
            return path[at:]
    return path.rsplit("/", 1)[-1]


@dataclass
class Summary:
    samples: int = 0
    self_: Counter[str] = field(default_factory=Counter)
    packages: Counter[str] = field(default_factory=Counter)  # inclusive, once per sample
    ours: Counter[str] = field(default_factory=Counter)  # Whistle functions, inclusive


def summarise(path: Path) -> Summary:
    summary = Summary()
    if not path.exists():
        return summary
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = []
        for raw in stack.split(";"):
            match = FRAME.match(raw.strip())
            if match:
                frames.append((match["func"], _where(match["file"])))
        if not frames:
            continue
        summary.samples += count
        func, where = frames[-1]
        summary.self_[f"{where}:{func}"] += count
        for package in {w if "/" not in w else w.split("/", 1)[0] + "/" for _, w in frames}:
            summary.packages[package] += count
        for name in {f"{w}:{f}" for f, w in frames if w.startswith(OURS)}:
            summary.ours[name] += count
    return summary


def report(name: str, summary: Summary, top: int = 15) -> str:
    if not summary.samples:
        return f"{name}: no samples"
    total = summary.samples

    def rows(counter: Counter[str]) -> list[str]:
        return [f"  {100 * n / total:5.1f}%  {key}" for key, n in counter.most_common(top)]

    return "\n".join(
        [f"{name}: {total} samples on CPU", " by package (inclusive):", *rows(summary.packages),
         " Whistle functions (inclusive):", *rows(summary.ours),
         " on top of the stack (self):", *rows(summary.self_)]
    )  # fmt: skip
