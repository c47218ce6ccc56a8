"""The matter page and the actions on it, for a signed-in department or the center
(`/matters/<number>`) and for a department that opened the link in its notice (`/link/<token>`).

The access rules are the API's (api/views.py): a department sees only a matter it is or was
assigned to, and anything else answers exactly as a number never given out; the citizen is shown
in full to the center and the lead only. The buttons are exactly the actions allowed now
(service/read/workbench.py `allowed_actions`); the service layer checks again and refuses the
rest, and a refusal is shown on the page with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from api.errors import Problem
from api.views import matter_view
from models.refusals import Code, NotFound
from models.status import ENDED_ASSIGNMENT, Status
from models.tables import Assignment, Matter
from service import actions
from service.accounts import StaffRole
from service.inputs import Outcome
from service.notices.links import read_part_token
from service.read.workbench import allowed_actions, center_lists
from service.store.db import session
from service.tokens import Caller
from web.acting import PageRefusal, act
from web.auth import to_login
from web.context import PostedDep, Visit, VisitDep, csrf_ok, csrf_token, new_form_key
from web.shown import Shown

router = APIRouter(include_in_schema=False)

DEPARTMENT_ACTIONS = ("acknowledge", "progress", "return", "report", "resolve", "extension")
CENTER_ACTIONS = ("refer", "decide")
STAGE = {"resolve": "resolution", "refer": "referral"}


@dataclass(frozen=True)
class Reader:
    """Who reads the matter page and where its forms post: a signed-in person, or a department
    through its link."""

    caller: Caller
    base: str  # the page's own address; forms post to <base>/<action>
    binding: str  # what the forms' CSRF token is bound to
    idempotency: str  # whose form keys these are
    can_act: bool
    link_department: str | None = None


def _held(s: Session, caller: Caller, number: str) -> Matter:
    """The matter if the reader may see it; otherwise the refusal a missing number gets."""
    try:
        matter = actions.get_matter(s, number)
    except NotFound:
        raise NotFound(Code.not_found, number=number.strip().upper()) from None
    if caller.is_center:
        return matter
    part = s.exec(
        select(Assignment.id).where(
            Assignment.matter_id == matter.id, Assignment.department == caller.holder
        )
    ).first()
    if part is None:
        raise NotFound(Code.not_found, number=number.strip().upper())
    return matter


def show(
    visit: Visit,
    reader: Reader,
    number: str,
    *,
    status: int = 200,
    error: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The matter page as this reader may see it."""
    app, lang = visit.app, visit.lang
    try:
        with session(app.engine) as s:
            matter = _held(s, reader.caller, number)
            view = matter_view(s, app, reader.caller, matter, lang)
            allowed = (
                None
                if reader.caller.is_center
                else allowed_actions(s, app, matter, reader.caller.holder)
            )
            pending = (
                [e for e in center_lists(s).extensions if e.number == matter.number]
                if reader.caller.is_center
                else []
            )
    except (NotFound, Problem):
        return visit.page(
            "error.html", 404, message=visit.say("not_found", number=number.strip().upper())
        )
    done = visit.request.query_params.get("done", "")
    flash = visit.say(f"done.{done}") if f"done.{done}" in _DONE else ""
    departments = [
        (d.code, app.config.department_name(d.code, lang))
        for d in app.config.departments.values()
        if d.code != "center"
    ]
    return visit.page(
        "matter.html",
        status,
        view=view,
        allowed=allowed,
        pending=pending,
        reader=reader,
        link_department=reader.link_department,
        csrf=csrf_token(app, reader.binding),
        key=new_form_key,
        flash=flash,
        error=error,
        errors=errors or {},
        values=values or {},
        outcomes=[(o.value, o.value) for o in Outcome],
        departments=departments,
        back="/center" if reader.caller.is_center else "/queue",
        here=reader.base or f"/matters/{number}",
    )


_DONE = {f"done.{a}" for a in (*DEPARTMENT_ACTIONS, *CENTER_ACTIONS, "intake")}


# --- who reads ---------------------------------------------------------------------------------


def signed_in_reader(visit: Visit) -> Reader | None:
    staff = visit.staff
    if staff is None:
        return None
    scope = "center" if staff.is_center else "department"
    return Reader(
        caller=Caller(0, scope, staff.department),
        base="",
        binding=visit.secret,
        idempotency=f"web:{staff.id}",
        can_act=staff.role is not StaffRole.leadership,
    )


class LinkDead(Exception):
    """The link cannot be used; `status` and `message` say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def link_reader(visit: Visit, token: str) -> tuple[Reader, str]:
    """The department a notice link speaks for, and its matter's number; LinkDead when the
    link is forged, altered, expired, or its part has ended."""
    app = visit.app
    claim = read_part_token(app.settings, token)
    if claim is None:
        raise LinkDead(404, visit.say("link_invalid"))
    with session(app.engine) as s:
        part = s.get(Assignment, claim.part_id)
        matter = s.get(Matter, part.matter_id) if part is not None else None
    if part is None or matter is None or matter.number != claim.number:
        raise LinkDead(404, visit.say("link_invalid"))
    if visit.now > claim.expires:
        when = Shown(app, visit.lang, visit.now).when(claim.expires)
        raise LinkDead(410, visit.say("link_expired", when=when))
    if part.status in ENDED_ASSIGNMENT or matter.status == Status.closed:
        raise LinkDead(410, visit.say("link_ended"))
    reader = Reader(
        caller=Caller(0, "department", part.department),
        base=f"/link/{token}",
        binding="link|" + token,
        idempotency=f"link:{part.id}",
        can_act=True,
        link_department=part.department,
    )
    return reader, matter.number


# --- the pages ---------------------------------------------------------------------------------


@router.get("/matters/{number}")
def matter_page(number: str, visit: VisitDep) -> Response:
    reader = signed_in_reader(visit)
    if reader is None:
        return to_login(visit)
    return show(visit, replace(reader, base=f"/matters/{number}"), number)


@router.get("/link/{token}")
def link_page(token: str, visit: VisitDep) -> Response:
    try:
        reader, number = link_reader(visit, token)
    except LinkDead as dead:
        return visit.page("error.html", dead.status, message=dead.message)
    return show(visit, reader, number)


@router.post("/matters/{number}/{action}")
def matter_action(number: str, action: str, visit: VisitDep, form: PostedDep) -> Response:
    reader = signed_in_reader(visit)
    if reader is None:
        return to_login(visit)
    return perform_action(visit, replace(reader, base=f"/matters/{number}"), number, action, form)


@router.post("/link/{token}/{action}")
def link_action(token: str, action: str, visit: VisitDep, form: PostedDep) -> Response:
    try:
        reader, number = link_reader(visit, token)
    except LinkDead as dead:
        return visit.page("error.html", dead.status, message=dead.message)
    return perform_action(visit, reader, number, action, form)


# --- the actions -------------------------------------------------------------------------------


def perform_action(
    visit: Visit, reader: Reader, number: str, action: str, form: PostedDep
) -> Response:
    """Check the form's CSRF token and the reader's right to act, make the write once, and show
    the page again: with the result, or with the refusal and what was typed."""
    if not csrf_ok(visit.app, reader.binding, form.get("csrf")):
        return show(visit, reader, number, status=403, error=visit.say("csrf"))
    allowed = CENTER_ACTIONS if reader.caller.is_center else DEPARTMENT_ACTIONS
    if action not in DEPARTMENT_ACTIONS + CENTER_ACTIONS:
        return visit.page("error.html", 404, message=visit.say("no_page"))
    if action not in allowed or not reader.can_act:
        return show(visit, reader, number, status=403, error=visit.say("forbidden"))
    try:
        change = _change(visit, reader, number, action, form)

        def write(s: Session) -> str:
            matter = _held(s, reader.caller, number)
            change(s)
            return matter.number

        act(
            visit,
            caller=reader.idempotency,
            form=form,
            write=write,
            stage=STAGE.get(action, "handling"),
            number=number.strip().upper(),
        )
    except PageRefusal as refusal:
        if refusal.status == 404:
            return visit.page("error.html", 404, message=refusal.message)
        values = {k: v for k, v in form.fields.items() if k not in ("csrf", "form_key")}
        values["action"] = action
        return show(
            visit,
            reader,
            number,
            status=refusal.status,
            error=refusal.message,
            errors=refusal.fields,
            values=values,
        )
    page = reader.base or f"/matters/{number}"
    return visit.finish(RedirectResponse(f"{page}?done={action}", status_code=303))


def _change(
    visit: Visit, reader: Reader, number: str, action: str, form: PostedDep
) -> Callable[[Session], Any]:
    """The service call the action makes, with the form's fields; PageRefusal for a field the
    page itself checks (an unresolvable outcome without its reason, a department name)."""
    app, now, department = visit.app, visit.now, reader.caller.holder
    common: dict[str, Any] = {"app": app, "number": number, "now": now}
    if action == "acknowledge":
        return lambda s: actions.acknowledge(session=s, department=department, **common)
    if action == "progress":
        note = form.get("note")
        return lambda s: actions.progress(session=s, department=department, note=note, **common)
    if action == "report":
        note = form.get("note")
        return lambda s: actions.report(session=s, department=department, note=note, **common)
    if action == "return":
        reason = form.get("reason")
        return lambda s: actions.return_matter(
            session=s, department=department, reason=reason, **common
        )
    if action == "resolve":
        outcome, note = form.get("outcome"), form.get("note")
        if outcome == Outcome.unresolvable:
            why = form.get("unresolvable_reason")
            if not why:
                message = visit.say("unresolvable_reason")
                raise PageRefusal(422, message, {"unresolvable_reason": message})
            note = visit.say("unresolvable_note", note=note, reason=why) if note else ""
        return lambda s: actions.resolve(
            session=s, department=department, outcome=outcome, note=note, **common
        )
    if action == "extension":
        length, reason = form.get("length"), form.get("reason")
        return lambda s: actions.request_extension(
            session=s, department=department, length=length, reason=reason, **common
        )
    if action == "refer":
        lead = _department(visit, form.get("lead"), "lead")
        co = [
            _department(visit, name, "co")
            for name in (v.strip() for v in form.lists.get("co", []))
            if name
        ]
        return lambda s: actions.refer(session=s, lead=lead, co=co, actor="center", **common)
    # decide
    approve, note, asked = form.get("approve") == "1", form.get("note"), form.get("department")
    return lambda s: actions.decide_extension(
        session=s, department=asked, approve=approve, note_text=note, **common
    )


def _department(visit: Visit, text: str, field: str) -> str:
    """A department's code from its code or its name (Chinese or English) as typed."""
    if not text:
        message = visit.say("required")
        raise PageRefusal(422, visit.say("fix_fields"), {field: message})
    for dept in visit.app.config.departments.values():
        if text in (dept.code, dept.name, dept.name_en) and dept.code != "center":
            return dept.code
    message = visit.say("unknown_department_name", name=text[:40])
    raise PageRefusal(422, message, {field: message})
