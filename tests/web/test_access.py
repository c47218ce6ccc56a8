"""Who sees and does what on the pages: the API's rules (a department sees only what it held,
the same 404 for everything else), the signed link from the notice (scoped to one part, dead
once the part ends), exactly the allowed buttons, and a form sent twice done once."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.web.conftest import SQLITE_ONLY, events, part_link, staff

pytestmark = SQLITE_ONLY


def _buttons(page: str, base: str) -> set[str]:
    actions = ("acknowledge", "progress", "return", "report", "resolve", "extension")
    return {a for a in actions if f'action="{base}/{a}"' in page}


def test_a_department_sees_only_what_it_held_and_404_like_a_missing_number(
    api: Api, visitor: Any
) -> None:
    ours = api.world.intake()["number"]  # hrss leads, public_security and justice co-handle
    theirs = api.world.intake(category="neighbour", title="噪音")["number"]  # village mediation
    staff("王科长", "hrss")
    browser = visitor()
    browser.sign_in("王科长")
    page = browser.get(f"/matters/{ours}")
    assert page.status_code == 200 and "张三丰" in page.text and "13812345678" in page.text
    hidden = browser.get(f"/matters/{theirs}")
    missing = browser.get("/matters/M20261126-0999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(theirs, "N") == missing.text.replace("M20261126-0999", "N")
    before = events(theirs)
    forced = browser.post(f"/matters/{theirs}/acknowledge", page=page.text.replace(ours, theirs))
    assert forced.status_code == 404 and events(theirs) == before
    queue = browser.get("/queue").text
    assert ours in queue and theirs not in queue


def test_the_notice_link_opens_the_part_without_a_password_and_acts_as_the_department(
    api: Api, visitor: Any
) -> None:
    number = api.world.intake()["number"]
    lead, co = part_link(api, "hrss", number), part_link(api, "justice", number)
    citizen = visitor()
    page = citizen.get(lead)
    assert page.status_code == 200 and "张三丰" in page.text  # the lead sees the citizen
    assert _buttons(page.text, lead) == {"acknowledge", "return", "extension"}
    assert citizen.post(f"{lead}/acknowledge", page=page.text).status_code == 303
    view = api.world.ok("show", number)
    assert [e["actor"] for e in view["events"] if e["action"] == "acknowledged"] == ["hrss"]
    helper = citizen.get(co)
    assert "张三丰" not in helper.text and "张**" in helper.text  # masked for a co-handler
    assert _buttons(helper.text, co) == {"acknowledge", "return", "extension"}
    citizen.post(f"{co}/acknowledge", page=helper.text)
    helper = citizen.get(co)
    assert "report" in _buttons(helper.text, co) and "resolve" not in _buttons(helper.text, co)
    # the co-handler's link cannot do the lead's part: refused, on the page, nothing written
    before = events(number)
    forced = citizen.post(
        f"{co}/resolve",
        {"outcome": "mediated", "note": "越权办结"},
        page=helper.text.replace(f'action="{co}/report"', f'action="{co}/resolve"'),
    )
    assert forced.status_code == 409 and "只有主办单位" in forced.text and events(number) == before
    # the lead waits for the co-handlers: no 办结 button, and the reason says who
    lead_page = citizen.get(lead).text
    assert "resolve" not in _buttons(lead_page, lead) and "尚未报送" in lead_page


def test_an_altered_expired_or_ended_link_is_refused(api: Api, visitor: Any) -> None:
    number = api.world.intake()["number"]
    link = part_link(api, "hrss", number)
    browser = visitor()
    payload, _, signature = link.rpartition(".")
    for altered in (
        f"{payload}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        link.replace(number, number[:-1] + "9"),
        link.replace(".1.", ".2.", 1),
        f"/link/{number}.1.99999999999.{signature}",
        "/link/garbage",
    ):
        answer = browser.get(altered)
        assert answer.status_code == 404 and "链接无效" in answer.text, altered
        assert browser.post(f"{altered}/acknowledge").status_code == 404
    late = visitor("2027-06-01T09:00:00+08:00")
    expired = late.get(link)
    assert expired.status_code == 410 and "过期" in expired.text
    # re-routed away: hrss's part is withdrawn and its link dies; the new lead's works
    api.world.ok("ack", number, "--department", "justice")
    page = browser.get(link).text
    api.world.ok("refer", number, "--lead", "justice")
    ended = browser.get(link)
    assert ended.status_code == 410 and "已结束" in ended.text
    before = events(number)
    assert browser.post(f"{link}/acknowledge", page=page).status_code == 410
    assert events(number) == before
    assert browser.get(part_link(api, "justice", number)).status_code == 200  # the new lead's
    # returned: the department's part has ended
    other = api.world.intake(title="第二件")["number"]
    gone = part_link(api, "hrss", other)
    api.world.ok("return", other, "--department", "hrss", "--reason", "不属本部门")
    assert browser.get(gone).status_code == 410


def test_a_form_sent_twice_is_done_once(api: Api, visitor: Any) -> None:
    number = api.world.intake(category="consumer", title="预付卡")["number"]  # no co-handlers
    link = part_link(api, "market_regulation", number)
    browser = visitor()
    browser.post(f"{link}/acknowledge", page=browser.get(link).text)
    page = browser.get(link).text
    form = {"outcome": "mediated", "note": "已退款"}
    first = browser.post(f"{link}/resolve", form, page=page)
    second = browser.post(f"{link}/resolve", form, page=page)  # the double click
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == f"{link}?done=resolve"
    assert events(number, "resolved") == 1
    assert api.world.ok("show", number)["status"] == "resolved"
    # the same form key with other content is not taken for the first one's answer
    third = browser.post(f"{link}/resolve", {"outcome": "handled", "note": "改"}, page=page)
    assert third.status_code == 422 and "已提交过不同的内容" in third.text
    assert events(number, "resolved") == 1


def test_resolving_as_unresolvable_asks_for_its_reason(api: Api, visitor: Any) -> None:
    number = api.world.intake(category="consumer", title="预付卡")["number"]
    link = part_link(api, "market_regulation", number)
    browser = visitor()
    browser.post(f"{link}/acknowledge", page=browser.get(link).text)
    page = browser.get(link).text
    bare = browser.post(
        f"{link}/resolve", {"outcome": "unresolvable", "note": "商家失联"}, page=page
    )
    assert bare.status_code == 422 and "请写明原因" in bare.text
    assert "商家失联" in bare.text  # what was typed stays in the form
    assert events(number, "resolved") == 0
    empty = browser.post(f"{link}/resolve", {"outcome": "mediated", "note": " "}, page=page)
    assert empty.status_code == 422 and "不能为空" in empty.text
    done = browser.post(
        f"{link}/resolve",
        {"outcome": "unresolvable", "note": "商家失联", "unresolvable_reason": "经营者已注销"},
        page=browser.get(link).text,
    )
    assert done.status_code == 303
    shown = api.world.ok("show", number)
    assert shown["outcome"] == "unresolvable"
    resolved = [e for e in shown["events"] if e["action"] == "resolved"]
    assert len(resolved) == 1 and "经营者已注销" in resolved[0]["note"]


def test_the_center_routes_and_decides_but_does_not_act_for_departments(
    api: Api, visitor: Any
) -> None:
    number = api.world.intake()["number"]
    api.world.ok("ack", number, "--department", "hrss")
    api.world.ok("extension", number, "--department", "hrss", "--length", "5wd", "--reason", "取证")
    staff("李受理", "center")
    browser = visitor()
    browser.sign_in("李受理")
    page = browser.get(f"/matters/{number}").text
    assert 'action="/matters/' + number + '/refer"' in page and "取证" in page
    before = events(number)
    acting = browser.post(
        f"/matters/{number}/acknowledge", page=page.replace("/refer", "/acknowledge")
    )
    assert acting.status_code == 403 and events(number) == before
    unknown = browser.post(f"/matters/{number}/refer", {"lead": "不存在的局"}, page=page)
    assert unknown.status_code == 422 and "没有名为“不存在的局”的单位" in unknown.text
    decided = browser.post(
        f"/matters/{number}/decide",
        {"department": "hrss", "approve": "1", "note": "同意"},
        page=page,
    )
    assert decided.status_code == 303 and events(number, "extension_approved") == 1
    moved = browser.post(
        f"/matters/{number}/refer",
        {"lead": "司法", "co": ["公安", ""]},
        page=browser.get(f"/matters/{number}").text,
    )
    assert moved.status_code == 303
    shown = api.world.ok("show", number)
    assert shown["lead_department"] == "justice" and shown["co_departments"] == ["public_security"]
    english = browser.get(f"/matters/{number}?lang=en")
    assert "Refer" in english.text and "whistle_lang=en" in english.headers["set-cookie"]
    assert "Lead department" in browser.get(f"/matters/{number}").text  # remembered
