"""One write from a page, the way the API does it (api/actions.py `perform`): the service
layer's one transaction, then what follows (`engine.follow.after_action`), and with the form's
one-time key, once: a double click on 办结 sends the form twice, and the second answer is the
first one's. A refusal comes back as words for the page; nothing was written.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from api.actions import perform
from api.errors import Problem
from api.idempotency import Keyed
from engine.follow import FollowUp
from models.status import TransitionRefused
from service.errors import NotFound, Refused
from web import messages
from web.context import Posted, Visit


class PageRefusal(Exception):
    """A write the page could not make, already worded for the reader; `fields` names the form
    fields at fault."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.fields = status, message, dict(fields or {})


class _Carried(Exception):
    """A service refusal carried out of `perform` untouched, to be worded by web.messages."""

    def __init__(self, exc: Refused | TransitionRefused) -> None:
        super().__init__(str(exc))
        self.exc = exc


class Done(BaseModel):
    """What a page remembers of a write under its form key."""

    number: str
    finished: bool
    queued: bool


def refused(visit: Visit, exc: Refused | TransitionRefused) -> PageRefusal:
    """A service refusal as the page shows it: 404 for a missing matter, 422 for a bad field,
    else 409 (refused in the matter's state)."""
    message = messages.refusal(exc, visit.lang, visit.app)
    if isinstance(exc, NotFound):
        return PageRefusal(404, message)
    field = exc.field
    if field:
        return PageRefusal(422, message, {field: message})
    return PageRefusal(409, message)


def act(
    visit: Visit,
    *,
    caller: str,
    form: Posted,
    write: Callable[[Session], str],
    stage: str,
    number: str | None = None,
) -> Done:
    """Make the write once per form key and leave its follow-up to the engine (or do it)."""
    key = form.get("form_key")
    keyed = Keyed(key[:200], form.fingerprint) if key else None

    def guarded(s: Session) -> str:
        try:
            return write(s)
        except (Refused, TransitionRefused) as exc:
            raise _Carried(exc) from None

    def answer(done: str, run: FollowUp | None) -> tuple[int, Done]:
        finished, queued = run is not None and run.finished, run is not None and run.queued
        return 200, Done(number=done, finished=finished, queued=queued)

    try:
        response: Response = perform(
            app=visit.app,
            lang=visit.lang,
            now=visit.now,
            caller=caller,
            keyed=keyed,
            write=guarded,
            stage=stage,
            answer=answer,
            number=number,
        )
    except _Carried as carried:
        raise refused(visit, carried.exc) from None
    except Problem as problem:  # the form key's own refusals (mismatch, still running)
        code = problem.code if problem.code in messages.WORDS else "refused"
        text = visit.say(code, reason=problem.message) if code == "refused" else visit.say(code)
        raise PageRefusal(problem.status, text) from None
    except OperationalError:
        raise PageRefusal(503, visit.say("store_down")) from None
    return Done.model_validate_json(bytes(response.body))
