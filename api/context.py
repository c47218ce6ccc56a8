"""What every request works with: the installation, the caller's language, the time, the caller."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Problem, request_language
from api.i18n import say
from service.app import App, get_app
from service.store.db import session
from service.tokens import Caller, authenticate

Language = Annotated[str, Depends(request_language)]


def installation() -> App:
    return get_app()


Installation = Annotated[App, Depends(installation)]


def speaking(app: App, lang: str) -> App:
    """The installation with its display language set to the caller's, for views and labels."""
    if app.language == lang:
        return app
    return dataclasses.replace(app, settings=app.settings.model_copy(update={"language": lang}))


def now(
    app: Installation,
    lang: Language,
    as_of: Annotated[str | None, Header(alias="X-Whistle-As-Of", include_in_schema=False)] = None,
) -> datetime:
    """The current time, or the 'as of' time simulations and tests send (when allowed)."""
    if as_of is None:
        return datetime.now(UTC)
    if not app.settings.allow_clock_override:
        raise Problem(400, "clock_override", say(lang, "clock"))
    try:
        value = datetime.fromisoformat(as_of)
    except ValueError:
        raise Problem(400, "clock_override", say(lang, "clock_value")) from None
    if value.tzinfo is None:
        raise Problem(400, "clock_override", say(lang, "clock_value"))
    return value.astimezone(UTC)


Now = Annotated[datetime, Depends(now)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token from `whistle token create --department CODE` (or `center`).",
)


def caller(
    app: Installation,
    lang: Language,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The department or center behind the bearer token; 401 for none, a bad or revoked one."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise Problem(401, "unauthorized", say(lang, "no_token"), headers=challenge)
    with session(app.engine) as s:
        found = authenticate(s, credentials.credentials)
    if isinstance(found, str):
        key = "revoked_token" if found == "revoked" else "bad_token"
        raise Problem(401, "unauthorized", say(lang, key), headers=challenge)
    if found.scope == "intake":
        raise Problem(403, "forbidden", say(lang, "intake_token"))
    return found


CallerDep = Annotated[Caller, Depends(caller)]


def client_wants_html(request: Request) -> bool:
    """A browser (the citizen's phone) asks for HTML first; API clients ask for JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept.split(",")[0]
