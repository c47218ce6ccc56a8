"""The center's pages (受理登记 with its grading preview, dispatch, re-sending a dead notice) and
the leadership board; and the service function behind the re-send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlmodel import col, func, select

from models.tables import Matter, MatterRun, Notice
from service.app import get_app
from service.errors import NotFound, Refused
from service.notices.resend import resend_notice
from service.store.db import session
from tests.api.conftest import Api
from tests.web.conftest import SQLITE_ONLY, events, staff

pytestmark = SQLITE_ONLY

FORM = {
    "category": "wage_arrears",
    "area": "和平社区",
    "title": "工地拖欠工资",
    "description": "八名工人三个月工资未付",
    "name": "张三丰",
    "phone": "13812345678",
    "people": "8",
    "channel": "walk_in",
}


def _matters() -> int:
    with session(get_app().engine) as s:
        return int(s.exec(select(func.count()).select_from(Matter)).one())


def _clerk(visitor: Any) -> Any:
    staff("李受理", "center")
    browser = visitor()
    browser.sign_in("李受理")
    return browser


def test_the_grading_is_shown_before_registering_and_nothing_is_written(visitor: Any) -> None:
    browser = _clerk(visitor)
    page = browser.get("/center/intake").text
    assert page.count("<option value=") >= 15 + 94  # categories, and every town and village
    assert '<datalist id="areas">' in page and 'type="checkbox" name="flags"' in page
    preview = browser.post("/center/intake/preview", FORM | {"flags": ["violence"]}, page=page)
    assert preview.status_code == 200 and _matters() == 0
    assert "红色预警 · 区" in preview.text and "将交：人社主办，公安、司法协办" in preview.text
    assert 'value="张三丰"' in preview.text and "checked" in preview.text  # the form kept
    plain = browser.post("/center/intake/preview", FORM, page=page)
    assert "橙色预警 · 镇（街道）" in plain.text and "涉及人数≥5" in plain.text


def test_registering_names_each_bad_field_and_writes_nothing(visitor: Any) -> None:
    browser = _clerk(visitor)
    page = browser.get("/center/intake").text
    bad = browser.post(
        "/center/intake",
        FORM | {"phone": "12345", "area": "月球村", "title": "", "people": "0"},
        page=page,
    )
    assert bad.status_code == 422 and _matters() == 0
    for words in ("不是有效的电话号码", "没有“月球村”这一镇街或村社区", "不能为空", "不能小于1"):
        assert words in bad.text, words
    page = browser.get("/center/intake?lang=en").text
    english = browser.post("/center/intake", FORM | {"phone": "12345"}, page=page)
    assert "is not a mainland phone number" in english.text and _matters() == 0


def test_a_registered_matter_is_referred_at_once_and_a_double_click_registers_one(
    api: Api, visitor: Any
) -> None:
    browser = _clerk(visitor)
    page = browser.get("/center/intake").text
    first = browser.post("/center/intake", FORM, page=page)
    second = browser.post("/center/intake", FORM, page=page)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert _matters() == 1
    number = first.headers["location"].split("/")[2].split("?")[0]
    shown = api.world.ok("show", number)
    assert shown["status"] == "referred" and shown["lead_department"] == "hrss"
    assert shown["colour"] == "orange"
    assert any(r.path == "/dept/hrss" for r in api.world.http.requests)
    landing = browser.get(first.headers["location"]).text
    assert "已受理登记" in landing and "张三丰" in landing


def test_dispatch_lists_what_waits_for_the_center(api: Api, visitor: Any) -> None:
    returned = api.world.intake(category="neighbour", title="噪音")["number"]
    lead = api.world.ok("show", returned)["lead_department"]
    api.world.ok("return", returned, "--department", lead, "--reason", "不属本会")
    asked = api.world.intake()["number"]
    api.world.ok("ack", asked, "--department", "hrss")
    api.world.ok("extension", asked, "--department", "hrss", "--length", "5wd", "--reason", "取证")
    page = _clerk(visitor).get("/center").text
    assert returned in page and "已退回" in page
    assert asked in page and "人社申请延期5wd：取证" in page
    assert 'action="/matters/' + asked + '/decide"' in page


def test_a_dead_notice_is_sent_again_from_dispatch(api: Api, visitor: Any) -> None:
    number = api.world.intake()["number"]
    with session(get_app().engine) as s:
        notice = s.exec(
            select(Notice).where(Notice.recipient == "hrss", col(Notice.kind) == "referral")
        ).one()
        notice.status, notice.attempts, notice.last_error = "dead", 9, "channel 1: HTTP 503"
        notice.delivered = []  # as if its one channel never took it
        s.add(notice)
        s.commit()
        notice_id = notice.id
    delivered = len([r for r in api.world.http.requests if r.path == "/dept/hrss"])
    browser = _clerk(visitor)
    page = browser.get("/center").text
    assert f'data-notice="{notice_id}"' in page and "HTTP 503" in page
    action = f"/center/notices/{notice_id}/resend"
    sent = browser.post(action, page=page)
    assert sent.status_code == 303 and "done=resend" in sent.headers["location"]
    assert len([r for r in api.world.http.requests if r.path == "/dept/hrss"]) == delivered + 1
    assert "通知已重新发送" in browser.get(sent.headers["location"]).text
    again = browser.post(action, page=page)  # the double click: refused, nothing sent twice
    assert again.status_code == 409 and "重发过一次" in again.text
    assert len([r for r in api.world.http.requests if r.path == "/dept/hrss"]) == delivered + 1
    assert events(number, "notice_resent") == 1


def test_resend_notice_refuses_what_is_not_dead(api: Api) -> None:
    number = api.world.intake()["number"]
    app = get_app()
    now = datetime.fromisoformat("2026-11-26T10:00:00+08:00")
    with session(app.engine) as s:
        sent = s.exec(select(Notice).where(Notice.recipient == "hrss")).one()
        assert sent.status == "sent"
        with pytest.raises(Refused, match="only a dead notice"):
            resend_notice(session=s, notice_id=sent.id or 0, now=now)
        with pytest.raises(NotFound):
            resend_notice(session=s, notice_id=99999, now=now)
        sent.status = "dead"
        s.add(sent)
        s.commit()
    with session(app.engine) as s:
        again = resend_notice(session=s, notice_id=sent.id or 0, now=now)
        assert again.status == "pending" and again.resent_at == now
    assert events(number, "notice_resent") == 1


def test_the_board_shows_colours_levels_rates_and_runs(
    api: Api, visitor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    red = api.world.intake(flag=["violence"])["number"]
    green = api.world.intake(category="counselling", title="失眠")["number"]
    api.world.ok("sweep", at="2026-11-26T10:00:00+08:00")  # red: acknowledgement is 30 min
    app = get_app()
    with session(app.engine) as s:
        matter = s.exec(select(Matter).where(Matter.number == red)).one()
        assert matter.id is not None
        s.add(MatterRun(matter_id=matter.id, flow_run_id="0b6a7f4e-1111-2222-3333-444455556666"))
        s.commit()
    monkeypatch.setattr(app.settings, "prefect_ui_url", "http://prefect.example:4200/")
    staff("赵主任", "center", "leadership")
    browser = visitor("2026-11-26T10:00:00+08:00")
    browser.sign_in("赵主任")
    page = browser.get("/board").text
    assert red in page and green in page
    assert (
        'href="http://prefect.example:4200/runs/flow-run/0b6a7f4e-1111-2222-3333-444455556666"'
        in page
    )
    assert 'class="tag level-circular"' in page and "东园街道" in page and "人社" in page
    assert "响应率" in page and "解决率" in page and "满意率" in page
    english = browser.get("/board?lang=en").text
    assert "Response rate" in english and "Overdue by level" in english
