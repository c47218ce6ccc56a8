"""Getting in: staff accounts from the CLI, signing in and out, the session cookie, the lock-out
after repeated failures, and the CSRF token every form carries."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlmodel import select

from models.tables import StaffSession, StaffUser
from service.app import get_app
from service.store.db import session
from tests.api.conftest import Api
from tests.web.conftest import PASSWORD, SQLITE_ONLY, events, staff

pytestmark = SQLITE_ONLY


def test_user_create_prints_a_one_time_password_or_reads_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = api.world
    made = world.ok("user", "create", "--department", "hrss", "--name", "王科长", "--role", "head")
    assert len(made["password"]) >= 10 and made["role"] == "head"
    monkeypatch.setattr("sys.stdin", io.StringIO("chosen-password-1\n"))
    world.ok("user", "create", "--department", "center", "--name", "李受理", "--password-stdin")
    with session(get_app().engine) as s:
        stored = {u.name: u.password_hash for u in s.exec(select(StaffUser)).all()}
    assert stored["王科长"].startswith("$argon2id$") and made["password"] not in stored["王科长"]
    listed = world.ok("user", "list")
    assert [u["name"] for u in listed] == ["王科长", "李受理"]
    assert all("password" not in u and "password_hash" not in u for u in listed)
    refused = world.cli("user", "create", "--department", "nowhere", "--name", "x")
    assert refused.code == 2 and refused.data["refusal"] == "unknown_department"
    twice = world.cli("user", "create", "--department", "hrss", "--name", "王科长")
    assert twice.code == 2 and twice.data["refusal"] == "account_exists"


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(visitor: Any) -> None:
    staff("王科长", "hrss", "head")
    browser = visitor()
    answer = browser.sign_in("王科长")
    assert answer.status_code == 303 and answer.headers["location"] == "/queue"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "whistle_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    queue = browser.get("/queue")
    assert queue.status_code == 200 and "人社 · 待办事项" in queue.text
    secret = browser.client.cookies["whistle_session"]
    with session(get_app().engine) as s:
        stored = s.exec(select(StaffSession)).one()
    assert secret not in stored.token_hash  # only the hash is kept
    out = browser.post("/logout", page=queue.text)
    assert out.status_code == 303 and out.headers["location"] == "/login?out=1"
    stolen = visitor()
    stolen.client.cookies.set("whistle_session", secret)
    assert stolen.get("/queue").headers["location"] == "/login?next=/queue"


def test_the_cookie_is_secure_behind_https(visitor: Any) -> None:
    staff("王科长", "hrss")
    browser = visitor()
    form = browser.get("/login", headers={"X-Forwarded-Proto": "https"})
    pre = form.headers["set-cookie"]
    assert pre.startswith("whistle_pre=") and "Secure" in pre and "HttpOnly" in pre
    # httpx keeps a Secure cookie for https only; the test talks plain http to the proxy's side
    browser.client.cookies.set("whistle_pre", pre.split(";")[0].split("=", 1)[1])
    page = form.text
    answer = browser.post(
        "/login",
        {"name": "王科长", "password": PASSWORD},
        page=page,
        headers={"X-Forwarded-Proto": "https"},
    )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "whistle_session=" in c)
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_wrong_passwords_lock_the_account_for_a_quarter_of_an_hour(visitor: Any) -> None:
    staff("王科长", "hrss")
    browser = visitor()
    unknown = browser.sign_in("没有这个人", "whatever-123")
    assert unknown.status_code == 401 and "姓名或密码不正确" in unknown.text
    for attempt in range(4):
        wrong = browser.sign_in("王科长", f"wrong-password-{attempt}")
        assert wrong.status_code == 401 and "姓名或密码不正确" in wrong.text
        assert unknown.text.count("姓名或密码不正确") == wrong.text.count("姓名或密码不正确")
    fifth = browser.sign_in("王科长", "wrong-password-5")
    assert fifth.status_code == 429 and "账号已锁定" in fifth.text and "09:15" in fifth.text
    right = browser.sign_in("王科长")
    assert right.status_code == 429, "the right password must not let in while locked"
    later = visitor("2026-11-26T09:15:01+08:00")
    assert later.sign_in("王科长").status_code == 303
    english = visitor()
    english.get("/login?lang=en")
    for attempt in range(5):
        answer = english.sign_in("王科长", f"wrong-{attempt}-again")
    assert answer.status_code == 429 and "locked until 2026-11-26 09:15" in answer.text


def test_a_disabled_account_cannot_sign_in_and_loses_its_sessions(api: Api, visitor: Any) -> None:
    staff("王科长", "hrss")
    browser = visitor()
    assert browser.sign_in("王科长").status_code == 303
    api.world.ok("user", "disable", "王科长")
    assert browser.get("/queue").status_code == 303  # signed out at once
    answer = visitor().sign_in("王科长")
    assert answer.status_code == 401 and "已停用" in answer.text


def test_forms_without_their_csrf_token_change_nothing(api: Api, visitor: Any) -> None:
    number = api.world.intake()["number"]
    staff("王科长", "hrss")
    browser = visitor()
    # the sign-in form itself: without its token, or with another browser's, nobody gets in
    bare = browser.post("/login", {"name": "王科长", "password": PASSWORD})
    assert bare.status_code == 403 and "表单已过期" in bare.text
    other = visitor()
    token = other.get("/login")
    stolen = browser.post(
        "/login", {"name": "王科长", "password": PASSWORD}, page=token.text
    )  # the token is bound to the other browser's cookie
    assert stolen.status_code == 403
    assert browser.sign_in("王科长").status_code == 303
    page = browser.get(f"/matters/{number}").text
    before = events(number)
    for forged in ({}, {"csrf": "forged"}, {"csrf": other.get("/login").text[:10]}):
        answer = browser.post(f"/matters/{number}/acknowledge", forged)
        assert answer.status_code == 403 and "表单已过期" in answer.text
    assert events(number) == before
    done = browser.post(f"/matters/{number}/acknowledge", page=page)
    assert done.status_code == 303 and events(number, "acknowledged") == 1


def test_pages_need_a_sign_in_and_send_each_role_home(visitor: Any) -> None:
    for name, department, role in (
        ("王科长", "hrss", "head"),
        ("李受理", "center", "clerk"),
        ("赵主任", "center", "leadership"),
    ):
        staff(name, department, role)
    anonymous = visitor()
    for path in ("/queue", "/center", "/center/intake", "/board", "/matters/M20261126-0001"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={path}"
    homes = {"王科长": "/queue", "李受理": "/center", "赵主任": "/board"}
    for name, home in homes.items():
        browser = visitor()
        assert browser.sign_in(name).headers["location"] == home
    department = visitor()
    department.sign_in("王科长")
    assert department.get("/board").status_code == 403
    assert department.get("/center").status_code == 403
    follow = visitor()
    page = follow.get("/login?next=/board").text
    assert 'name="next" value="/board"' in page
    away = follow.post(
        "/login", {"name": "赵主任", "password": PASSWORD, "next": "//evil.example/"}, page=page
    )
    assert away.headers["location"] == "/board"  # never another site
