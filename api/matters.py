"""/api/matters: the departments' and the center's actions, their work queue and the matter view.

Each action calls the same service function as the CLI subcommand of the same name and then runs
the same stage flow (acknowledge, progress, return, report, extension → handling; resolve →
resolution; refer → referral).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from sqlmodel import Session

from api.actions import perform
from api.context import CallerDep, Installation, Language, Now
from api.errors import ApiError, FieldProblem, Problem, field_problems
from api.i18n import say
from api.idempotency import Keyed, KeyedDep, attach
from api.schemas import (
    ActionResult,
    DecisionBody,
    ExtensionBody,
    MatterView,
    NoteBody,
    ReferBody,
    ResolveBody,
    ReturnBody,
    StageView,
    WorkQueue,
)
from api.views import matter_view, visible_matter, work_queue
from engine.follow import FollowUp
from models.lookup import department_code
from models.refusals import Refused, plain
from service import actions
from service.app import App
from service.store.db import session
from service.tokens import Caller

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "the request could not be read"},
    401: {"model": ApiError, "description": "no token, or a bad or revoked one"},
    403: {"model": ApiError, "description": "the token may not do this"},
    404: {"model": ApiError, "description": "no such matter, or not one of the caller's"},
    409: {"model": ApiError, "description": "refused in the matter's current state"},
    413: {"model": ApiError, "description": "the body is too large"},
    422: {"model": ApiError, "description": "an input field is wrong (named in `fields`)"},
}

router = APIRouter(prefix="/api/matters", tags=["matters"], responses=ERRORS)

Number = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9-]{1,30}$",
        description="the matter number, e.g. M20261126-0001",
        examples=["M20261126-0001"],
    ),
]


def _require_department(caller: Caller, lang: str) -> None:
    if caller.is_center:
        raise Problem(403, "forbidden", say(lang, "department_only"))


def _require_center(caller: Caller, lang: str) -> None:
    if not caller.is_center:
        raise Problem(403, "forbidden", say(lang, "center_only"))


def _act(
    *,
    app: App,
    caller: Caller,
    lang: str,
    now: datetime,
    keyed: Keyed | None,
    number: str,
    stage: str,
    change: Callable[[Session], object],
) -> Response:
    """Check the caller may see the matter (404 otherwise), make the change, run the stage."""

    def write(s: Session) -> str:
        matter = visible_matter(s, caller, number, lang)
        attach(s, matter.id)  # the key goes with the matter (and its citizen's data)
        change(s)
        return matter.number

    def answer(done: str, run: FollowUp | None) -> tuple[int, ActionResult]:
        with session(app.engine) as s:
            view = matter_view(s, app, caller, actions.get_matter(s, done), lang)
        finished, queued = run is not None and run.finished, run is not None and run.queued
        key = "stage_queued" if queued else "stage_done" if finished else "stage_pending"
        stage_view = StageView(name=stage, finished=finished, queued=queued, message=say(lang, key))
        return 200, ActionResult(matter=view, stage=stage_view)

    return perform(
        app=app,
        lang=lang,
        now=now,
        caller=f"token:{caller.token_id}",
        keyed=keyed,
        write=write,
        stage=stage,
        answer=answer,
        number=number.strip().upper(),
    )


@router.get("", response_model=WorkQueue, summary="The caller's work queue")
def queue(
    app: Installation,
    caller: CallerDep,
    lang: Language,
    now: Now,
    within_hours: Annotated[
        int, Query(ge=1, le=24 * 90, description="'due soon' means within this many hours")
    ] = 24,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many per list")] = 200,
) -> WorkQueue:
    """A department's parts that are overdue, waiting for acknowledgement (签收), due soon or in
    hand; for the center, every overdue or soon-due part, the matters to refer and the extension
    requests to decide."""
    with session(app.engine) as s:
        return work_queue(
            s, app, caller, now=now, within=timedelta(hours=within_hours), limit=limit, lang=lang
        )


@router.get("/{number}", response_model=MatterView, summary="One matter")
def show(number: Number, app: Installation, caller: CallerDep, lang: Language) -> MatterView:
    """The matter with its departments and timeline. The citizen is shown in full to the center
    and the lead department, masked to everyone else."""
    with session(app.engine) as s:
        return matter_view(s, app, caller, visible_matter(s, caller, number, lang), lang)


@router.post("/{number}/acknowledge", response_model=ActionResult, summary="Acknowledge (签收)")
def acknowledge(
    number: Number, app: Installation, caller: CallerDep, lang: Language, now: Now, keyed: KeyedDep
) -> Response:
    """The department reports for duty on its part (签收/报到); the lead's doing so starts
    handling."""
    _require_department(caller, lang)
    return _act(
        app=app,
        caller=caller,
        lang=lang,
        now=now,
        keyed=keyed,
        number=number,
        stage="handling",
        change=lambda s: actions.acknowledge(
            session=s, app=app, number=number, department=caller.holder, now=now
        ),
    )


@router.post("/{number}/progress", response_model=ActionResult, summary="Report progress (进展)")
def progress(
    number: Number,
    body: NoteBody,
    app: Installation,
    caller: CallerDep,
    lang: Language,
    now: Now,
    keyed: KeyedDep,
) -> Response:
    """Tell the center how handling goes; the matter's status does not change."""
    _require_department(caller, lang)
    return _act(
        app=app,
        caller=caller,
        lang=lang,
        now=now,
        keyed=keyed,
        number=number,
        stage="handling",
        change=lambda s: actions.progress(
            session=s, app=app, number=number, department=caller.holder, note=body.note, now=now
        ),
    )


@router.post("/{number}/return", response_model=ActionResult, summary="Return (退回)")
def return_matter(
    number: Number,
    body: ReturnBody,
    app: Installation,
    caller: CallerDep,
    lang: Language,
    now: Now,
    keyed: KeyedDep,
) -> Response:
    """Send the part back as not the department's business; the center is told."""
    _require_department(caller, lang)
    return _act(
        app=app,
        caller=caller,
        lang=lang,
        now=now,
        keyed=keyed,
        number=number,
        stage="handling",
        change=lambda s: actions.return_matter(
            session=s, app=app, number=number, department=caller.holder, reason=body.reason, now=now
        ),
    )


@router.post("/{number}/report", response_model=ActionResult, summary="File a co-handler's part")
def report(
    number: Number,
    body: NoteBody,
    app: Installation,
    caller: CallerDep,
    lang: Language,
    now: Now,
    keyed: KeyedDep,
) -> Response:
    """A co-handling department files its part (报送) for the lead to build on."""
    _require_department(caller, lang)
    return _act(
        app=app,
        caller=caller,
        lang=lang,
        now=now,
        keyed=keyed,
        number=number,
        stage="handling",
        change=lambda s: actions.report(
            session=s, app=app, number=number, department=caller.holder, note=body.note, now=now
        ),
    )


@router.post("/{number}/resolve", response_model=ActionResult, summary="Resolve (办结)")
def resolve(
    number: Number,
    body: ResolveBody,
    app: Installation,
    caller: CallerDep,
    lang: Language,
    now: Now,
    keyed: KeyedDep,
) -> Response:
    """The lead resolves the matter once every co-handler has reported; the center is told and
    the citizen is sent a feedback link."""
    _require_department(caller, lang)
    return _act(
        app=app,
        caller=caller,
        lang=lang,
        now=now,
        keyed=keyed,
        number=number,
        stage="resolution",
        change=lambda s: actions.resolve(
            session=s,
            app=app,
            number=number,
            department=caller.holder,
            outcome=body.outcome.value,
            note=body.note,
            now=now,
        ),
    )


@router.post("/{number}/extension", response_model=ActionResult, summary="Ask for more time")
def extension(
    number: Number,
    body: ExtensionBody,
    app: Installation,
    caller: CallerDep,
    lang: Language,
    now: Now,
    keyed: KeyedDep,
) -> Response:
    """Ask the center for more time on the department's part (延期), with a reason."""
    _require_department(caller, lang)
    return _act(
        app=app,
        caller=caller,
        lang=lang,
        now=now,
        keyed=keyed,
        number=number,
        stage="handling",
        change=lambda s: actions.request_extension(
            session=s,
            app=app,
            number=number,
            department=caller.holder,
            length=body.length,
            reason=body.reason,
            now=now,
        ),
    )


@router.post(
    "/{number}/extension/decision",
    response_model=ActionResult,
    summary="Decide an extension request (center)",
)
def decide_extension(
    number: Number,
    body: DecisionBody,
    app: Installation,
    caller: CallerDep,
    lang: Language,
    now: Now,
    keyed: KeyedDep,
) -> Response:
    """The center approves (the due time moves on) or refuses a department's request."""
    _require_center(caller, lang)
    return _act(
        app=app,
        caller=caller,
        lang=lang,
        now=now,
        keyed=keyed,
        number=number,
        stage="handling",
        change=lambda s: actions.decide_extension(
            session=s,
            app=app,
            number=number,
            department=body.department,
            approve=body.approve,
            note_text=body.note,
            now=now,
        ),
    )


@router.post("/{number}/refer", response_model=ActionResult, summary="Refer by hand (center)")
def refer(
    number: Number,
    body: ReferBody,
    app: Installation,
    caller: CallerDep,
    lang: Language,
    now: Now,
    keyed: KeyedDep,
) -> Response:
    """The center refers or re-routes the matter (转办) to one lead and any co-handlers; parts
    not in the new set are withdrawn."""
    _require_center(caller, lang)
    named = [("lead", body.lead)] + [(f"co.{i}", code) for i, code in enumerate(body.co)]
    unknown: list[Refused] = []
    for field, code in named:
        try:
            department_code(app.config, code, field)
        except Refused as exc:
            unknown.append(exc)
    if unknown:
        fields = [
            FieldProblem(field=e.field or "", message=e.message(lang, app.config)) for e in unknown
        ]
        problem = field_problems(fields, lang)
        problem.refusal, problem.params = unknown[0].code.value, plain(unknown[0].params)
        raise problem
    return _act(
        app=app,
        caller=caller,
        lang=lang,
        now=now,
        keyed=keyed,
        number=number,
        stage="referral",
        change=lambda s: actions.refer(
            session=s, app=app, number=number, lead=body.lead, co=body.co, actor="center", now=now
        ),
    )
