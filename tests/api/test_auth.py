"""Every rule of who may do what: tokens (none, wrong, revoked, stored only as a hash), a
department's reach (its own matters; anything else is indistinguishable from a missing number),
who sees the citizen's personal data, and the citizen's single-use, expiring feedback link."""

from __future__ import annotations

import gzip
import hashlib
import stat
from typing import Any

import pytest
from sqlmodel import select

from models.tables import ApiToken, Notice
from service import app as app_module
from service.app import get_app
from service.notices.links import read_feedback_token
from service.store.db import session
from tests.api.conftest import FEEDBACK_LINK, SQLITE_ONLY, Api

pytestmark = SQLITE_ONLY

MISSING = "M20261126-9999"


def wage_matter(api: Api, **fields: Any) -> str:
    """A wage-arrears matter: HRSS leads, public security and justice co-handle."""
    number: str = api.world.intake(**fields)["number"]
    return number


def resolved_matter(api: Api) -> tuple[str, dict[str, str]]:
    tokens = {d: api.token(d) for d in ("hrss", "justice", "public_security")}
    number = wage_matter(api)
    for token in tokens.values():
        assert api.post(f"/api/matters/{number}/acknowledge", token=token).status_code == 200
    for department in ("justice", "public_security"):
        note = {"note": "已配合"}
        assert api.post(f"/api/matters/{number}/report", token=tokens[department], json=note)
    done = api.post(
        f"/api/matters/{number}/resolve",
        token=tokens["hrss"],
        json={"outcome": "mediated", "note": "已结清"},
    )
    assert done.status_code == 200, done.text
    return number, tokens


# --- tokens -----------------------------------------------------------------------------------


def test_no_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    number = wage_matter(api)
    for headers in ({}, {"Authorization": "Basic aHJzczpzZWNyZXQ="}):
        answer = api.get(f"/api/matters/{number}", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["code"] == "unauthorized"
        assert "缺少访问令牌" in answer.json()["message"]
    english = api.get(f"/api/matters/{number}", lang="en")
    assert english.json()["message"] == "no token: send 'Authorization: Bearer <token>'"


@pytest.mark.parametrize("secret", ["wst_not-a-real-token", "hrss", "wst_" + "x" * 300])
def test_wrong_token_is_401(api: Api, secret: str) -> None:
    number = wage_matter(api)
    api.token("hrss")
    answer = api.get(f"/api/matters/{number}", token=secret)
    assert answer.status_code == 401
    assert answer.json()["message"] == "访问令牌无效"


def test_revoked_token_stops_working_at_once(api: Api) -> None:
    number = wage_matter(api)
    created = api.world.ok("token", "create", "--department", "hrss", "--label", "值班")
    secret = created["token"]
    assert created["holder"] == "hrss" and created["scope"] == "department"
    assert api.get(f"/api/matters/{number}", token=secret).status_code == 200

    revoked = api.world.ok("token", "revoke", str(created["id"]))
    assert revoked["revoked_at"] is not None
    answer = api.get(f"/api/matters/{number}", token=secret)
    assert answer.status_code == 401 and answer.json()["message"] == "访问令牌已被吊销"
    act = api.post(f"/api/matters/{number}/acknowledge", token=secret)
    assert act.status_code == 401
    assert api.world.ok("show", number)["assignments"][0]["status"] == "referred"

    again = api.world.cli("token", "revoke", str(created["id"]))
    assert again.code == 2 and again.refusal == "token_already_revoked"
    assert "已于" in again.err and "吊销" in again.err
    listed = api.world.ok("token", "list")
    assert [(t["holder"], t["revoked_at"] is not None) for t in listed] == [("hrss", True)]
    assert all("token" not in t for t in listed)


def test_only_a_hash_of_the_token_is_stored(api: Api) -> None:
    secret = api.token("center")
    with session(get_app().engine) as s:
        rows = s.exec(select(ApiToken)).all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(secret.encode()).hexdigest()]
    assert all(secret not in str(r.model_dump()) for r in rows)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--department", "nowhere"], "没有代码为“nowhere”的单位"),
        (["--channel", "pigeon"], "不认识的来源渠道“pigeon”"),
    ],
)
def test_token_for_an_unknown_holder_is_refused(api: Api, args: list[str], expected: str) -> None:
    refused = api.world.cli("token", "create", *args)
    assert refused.code == 2 and expected in refused.err
    assert refused.refusal in ("unknown_department", "unknown_channel")


# --- a department's reach ---------------------------------------------------------------------


def test_another_departments_matter_is_404_exactly_like_a_missing_one(api: Api) -> None:
    number = wage_matter(api)
    health = api.token("health")
    before = api.counts(number)

    seen = api.get(f"/api/matters/{number}", token=health)
    missing = api.get(f"/api/matters/{MISSING}", token=health)
    assert seen.status_code == missing.status_code == 404
    assert seen.json()["message"] == f"没有编号为{number}的事项"
    assert seen.json() == missing.json() | {"message": seen.json()["message"]}

    for action, body in [
        ("acknowledge", None),
        ("progress", {"note": "x"}),
        ("return", {"reason": "x"}),
        ("report", {"note": "x"}),
        ("resolve", {"outcome": "handled", "note": "x"}),
        ("extension", {"length": "5wd", "reason": "x"}),
    ]:
        tried = api.post(f"/api/matters/{number}/{action}", token=health, json=body)
        probe = api.post(f"/api/matters/{MISSING}/{action}", token=health, json=body)
        assert tried.status_code == probe.status_code == 404, (action, tried.text)
    assert api.counts(number) == before
    queue = api.get("/api/matters", token=health).json()
    assert not any(queue[k] for k in ("overdue", "waiting", "due_soon", "in_hand"))


def test_each_side_may_only_do_its_own_actions(api: Api) -> None:
    number = wage_matter(api)
    center, hrss = api.token("center"), api.token("hrss")
    refer = api.post(f"/api/matters/{number}/refer", token=hrss, json={"lead": "hrss"})
    assert refer.status_code == 403 and refer.json()["message"] == "只有中心可以执行此操作"
    decide = {"department": "hrss", "approve": True, "note": "同意"}
    decided = api.post(f"/api/matters/{number}/extension/decision", token=hrss, json=decide)
    assert decided.status_code == 403
    ack = api.post(f"/api/matters/{number}/acknowledge", token=center)
    assert ack.status_code == 403 and "中心" in ack.json()["message"]

    hotline = api.token(channel="hotline")
    for path in (f"/api/matters/{number}", "/api/matters"):
        answer = api.get(path, token=hotline)
        assert answer.status_code == 403
        assert answer.json()["message"] == "此令牌只能用于 Open311 提交诉求"


@pytest.mark.parametrize("key", ["department", "bogus", "missing"])
def test_open311_refuses_a_key_that_cannot_register_matters(api: Api, key: str) -> None:
    given = {"department": api.token("hrss"), "bogus": "wst_nope", "missing": None}[key]
    # Also incomplete (no description): the key is checked first, so nothing else is told.
    answer = api.submit("", extra={"api_key": given, "description": None})
    assert answer.status_code == 403
    [error] = answer.json()
    assert error["code"] == 403
    expected = "此 api_key 不能提交诉求" if key == "department" else "api_key 无效或缺失"
    assert error["description"].startswith(expected)


# --- personal data ----------------------------------------------------------------------------


def test_personal_data_only_to_the_center_and_the_lead(api: Api) -> None:
    number = wage_matter(
        api, description="张三丰（13812345678）反映工地拖欠工资", id_number="11010519491231002X"
    )
    center, hrss, justice = api.token("center"), api.token("hrss"), api.token("justice")
    full = {"name": "张三丰", "phone": "13812345678", "id_number": "11010519491231002X"}
    for token in (center, hrss):
        view = api.get(f"/api/matters/{number}", token=token).json()
        assert view["citizen"] == full | {"masked": False}
        assert "张三丰" in view["description"]
    co = api.get(f"/api/matters/{number}", token=justice)
    assert co.json()["your_role"] == "co"
    assert co.json()["citizen"] == {
        "name": "张**",
        "phone": "138****5678",
        "id_number": None,
        "masked": True,
    }
    for private in full.values():
        assert private not in co.text
    queue = api.get("/api/matters", token=justice).json()
    assert [item["title"] for item in queue["waiting"]] == ["工地拖欠工资"]

    returned = api.post(f"/api/matters/{number}/return", token=hrss, json={"reason": "非本部门"})
    assert returned.status_code == 200
    former = api.get(f"/api/matters/{number}", token=hrss)
    assert former.status_code == 200 and former.json()["your_role"] == "former"
    assert former.json()["citizen"]["masked"] is True and "张三丰" not in former.text
    waiting = api.get("/api/matters", token=center).json()["waiting"]
    assert [(w["number"], w["status"]) for w in waiting] == [(number, "returned")]


# --- the citizen's feedback link --------------------------------------------------------------


def test_altered_link_is_404(api: Api) -> None:
    number, _ = resolved_matter(api)
    link = api.feedback_token(number)
    payload, _, signature = link.rpartition(".")
    other = payload.replace(number, "M20261126-0002") + "." + signature
    for token in (other, payload + ".AAAA", payload, "nonsense"):
        answer = api.post(f"/feedback/{token}", json={"satisfied": True})
        assert answer.status_code == 404, token
        assert answer.json()["message"] == "链接无效，请核对短信中的链接"
    assert api.world.ok("show", number)["status"] == "resolved"


def test_used_link_is_409_and_changes_nothing(api: Api) -> None:
    number, _ = resolved_matter(api)
    link = api.feedback_token(number)
    assert api.post(f"/feedback/{link}", json={"satisfied": True}).status_code == 200
    before = api.counts(number)
    again = api.post(f"/feedback/{link}", json={"satisfied": False, "comment": "改主意了"})
    assert again.status_code == 409
    assert again.json()["message"] == "该评价链接已使用过，感谢您的反馈"
    page = api.get(f"/feedback/{link}")
    assert page.status_code == 409 and "已使用过" in page.text
    assert api.counts(number) == before
    assert api.world.ok("show", number)["status"] == "closed"


def test_expired_link_is_410(api: Api) -> None:
    number, _ = resolved_matter(api)
    link = api.feedback_token(number)
    due = api.world.ok("show", number)["feedback_due"]
    assert due.startswith("2026-12-03T09:00")
    late = api.post(f"/feedback/{link}", json={"satisfied": True}, at="2026-12-03T09:01+08:00")
    assert late.status_code == 410
    assert late.json()["message"] == "评价链接已于2026年12月03日 09:00过期"
    english = api.post(
        f"/feedback/{link}", json={"satisfied": True}, at="2026-12-03T09:01+08:00", lang="en"
    )
    assert english.json()["message"] == "this link expired on 2026-12-03 09:00 (Asia/Shanghai)"
    browser = api.post(
        f"/feedback/{link}",
        data={"satisfied": "true"},
        at="2026-12-03T09:01+08:00",
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert browser.status_code == 410 and "过期" in browser.text
    assert browser.headers["content-type"].startswith("text/html")
    assert api.world.ok("show", number)["status"] == "resolved"


def test_link_of_an_earlier_resolution_is_410(api: Api) -> None:
    number, _ = resolved_matter(api)
    link = api.feedback_token(number)
    api.world.ok("feedback", number, "--unsatisfied", "--comment", "电话回访不满意")
    answer = api.post(f"/feedback/{link}", json={"satisfied": True})
    assert answer.status_code == 410
    assert answer.json()["message"].startswith("该链接已失效")
    assert "办结后您会收到新的评价链接" in answer.json()["message"]  # reopened: the real reason


def test_link_of_a_closed_matter_says_it_is_closed(api: Api) -> None:
    number, _ = resolved_matter(api)
    link = api.feedback_token(number)
    page = api.get(f"/feedback/{link}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "工地拖欠工资" in page.text and "黄" not in page.text  # the title, not the colour
    api.world.ok("feedback", number, "--satisfied")  # answered on the phone
    answer = api.post(f"/feedback/{link}", json={"satisfied": False})
    assert answer.status_code == 410
    assert answer.json()["code"] == "link_closed"
    assert answer.json()["message"] == "此事项已结案，感谢您的反馈"
    english = api.post(f"/feedback/{link}", json={"satisfied": False}, lang="en")
    assert english.json()["message"].startswith("this matter is already closed")
    assert api.world.ok("show", number)["status"] == "closed"


def test_links_are_signed_with_a_kept_key(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    number, _ = resolved_matter(api)
    link = api.feedback_token(number)
    key_file = get_app().settings.home / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert read_feedback_token(get_app().settings, link) is not None

    monkeypatch.setenv("WHISTLE_SECRET_KEY", "k" * 40)
    app_module.reset()
    assert read_feedback_token(get_app().settings, link) is None  # another key: not genuine


def test_the_store_and_its_backups_hold_no_live_link(api: Api, tmp_path: Any) -> None:
    """The outbox keeps the citizen's link without its signature; it is signed as it is sent.
    A local reader of the store (or of a backup) cannot answer for the citizen."""
    number, _ = resolved_matter(api)
    sent = api.feedback_token(number)  # from the SMS the citizen received: a live link
    assert read_feedback_token(get_app().settings, sent) is not None
    payload = sent.rpartition(".")[0]
    with session(get_app().engine) as s:
        notice = s.exec(
            select(Notice).where(Notice.kind == "feedback_request", Notice.recipient == "citizen")
        ).one()
    assert notice.link == payload and notice.status == "sent"
    stored = FEEDBACK_LINK.findall(notice.body + (notice.html or ""))
    assert stored and set(stored) == {payload}  # the link the citizen got, minus its signature
    assert sent not in notice.body + (notice.html or "")
    for token in stored:
        assert read_feedback_token(get_app().settings, token) is None
        assert api.post(f"/feedback/{token}", json={"satisfied": True}).status_code == 404
    backup = tmp_path / "store.jsonl.gz"
    api.world.ok("backup", str(backup))
    assert sent not in gzip.decompress(backup.read_bytes()).decode("utf-8")
    assert api.world.ok("show", number)["status"] == "resolved"
