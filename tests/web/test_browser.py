"""The whole story through the pages, in real headless Chromium (Debian's, driven by
Playwright) against a real `whistle api` process on loopback, its SQLite store and the loopback
receivers: a clerk registers a matter, the departments act from the links in their notices, the
citizen answers from theirs, the leadership board shows it closed. On the way it tries a wrong
password, another department's matter, a tampered link, a form without its CSRF token and a
double click on 办结: each refused or harmless, nothing doubled.

Screenshots of each page, 1280 and 390 pixels wide, go to a temporary folder; with
WHISTLE_UPDATE_SCREENSHOTS=1 they replace docs/img/web-*.png (the README shows them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.receivers import HttpReceiver, SmtpReceiver, wire_channels

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "browser-story-1"
WIDTHS = {"desktop": 1280, "phone": 390}

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Site:
    base: str
    env: dict[str, str]
    http: HttpReceiver
    shots: Path

    def whistle(self, *args: str, stdin: str | None = None) -> Any:
        """Run the CLI against the same store, as an administrator would; its JSON answer."""
        done = subprocess.run(
            [sys.executable, "-m", "whistle", *args, "--json"],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def link(self, path: str, number: str, kind: str = "link") -> str:
        """The newest link of this kind a recipient's notices carried for the matter."""
        pattern = re.compile(rf"{re.escape(self.base)}/{kind}/([A-Za-z0-9._-]+)")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            texts = [
                r.json["message"]
                for r in self.http.requests
                if r.path.startswith(path) and number in (r.json or {}).get("message", "")
            ]
            found = [f for text in texts for f in pattern.findall(text)]
            if found:
                return f"/{kind}/{found[-1]}"
            time.sleep(0.1)
        raise AssertionError(f"no {kind} link reached {path} for {number}")


@pytest.fixture
def site(
    tmp_path: Path, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> Iterator[Site]:
    """`whistle api` in its own process on a free port, with a fresh store and accounts."""
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    wire_channels(folder, http_receiver, smtp_receiver)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WHISTLE_", "PREFECT_"))
    }
    env.update(
        WHISTLE_CONFIG=str(folder),
        WHISTLE_HOME=str(tmp_path / "home"),
        WHISTLE_DATABASE_URL=f"sqlite:///{tmp_path / 'whistle.db'}",
        WHISTLE_LINK_BASE=base,
        WHISTLE_DISPATCH="inline",
        WHISTLE_PREFECT_UI_URL="http://127.0.0.1:4200",
    )
    shots = Path(os.environ.get("WHISTLE_SHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    made = Site(base, env, http_receiver, shots)
    made.whistle("init")
    for name, department, role in (
        ("李受理", "center", "clerk"),
        ("赵主任", "center", "leadership"),
        ("人社值班", "hrss", "head"),
        ("民政值班", "civil_affairs", "clerk"),
    ):
        made.whistle(
            "user", "create", "--department", department, "--name", name, "--role", role,
            "--password-stdin", stdin=PASSWORD + "\n",
        )  # fmt: skip
    log = (tmp_path / "api.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "whistle", "api", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "api.log").read_text("utf-8", "replace")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "whistle api did not come up"
                time.sleep(0.2)
        yield made
    finally:
        server.terminate()
        server.wait(20)
        log.close()
    if os.environ.get("WHISTLE_UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "img"
        for shot in shots.glob("web-*.png"):
            shutil.copy(shot, target / shot.name)


def _shoot(page: Any, site: Site, name: str) -> None:
    """The page as a desk and as a 390-pixel phone show it, whole."""
    for form, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(site.shots / f"web-{name}-{form}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _events(site: Site, number: str, action: str) -> int:
    return sum(e["action"] == action for e in site.whistle("show", number)["events"])


def test_the_whole_story_through_the_pages(site: Site) -> None:
    base = site.base
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            _story(browser, site, base)
        finally:
            browser.close()


def _sign_in(browser: Any, base: str, name: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    return page


def _story(browser: Any, site: Site, base: str) -> None:
    # --- the clerk: a wrong password first, then in; registers a matter --------------------
    clerk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    clerk.goto(f"{base}/login")
    clerk.fill("input[name=name]", "李受理")
    clerk.fill("input[name=password]", "not-the-password")
    clerk.click("form[action='/login'] button[type=submit]")
    assert "姓名或密码不正确" in clerk.inner_text(".alert.error")
    _shoot(clerk, site, "login")
    clerk.fill("input[name=password]", PASSWORD)
    clerk.click("form[action='/login'] button[type=submit]")
    clerk.wait_for_url(f"{base}/center")
    clerk.goto(f"{base}/center/intake")
    clerk.select_option("select[name=category]", "wage_arrears")
    clerk.fill("input[name=area]", "和平社区")
    clerk.fill("input[name=title]", "工地拖欠农民工工资")
    clerk.fill("textarea[name=description]", "八名工人三个月工资未付，约十二万元。")
    clerk.fill("input[name=name]", "张三丰")
    clerk.fill("input[name=phone]", "13812345678")
    clerk.fill("input[name=people]", "8")
    clerk.fill("input[name=amount]", "120000")
    clerk.check("input[name=flags][value=group_incident]")
    clerk.click("button[formaction='/center/intake/preview']")
    preview = clerk.inner_text("#preview")
    assert "橙色预警" in preview and "人社主办" in preview and "公安、司法协办" in preview
    _shoot(clerk, site, "intake")
    clerk.click("#intake button.primary")
    clerk.wait_for_url(re.compile(r"/matters/M\d{8}-\d{4}\?done=intake$"))
    number = clerk.url.split("/matters/")[1].split("?")[0]
    assert "已受理登记" in clerk.inner_text(".alert.ok")
    assert site.whistle("show", number)["status"] == "referred"

    # --- the departments act from the links in their notices -------------------------------
    lead_link = site.link("/dept/hrss", number)
    co_links = {d: site.link(f"/dept/{d}", number) for d in ("justice", "public_security")}
    lead = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    lead.goto(base + lead_link)
    assert "张三丰" in lead.inner_text("main")  # the lead sees the citizen in full
    _shoot(lead, site, "matter")
    lead.click("#form-acknowledge button")
    lead.wait_for_url(re.compile("done=acknowledge$"))
    assert lead.inner_text(".alert.ok") == "已签收"
    for department, link in co_links.items():
        co = browser.new_context(viewport={"width": 390, "height": 900}, locale="zh-CN").new_page()
        co.goto(base + link)
        assert "张三丰" not in co.inner_text("main") and "张**" in co.inner_text("main")
        assert co.locator("#form-resolve").count() == 0  # a co-handler has no 办结
        co.click("#form-acknowledge button")
        co.wait_for_url(re.compile("done=acknowledge$"))
        co.fill("#form-report textarea[name=note]", f"{department}已配合核实")
        co.click("#form-report button")
        co.wait_for_url(re.compile("done=report$"))
        assert co.inner_text(".alert.ok") == "已报送"
        co.context.close()

    # --- what must be refused: another department's matter, a tampered link ----------------
    other = _sign_in(browser, base, "民政值班")
    other.goto(f"{base}/matters/{number}")
    hidden = other.inner_text("main")
    other.goto(f"{base}/matters/M20000101-0001")
    assert hidden.replace(number, "N") == other.inner_text("main").replace("M20000101-0001", "N")
    payload, _, signature = lead_link.rpartition(".")
    tampered = f"{payload}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"
    answer = other.goto(base + tampered)
    assert answer is not None and answer.status == 404 and "链接无效" in other.inner_text("main")
    other.context.close()

    # --- the lead resolves: without the CSRF token refused; a double click done once ----------
    lead.goto(base + lead_link)
    lead.select_option("#form-resolve select[name=outcome]", "mediated")
    lead.fill("#form-resolve textarea[name=note]", "经调解，工资已全部结清")
    lead.evaluate("document.querySelector('#form-resolve input[name=csrf]').remove()")
    lead.click("#form-resolve button[type=submit]")
    lead.wait_for_load_state()
    assert "表单已过期" in lead.inner_text(".alert.error")
    assert _events(site, number, "resolved") == 0
    lead.goto(base + lead_link)
    lead.select_option("#form-resolve select[name=outcome]", "mediated")
    lead.fill("#form-resolve textarea[name=note]", "经调解，工资已全部结清")
    lead.dblclick("#form-resolve button[type=submit]")
    lead.wait_for_url(re.compile("done=resolve$"))
    assert "已办结" in lead.inner_text(".alert.ok")
    assert _events(site, number, "resolved") == 1
    shown = site.whistle("show", number)
    assert shown["status"] == "resolved"
    assert [e["actor"] for e in shown["events"] if e["action"] == "resolved"] == ["hrss"]

    # --- the citizen answers from their link (the feedback page) --------------------------------
    feedback = site.link("/sms", number, kind="feedback")
    citizen = browser.new_context(viewport={"width": 390, "height": 900}, locale="zh-CN").new_page()
    citizen.goto(base + feedback)
    citizen.check("input[name=satisfied][value=true]")
    citizen.click("button[type=submit]")
    citizen.wait_for_load_state()
    assert "已结案" in citizen.inner_text("body")
    assert site.whistle("show", number)["status"] == "closed"

    # --- the pages afterwards: the department's queue, dispatch, and the board ---------------
    noise = site.whistle(
        "intake", "--category", "neighbour", "--title", "楼上装修噪音扰民", "--description",
        "连续两周夜间施工", "--area", "T01V02", "--name", "李四", "--phone", "13900000000",
    )["number"]  # fmt: skip
    site.whistle(
        "return",
        noise,
        "--department",
        "T01V02.mediation",
        "--reason",
        "涉及违规施工，应由住建处理",
    )
    site.whistle(
        "intake", "--category", "labour", "--title", "劳务派遣公司拒签劳动合同", "--description",
        "六名员工未签合同", "--area", "T02", "--name", "王五", "--phone", "13700000000",
        "--people", "6",
    )  # fmt: skip
    handling = site.whistle(
        "intake", "--category", "wage_arrears", "--title", "餐馆拖欠服务员工资", "--description",
        "两个月工资未付", "--area", "T01V03", "--name", "赵六", "--phone", "13600000000",
    )["number"]  # fmt: skip
    site.whistle("ack", handling, "--department", "hrss")
    site.whistle(
        "extension",
        handling,
        "--department",
        "hrss",
        "--length",
        "5wd",
        "--reason",
        "需调取考勤记录",
    )
    desk = _sign_in(browser, base, "人社值班")
    desk.goto(f"{base}/queue")
    assert number in desk.inner_text("main") and "已退回/已办结" in desk.inner_text("main")
    _shoot(desk, site, "queue")
    clerk.goto(f"{base}/center")
    assert noise in clerk.inner_text("#to-route") and handling in clerk.inner_text("#extensions")
    _shoot(clerk, site, "center")
    board = _sign_in(browser, base, "赵主任")
    assert board.url == f"{base}/board"
    closed = board.inner_text("#closed")
    assert number in closed and "已结案" in closed
    assert "响应率" in board.inner_text("#rates")
    _shoot(board, site, "board")
    board.goto(f"{base}/board?lang=en")
    assert "Leadership board" in board.inner_text("h1")
    docs = board.goto(f"{base}/docs")
    assert docs is not None and docs.status == 200
    board.wait_for_selector(".swagger-ui .info", timeout=30_000)  # rendered from local assets
    assert "Whistle" in board.inner_text(".swagger-ui .info")
