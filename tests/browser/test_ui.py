"""The supervisor's view in a real browser: with the main command (`whistle up`) running,
headless Chromium opens the flow-runs page, a matter's run page and its timeline artifact, and
the statistics artifact; the matter number and the artifact text must be on the pages.

The Prefect UI is a JavaScript app, so pages are read after it rendered (`--dump-dom` with a
virtual time budget). Screenshots are saved next to the test's files; with
WHISTLE_UPDATE_SCREENSHOTS=1 the README's copies in docs/img/ are replaced too.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactCollectionFilter,
    ArtifactCollectionFilterKey,
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.fixtures import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
    "--virtual-time-budget=20000",
]
DOCS = ROOT / "docs" / "img"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Center:
    """`whistle up` in a subprocess with its own home and ports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        inbox, api = _free_port(), _free_port()
        config = folder / "config"
        shutil.copytree(ROOT / "config", config)
        channels = config / "channels.yaml"
        text = channels.read_text("utf-8").replace("8765", str(inbox))
        channels.write_text(text, "utf-8")
        env = dict(os.environ, WHISTLE_HOME=str(folder / "home"), WHISTLE_CONFIG=str(config))
        for name in ("WHISTLE_DATABASE_URL", "PREFECT_API_URL", "WHISTLE_ALLOW_CLOCK_OVERRIDE"):
            env.pop(name, None)
        self.log = folder / "up.log"
        self.output = self.log.open("wb")
        command = [sys.executable, "-m", "whistle", "up", "--port", str(self.port)]
        command += ["--inbox-port", str(inbox), "--api-port", str(api)]
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 180) -> list[str]:
        """Wait for the ready line; return the demo matters' numbers."""
        deadline = time.monotonic() + timeout
        text = ""
        while "按 Ctrl-C 停止" not in text:
            assert self.process.poll() is None, f"whistle up ended early:\n{text}"
            assert time.monotonic() < deadline, f"whistle up did not come up:\n{text}"
            time.sleep(0.5)
            text = self.log.read_text("utf-8", "replace")
        line = next(x for x in text.splitlines() if "演示事项：" in x)
        return [n.strip() for n in line.split("：", 1)[1].split(",")]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=90)
        finally:
            self.output.close()


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Center, list[str]]]:
    running = Center(tmp_path_factory.mktemp("center"))
    try:
        numbers = running.wait()
        yield running, numbers
    finally:
        assert running.stop() == 0


class Browser:
    """Headless Chromium, a fresh profile per call."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.calls = 0

    def _run(self, *args: str) -> str:
        self.calls += 1
        profile = self.folder / f"profile-{self.calls}"
        done = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            timeout=120,
            check=False,
        )
        shutil.rmtree(profile, ignore_errors=True)
        return done.stdout.decode("utf-8", "replace")

    def text(self, url: str, *wanted: str, tries: int = 4) -> str:
        """The page's visible text once it holds everything wanted (the app renders late)."""
        shown = ""
        for _ in range(tries):
            dom = self._run("--dump-dom", url)
            dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
            shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())
            if all(w in shown for w in wanted):
                return shown
            time.sleep(2)
        missing = [w for w in wanted if w not in shown]
        raise AssertionError(f"{url} never showed {missing}; it showed: {shown[:2000]}")

    def screenshot(self, url: str, name: str, size: str = "1440,1000") -> Path:
        path = self.folder / name
        self._run(f"--window-size={size}", f"--screenshot={path}", url)
        assert path.is_file() and path.stat().st_size > 10_000, f"no screenshot of {url}"
        if os.environ.get("WHISTLE_UPDATE_SCREENSHOTS") == "1":
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS / name)
        return path


def _served(client: Any, name: str, timeout: float = 120) -> Any:
    """The deployment once `whistle up`'s serving process has registered it (it starts last)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.read_deployment_by_name(name)
        except ObjectNotFound:
            assert time.monotonic() < deadline, f"deployment {name} was never served"
            time.sleep(1)


def _matter_runs(client: Any, numbers: list[str], timeout: float = 120) -> dict[str, Any]:
    """Each demo matter's run, once the engine has drawn all of them."""
    deadline = time.monotonic() + timeout
    while True:
        runs = {
            r.parameters.get("number"): r
            for r in client.read_flow_runs(limit=200)
            if r.parameters.get("number") in numbers
        }
        if len(runs) == len(numbers):
            return runs
        assert time.monotonic() < deadline, f"only {sorted(runs)} were drawn"
        time.sleep(1)


def test_the_supervisor_finds_matters_and_their_story(
    center: tuple[Center, list[str]], tmp_path: Path
) -> None:
    running, numbers = center
    closed, overdue = numbers[0], numbers[2]  # the demo's closed matter, and the one at 督办
    browser = Browser(tmp_path / "browser")
    with (
        temporary_settings({PREFECT_API_URL: f"{running.base}/api"}),
        get_client(sync_client=True) as client,
    ):
        runs = _matter_runs(client, numbers)
        (timeline,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"matter-{closed.lower()}"])
            ),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[runs[closed].id])),
            limit=1,
            sort="CREATED_DESC",  # type: ignore[arg-type]
        )
        intake = _served(client, "intake form/intake")
        (statistics,) = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=["statistics"])
            )
        )
        (overdue_table,) = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=["overdue-now"])
            )
        )
    assert runs[closed].state_name == "已结案" and runs[overdue].state_name == "督办"

    # The runs list: one run per matter, its Chinese state saying where the matter stands.
    listed = browser.text(f"{running.base}/v2/runs", *numbers, "已结案", "督办", "已退回")
    assert "办理中" in listed
    browser.screenshot(f"{running.base}/v2/runs", "runs.png", size="1440,1200")

    # Filtered by state name: only the matters at 督办.
    wanted = f"{running.base}/v2/runs?state=%E7%9D%A3%E5%8A%9E"  # ?state=督办
    supervised = browser.text(wanted, overdue)
    for number in numbers:
        if number != overdue:
            assert number not in supervised, f"{number} is not at 督办"
    browser.screenshot(wanted, "runs-supervision.png", size="1440,860")

    # A matter's run page: its steps (task runs) read as the matter's story.
    story_page = f"{running.base}/v2/runs/flow-run/{runs[closed].id}?tab=TaskRuns"
    steps = browser.text(story_page, closed, "受理", "分流", "签收", "办结", "结案")
    assert "已结案" in steps
    browser.screenshot(story_page, "matter-run.png", size="1440,1100")

    # The timeline artifact, keyed by the matter, refreshed at every step.
    story = browser.text(
        f"{running.base}/v2/artifacts/artifact/{timeline.id}",
        closed,
        "时间线",
        "已结案",
        "承办单位",
    )
    assert "调解成功" in story
    browser.screenshot(f"{running.base}/v2/artifacts/artifact/{timeline.id}", "matter-artifact.png")

    # What is overdue now, by department and level, in words (the sweep's table artifact).
    overdue_page = f"{running.base}/v2/artifacts/artifact/{overdue_table.latest_id}"
    table = browser.text(overdue_page, "督办", "单位")
    for code in ("natural_resources", "supervision", "circular", "urging"):
        assert code not in table, f"{code} shown as a code"
    browser.screenshot(overdue_page, "overdue-now.png", size="1440,800")

    # The statistics artifact, refreshed on schedule (and once when the center comes up).
    figures = browser.text(
        f"{running.base}/v2/artifacts/artifact/{statistics.latest_id}",
        "响应率",
        "解决率",
        "满意率",
        "接待来访群众",
    )
    assert "统计报表" in figures
    browser.screenshot(
        f"{running.base}/v2/artifacts/artifact/{statistics.latest_id}",
        "statistics-artifact.png",
        size="1440,1600",
    )

    # The intake form a clerk fills in (受理登记): typed fields with Chinese labels.
    form = f"{running.base}/v2/deployments/deployment/{intake.id}/run"
    labels = browser.text(form, "受理登记表", "事项类别", "群众姓名", "联系电话", "涉及人数")
    assert "清除" in labels  # it says the citizen's details leave Prefect
    browser.screenshot(form, "intake-form.png", size="1300,1800")
