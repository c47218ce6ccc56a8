"""One write through the API, the way the CLI does it: the service layer's one transaction, then
what follows (carried out here, or left to a running engine: `after_action`, as the CLI does),
then the answer; with `Idempotency-Key`, once."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime

from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from api.errors import Problem, refused
from api.i18n import say
from api.idempotency import Abandoned, Keyed, Taken, earlier, remember, reserve, settle
from engine.follow import FollowUp, after_action
from models.status import TransitionRefused
from models.tables import Matter
from service.app import App
from service.errors import Refused
from service.store.db import session

Answer = Callable[[str, FollowUp | None], tuple[int, BaseModel | Sequence[BaseModel]]]
Encoder = Callable[[BaseModel | Sequence[BaseModel]], str]


def _encode(body: BaseModel | Sequence[BaseModel]) -> str:
    if isinstance(body, BaseModel):
        return body.model_dump_json()
    return json.dumps([item.model_dump(mode="json") for item in body], ensure_ascii=False)


def _number_of(app: App, matter_id: int | None) -> str | None:
    if matter_id is None:
        return None
    with session(app.engine) as s:
        matter = s.get(Matter, matter_id)
        return matter.number if matter else None


def answered_now(s: Session, answer: Answer, encode: Encoder = _encode) -> Callable[[Matter], None]:
    """A hook for the service to call just before it commits a new matter: the answer, which
    needs nothing but the number, is stored under the request's key in the same transaction."""

    def hook(matter: Matter) -> None:
        status, body = answer(matter.number, None)
        settle(s, matter.id, status, encode(body))

    return hook


def perform(
    *,
    app: App,
    lang: str,
    now: datetime,
    caller: str,
    keyed: Keyed | None,
    write: Callable[[Session], str],
    stage: str | None,
    answer: Answer,
    number: str | None = None,
    encode: Encoder = _encode,
    media: str = "application/json",
) -> Response:
    """Run `write` (which returns the matter's number) in one transaction, then `stage`, then
    answer; a key seen before answers as the first time did and writes nothing. `encode` and
    `media` give the answer another format (Open311's XML)."""
    record_id: int | None = None
    if keyed is not None:
        try:
            found = earlier(app, caller, keyed, lang, now, media)
        except Abandoned as lost:
            number = number or _number_of(app, lost.matter_id)
            if number is None:  # a record from before keys knew their matter
                raise Problem(
                    409, "idempotency_pending", say(lang, "idempotency_pending")
                ) from None
            status, body = answer(number, None)
            remember(app, lost.record_id, status, encode(body))
            return Response(encode(body), status, media_type=media)
        if found is not None:
            return found
    with session(app.engine) as s:
        if keyed is not None:
            try:
                record_id = reserve(s, caller, keyed, now).id
            except Taken:  # a concurrent request with the same key won: answer as it did
                return perform(
                    app=app,
                    lang=lang,
                    now=now,
                    caller=caller,
                    keyed=keyed,
                    write=write,
                    stage=stage,
                    answer=answer,
                    number=number,
                    encode=encode,
                    media=media,
                )
        try:
            done = write(s)
        except (Refused, TransitionRefused) as exc:
            raise refused(exc, lang, app.config) from None
    run = after_action(app, stage, done, now) if stage else None
    status, body = answer(done, run)
    content = encode(body)
    if record_id is not None:
        remember(app, record_id, status, content)
    return Response(content, status, media_type=media)
