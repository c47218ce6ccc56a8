"""The center's pages: registering a matter (受理登记) with the grading shown before it is
submitted, and dispatch (指挥调度): matters to route or re-route, extension requests to decide,
notices given up on to send again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from engine.follow import after_action, hand_over
from models.grading import Facts, grade
from models.routing import NoRoute, route
from models.status import TransitionRefused
from models.tables import Matter, Notice
from service import actions
from service.accounts import Staff, StaffRole
from service.errors import Refused
from service.inputs import IntakeRequest
from service.notices.delivery import deliver_one
from service.notices.resend import resend_notice
from service.read.workbench import center_lists
from service.store.db import session
from web import messages
from web.acting import PageRefusal, act, refused
from web.auth import home_of, to_login
from web.context import PostedDep, Visit, VisitDep, csrf_ok, new_form_key

router = APIRouter(include_in_schema=False)

NUMBERS = ("people", "visits", "amount")


def _clerk(visit: Visit) -> Staff | Response:
    """The signed-in center clerk (or head), or where to send anyone else."""
    staff = visit.staff
    if staff is None:
        return to_login(visit)
    if not staff.is_center or staff.role is StaffRole.leadership:
        if staff.role is StaffRole.leadership:
            return visit.finish(RedirectResponse(home_of(staff), status_code=303))
        return visit.page("error.html", 403, message=visit.say("forbidden"))
    return staff


# --- dispatch ----------------------------------------------------------------------------------


@router.get("/center")
def dispatch(visit: VisitDep) -> Response:
    staff = _clerk(visit)
    if isinstance(staff, Response):
        return staff
    return _dispatch_page(visit)


def _dispatch_page(visit: Visit, *, status: int = 200, error: str = "") -> Response:
    with session(visit.app.engine) as s:
        lists = center_lists(s)
        number = visit.request.query_params.get("notice", "")
        notice = s.get(Notice, int(number)) if number.isdigit() else None
    done = visit.request.query_params.get("done", "")
    flash = ""
    if done in ("resend", "resend_queued"):
        flash = visit.say(f"done.{done}")
    elif done == "resend_failed" and notice is not None:
        error = error or visit.say("done.resend_failed", error=(notice.last_error or "")[:200])
    return visit.page(
        "center.html",
        status,
        here="/center",
        lists=lists,
        key=new_form_key,
        flash=flash,
        error=error,
    )


@router.get("/center/open")
def open_number(visit: VisitDep) -> Response:
    staff = _clerk(visit)
    if isinstance(staff, Response):
        return staff
    number = visit.request.query_params.get("number", "").strip().upper()[:30]
    return visit.finish(RedirectResponse(f"/matters/{number}", status_code=303))


@router.post("/center/notices/{notice_id}/resend")
def resend(notice_id: int, visit: VisitDep, form: PostedDep) -> Response:
    """Put a dead notice back in the outbox and have it sent (here, or by a running engine)."""
    staff = _clerk(visit)
    if isinstance(staff, Response):
        return staff
    if not csrf_ok(visit.app, visit.secret, form.get("csrf")):
        return _dispatch_page(visit, status=403, error=visit.say("csrf"))
    app, now = visit.app, visit.now
    try:
        with session(app.engine) as s:
            notice = resend_notice(session=s, notice_id=notice_id, now=now)
            matter = s.get(Matter, notice.matter_id) if notice.matter_id else None
            number = matter.number if matter else None
    except (Refused, TransitionRefused) as exc:
        return _dispatch_page(visit, status=refused(visit, exc).status, error=_words(visit, exc))
    except OperationalError:
        return _dispatch_page(visit, status=503, error=visit.say("store_down"))
    if number is not None:
        queued = after_action(app, "notice", number, now).queued
    elif hand_over(app):
        queued = True
    else:
        deliver_one(app, notice_id, now)
        queued = False
    with session(app.engine) as s:
        stored = s.get(Notice, notice_id)
        status = stored.status if stored else "dead"
    done = "resend_queued" if queued else "resend" if status == "sent" else "resend_failed"
    target = f"/center?done={done}&notice={notice_id}"
    return visit.finish(RedirectResponse(target, status_code=303))


def _words(visit: Visit, exc: Refused | TransitionRefused) -> str:
    return messages.refusal(exc, visit.lang, visit.app)


# --- intake ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """The grading and routing a matter would get, shown before it is registered."""

    colour: str
    tier: str
    reasons: list[str]
    lead: str | None
    co: list[str]


def _typed(visit: Visit, form: PostedDep) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as IntakeRequest's fields, and the problems the page finds itself (the area's
    name, a number that is not one)."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {
        key: form.get(key)
        for key in ("category", "title", "description", "name", "phone", "channel")
    }
    values["id_number"] = form.get("id_number") or None
    values["flags"] = [f for f in form.lists.get("flags", []) if f]
    area = form.get("area")
    found = visit.app.config.find_area(area) if area else None
    if area and found is None:
        problems["area"] = visit.say("unknown_area_name", name=area[:40])
    values["area"] = found or area
    for key in NUMBERS:
        if form.get(key):
            values[key] = form.get(key)
    return values, problems


def _preview(visit: Visit, values: dict[str, Any]) -> Preview | None:
    """Grade and route what was typed, as registering would; None until category and area are
    known and the numbers are numbers."""
    config = visit.app.config
    if values.get("category") not in config.categories or values.get("area") is None:
        return None
    try:
        _, _, town, village = config.area(str(values["area"]))
        counts = {key: int(values.get(key) or (1 if key == "people" else 0)) for key in NUMBERS}
    except (KeyError, ValueError):
        return None
    flags = frozenset(f for f in values.get("flags", []) if f in config.flags)
    graded = grade(Facts(category=values["category"], flags=flags, **counts), config.grading)
    tier = "town" if graded.tier == "village" and village is None else graded.tier
    try:
        found = route(
            config,
            category=values["category"],
            tier=tier,
            town=town.code,
            village=village.code if village else None,
        )
    except NoRoute:
        return Preview(graded.colour, tier, list(graded.reasons), None, [])
    return Preview(graded.colour, tier, list(graded.reasons), found.lead, list(found.co))


def _intake_page(
    visit: Visit,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    preview: Preview | None = None,
) -> Response:
    config, lang = visit.app.config, visit.lang
    areas = []
    for town in config.district.towns:
        areas.append((town.name if lang == "zh" else town.name_en or town.name, ""))
        for village in town.villages:
            named = village.name if lang == "zh" else village.name_en or village.name
            areas.append((named, town.name if lang == "zh" else town.name_en or town.name))
    groups: dict[str, list[tuple[str, str]]] = {}
    for category in config.categories.values():
        groups.setdefault(category.group, []).append(
            (category.code, config.category_name(category.code, lang))
        )
    shown = dict(values or {})
    shown.setdefault("flags", [])
    return visit.page(
        "intake.html",
        status,
        here="/center/intake",
        values=shown,
        errors=errors or {},
        error=error,
        preview=preview,
        areas=areas,
        category_groups=groups,
        flag_choices=[
            (f.code, f.name_en or f.name if lang == "en" else f.name) for f in config.flags.values()
        ],
        channels=[
            (c.code, c.name_en or c.name if lang == "en" else c.name)
            for c in config.channels_in.values()
        ],
        key=new_form_key,
    )


def _form_values(form: PostedDep) -> dict[str, Any]:
    shown: dict[str, Any] = {k: v for k, v in form.fields.items() if k not in ("csrf", "form_key")}
    shown["flags"] = form.lists.get("flags", [])
    return shown


@router.get("/center/intake")
def intake_form(visit: VisitDep) -> Response:
    staff = _clerk(visit)
    if isinstance(staff, Response):
        return staff
    return _intake_page(visit, values={"people": "1", "channel": "walk_in"})


@router.post("/center/intake/preview")
def intake_preview(visit: VisitDep, form: PostedDep) -> Response:
    """The grading and routing the matter would get; nothing is written."""
    staff = _clerk(visit)
    if isinstance(staff, Response):
        return staff
    if not csrf_ok(visit.app, visit.secret, form.get("csrf")):
        return _intake_page(visit, status=403, values=_form_values(form), error=visit.say("csrf"))
    values, problems = _typed(visit, form)
    return _intake_page(
        visit, values=_form_values(form), errors=problems, preview=_preview(visit, values)
    )


@router.post("/center/intake")
def intake(visit: VisitDep, form: PostedDep) -> Response:
    """Register the matter (受理); the rules refer it at once, as from the CLI or the API."""
    staff = _clerk(visit)
    if isinstance(staff, Response):
        return staff
    shown = _form_values(form)
    if not csrf_ok(visit.app, visit.secret, form.get("csrf")):
        return _intake_page(visit, status=403, values=shown, error=visit.say("csrf"))
    values, problems = _typed(visit, form)
    try:
        request = IntakeRequest.model_validate(values)
    except ValidationError as exc:
        problems = messages.field_problems(exc, visit.lang) | problems
    if problems:
        return _intake_page(
            visit,
            status=422,
            values=shown,
            errors=problems,
            error=visit.say("fix_fields"),
            preview=_preview(visit, values),
        )
    app, now = visit.app, visit.now
    try:
        done = act(
            visit,
            caller=f"web:{staff.id}",
            form=form,
            write=lambda s: actions.register(session=s, app=app, intake=request, now=now).number,
            stage="intake",
        )
    except PageRefusal as refusal:
        return _intake_page(
            visit, status=refusal.status, values=shown, errors=refusal.fields, error=refusal.message
        )
    return visit.finish(RedirectResponse(f"/matters/{done.number}?done=intake", status_code=303))
