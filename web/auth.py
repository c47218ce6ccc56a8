"""Signing in and out, and the front page that sends each person to their own page."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from service import accounts
from service.accounts import SignInResult, Staff
from service.notices.outbox import local_time
from service.store.db import session
from web.context import (
    PRE_COOKIE,
    SESSION_COOKIE,
    PostedDep,
    Visit,
    VisitDep,
    csrf_ok,
    csrf_token,
)

router = APIRouter(include_in_schema=False)


def home_of(staff: Staff) -> str:
    """Where a person lands: the center's dispatch, the board, or the department's queue."""
    if staff.is_center and staff.role is not accounts.StaffRole.leadership:
        return "/center"
    if staff.sees_board:
        return "/board"
    return "/queue"


def to_login(visit: Visit) -> RedirectResponse:
    """Send a reader who is not signed in to the sign-in page, and back here afterwards."""
    here = visit.request.url.path
    return visit.finish(RedirectResponse(f"/login?next={here}", status_code=303))


def _next(target: str) -> str | None:
    """Only a path on this site (never //host or a scheme) is followed after signing in."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _login_page(
    visit: Visit, *, status: int = 200, error: str = "", notice: str = "", name: str = ""
) -> HTMLResponse:
    binding = visit.request.cookies.get(PRE_COOKIE) or ""
    if not binding:
        binding = secrets.token_urlsafe(24)
        visit.cookies[PRE_COOKIE] = binding
    target = _next(visit.request.query_params.get("next", "")) or ""
    return visit.page(
        "login.html",
        status,
        here="/login",
        csrf=csrf_token(visit.app, "login|" + binding),
        error=error,
        notice=notice,
        name=name,
        target=target,
    )


@router.get("/")
def front(visit: VisitDep) -> Response:
    if visit.staff is None:
        return visit.finish(RedirectResponse("/login", status_code=303))
    return visit.finish(RedirectResponse(home_of(visit.staff), status_code=303))


@router.get("/login", response_class=HTMLResponse)
def login_form(visit: VisitDep) -> Response:
    if visit.staff is not None:
        return visit.finish(RedirectResponse(home_of(visit.staff), status_code=303))
    notice = visit.say("login.out") if visit.request.query_params.get("out") else ""
    return _login_page(visit, notice=notice)


@router.post("/login", response_class=HTMLResponse)
def login(visit: VisitDep, form: PostedDep) -> Response:
    binding = visit.request.cookies.get(PRE_COOKIE) or ""
    if not csrf_ok(visit.app, "login|" + binding, form.get("csrf")):
        return _login_page(visit, status=403, error=visit.say("csrf"))
    name, password = form.get("name"), form.fields.get("password", "")
    try:
        with session(visit.app.engine) as s:
            result = accounts.sign_in(session=s, name=name, password=password, now=visit.now)
    except OperationalError:
        return _login_page(visit, status=503, error=visit.say("store_down"), name=name)
    if result.result is SignInResult.ok:
        assert result.staff is not None and result.secret is not None
        target = _next(form.get("next")) or home_of(result.staff)
        response = RedirectResponse(target, status_code=303)
        visit.cookie(
            response,
            SESSION_COOKIE,
            result.secret,
            max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        )
        response.delete_cookie(PRE_COOKIE, path="/")
        return visit.finish(response)
    if result.result is SignInResult.locked:
        until = local_time(visit.app, result.locked_until, visit.lang)
        return _login_page(
            visit, status=429, error=visit.say("login.locked", until=until), name=name
        )
    code = "login.disabled" if result.result is SignInResult.disabled else "login.wrong"
    return _login_page(visit, status=401, error=visit.say(code), name=name)


@router.post("/logout")
def logout(visit: VisitDep, form: PostedDep) -> Response:
    if visit.staff is None:
        return visit.finish(RedirectResponse("/login", status_code=303))
    if not csrf_ok(visit.app, visit.secret, form.get("csrf")):
        return visit.page("error.html", 403, message=visit.say("csrf"))
    with session(visit.app.engine) as s:
        accounts.sign_out(session=s, secret=visit.secret, now=visit.now)
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return visit.finish(response)
