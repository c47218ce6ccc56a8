"""/feedback/{token}: the citizen answers "satisfied or not" from the link in their notice.

The link is signed and bound to one resolution (whistle/links.py). It works once: its use is
written in the same transaction as the answer. An altered link is 404, a used one 409, an
expired or superseded one 410. A browser gets a small page; an API client JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.actions import perform
from api.context import Installation, Language, Now, client_wants_html, speaking
from api.errors import ApiError, Problem, invalid
from api.i18n import say
from api.idempotency import KeyedDep, attach
from api.open311_models import without_null
from api.schemas import FeedbackResult, Text
from engine.follow import FollowUp
from models.status import Status
from models.tables import FeedbackLinkUse, Matter
from service import actions
from service.app import App
from service.errors import NotFound
from service.inputs import outcome_label
from service.notices.links import FeedbackClaim, read_feedback_token
from service.notices.outbox import local_time
from service.store.db import session

Token = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9._-]{1,200}$", description="the token from the notice's link"),
]

_HTML = {"text/html": {"schema": {"type": "string"}}}
_BOTH = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}} | _HTML
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "the request could not be read"},
    404: {"description": "the link is not valid", "content": _BOTH},
    409: {"description": "the link was already used", "content": _BOTH},
    410: {"description": "the link expired or no longer applies", "content": _BOTH},
    413: {"model": ApiError, "description": "the body is too large"},
    422: {"model": ApiError, "description": "an input field is wrong"},
}
router = APIRouter(prefix="/feedback", tags=["citizen feedback"], responses=ERRORS)


class FeedbackBody(BaseModel):
    """The citizen's answer (form-encoded from the page, or JSON)."""

    model_config = ConfigDict(extra="forbid")

    satisfied: bool = Field(description="true: satisfied, the matter closes; false: it reopens")
    comment: Text | None = Field(default=None, description="anything the citizen adds")


_ENV = Environment(autoescape=True, undefined=StrictUndefined)
_PAGE = _ENV.from_string(
    """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ heading }}</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 1em auto; padding: 0 1em">
<h1 style="font-size: 1.3em">{{ heading }}</h1>
{% for line in lines %}<p>{{ line }}</p>{% endfor %}
{% if ask %}<form method="post">
<p><label><input type="radio" name="satisfied" value="true" required> {{ words.yes }}</label><br>
<label><input type="radio" name="satisfied" value="false"> {{ words.no }}</label></p>
<p><label>{{ words.comment }}<br><textarea name="comment" rows="4" style="width: 100%"
maxlength="2000"></textarea></label></p>
<p><button type="submit">{{ words.send }}</button></p>
</form>{% endif %}
</body></html>
"""
)
_WORDS = {
    "zh": {
        "title": "事项办理评价",
        "yes": "满意",
        "no": "不满意（请求重新办理）",
        "comment": "意见（可不填）",
        "send": "提交",
        "done": "已收到您的评价",
        "sorry": "无法评价",
    },
    "en": {
        "title": "How was your matter handled?",
        "yes": "Satisfied",
        "no": "Not satisfied (handle it again)",
        "comment": "Comment (optional)",
        "send": "Send",
        "done": "Thank you",
        "sorry": "This link cannot be used",
    },
}


def page(lang: str, heading: str, lines: list[str], ask: bool, status: int = 200) -> HTMLResponse:
    words = _WORDS["en" if lang == "en" else "zh"]
    html = _PAGE.render(lang=lang, heading=heading, lines=lines, ask=ask, words=words)
    return HTMLResponse(html, status_code=status)


def check(
    s: Session, app: App, token: str, lang: str, now: datetime
) -> tuple[FeedbackClaim, Matter]:
    """The claim and its matter if the link can be answered now; else the reason, as a Problem."""
    claim = read_feedback_token(app.settings, token)
    if claim is None:
        raise Problem(404, "link_invalid", say(lang, "link_invalid"))
    try:
        matter = actions.get_matter(s, claim.number)
    except NotFound:
        raise Problem(404, "link_invalid", say(lang, "link_invalid")) from None
    if s.get(FeedbackLinkUse, claim.nonce) is not None:
        raise Problem(409, "link_used", say(lang, "link_used"))
    if now > claim.expires:
        when = local_time(app, claim.expires, lang)
        raise Problem(410, "link_expired", say(lang, "link_expired", when=when))
    if matter.status == Status.closed:  # answered on the phone, by another link, or lapsed
        raise Problem(410, "link_closed", say(lang, "link_closed"))
    if matter.status != Status.resolved:  # reopened, or taken back by the center: not resolved now
        raise Problem(410, "link_superseded", say(lang, "link_moved_on"))
    if matter.reopen_count != claim.round:  # resolved again since: a newer link was sent
        raise Problem(410, "link_superseded", say(lang, "link_superseded"))
    return claim, matter


@router.get(
    "/{token}",
    response_class=HTMLResponse,
    responses={200: {"content": _HTML, "description": "the question, as a page"}},
    summary="The feedback page",
)
def ask(token: Token, app: Installation, lang: Language, now: Now) -> HTMLResponse:
    """The page the citizen's link opens: the result and the question."""
    words = _WORDS["en" if lang == "en" else "zh"]
    with session(app.engine) as s:
        try:
            _, matter = check(s, app, token, lang, now)
        except Problem as problem:
            return page(lang, words["sorry"], [problem.message], ask=False, status=problem.status)
        shown = speaking(app, lang)
        config = app.config
        lines = [
            f"{matter.number} · {config.category_name(matter.category, lang)} · {matter.title}",
            f"{config.department_name(matter.lead_department or '', lang)}: "
            f"{outcome_label(matter.outcome or '', lang)}",
            ("Please answer by " if lang == "en" else "请在以下时间前评价：")
            + local_time(shown, matter.feedback_due, lang),
        ]
    return page(lang, words["title"], lines, ask=True)


async def answer_body(request: Request, lang: Language) -> FeedbackBody:
    """The answer, from the page's form or from JSON."""
    raw: Any
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            raw = await request.json()
        except ValueError:
            raise invalid(
                [{"type": "json_invalid", "loc": ("body",), "msg": "", "input": None}],
                lang,
            ) from None
    else:
        await request.body()  # kept, so the Idempotency-Key fingerprint can read it too
        form = await request.form()
        raw = {k: v for k, v in form.items() if isinstance(v, str)}
        if not str(raw.get("comment", "")).strip():
            raw.pop("comment", None)
    try:
        return FeedbackBody.model_validate(raw)
    except ValidationError as exc:
        raise invalid(exc.errors(), lang) from None


_SCHEMA = without_null(FeedbackBody.model_json_schema())
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _SCHEMA},
            "application/json": {"schema": _SCHEMA},
        },
    }
}


@router.post(
    "/{token}",
    response_model=FeedbackResult,
    responses={200: {"content": _HTML, "description": "the answer was recorded"}},
    summary="Answer: satisfied or not",
    openapi_extra=_BODY,
)
def answer(
    token: Token,
    request: Request,
    app: Installation,
    lang: Language,
    now: Now,
    keyed: KeyedDep,
    body: Annotated[FeedbackBody, Depends(answer_body)],
) -> Response:
    """Satisfied closes the matter (结案); not satisfied reopens it to the lead (重办). The link
    then stops working."""
    claim = read_feedback_token(app.settings, token)
    nonce = claim.nonce if claim else "invalid"

    def write(s: Session) -> str:
        claim, matter = check(s, app, token, lang, now)
        assert matter.id is not None
        attach(s, matter.id)
        s.add(FeedbackLinkUse(nonce=claim.nonce, matter_id=matter.id, used_at=now))
        try:
            s.flush()
        except IntegrityError:
            raise Problem(409, "link_used", say(lang, "link_used")) from None
        actions.feedback(
            session=s,
            app=app,
            number=matter.number,
            satisfied=body.satisfied,
            comment=body.comment,
            now=now,
        )
        return matter.number

    def result(number: str, run: FollowUp | None) -> tuple[int, FeedbackResult]:
        with session(app.engine) as s:
            matter = actions.get_matter(s, number)
        key = (
            "feedback_thanks_closed"
            if matter.status == Status.closed
            else "feedback_thanks_reopened"
        )
        return 200, FeedbackResult(
            number=number, status=matter.status, message=say(lang, key, number=number)
        )

    html = client_wants_html(request)
    try:
        response = perform(
            app=app,
            lang=lang,
            now=now,
            caller=f"link:{nonce}",
            keyed=keyed,
            write=write,
            stage="feedback",
            answer=result,
        )
    except Problem as problem:
        if not html:
            raise
        words = _WORDS["en" if lang == "en" else "zh"]
        return page(lang, words["sorry"], [problem.message], ask=False, status=problem.status)
    if html and response.status_code == 200:
        shown = FeedbackResult.model_validate_json(bytes(response.body))
        return page(lang, _WORDS["en" if lang == "en" else "zh"]["done"], [shown.message], False)
    return response
