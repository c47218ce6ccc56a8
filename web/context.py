"""What every page works with: the installation, the reader's language, the time, who is
signed in, and the CSRF token that binds each form to the reader.

Sessions are a random secret in an HttpOnly, SameSite=Lax cookie (Secure when the page is served
over https); the store keeps its hash (service/accounts.py). Every form carries a token that is
an HMAC of what the form is bound to (the session, the department link, or the sign-in page's
own cookie), so a page elsewhere cannot post one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import OperationalError

from service import accounts
from service.accounts import Staff
from service.app import App, get_app
from service.notices.links import secret_key
from service.store.db import session
from web import messages
from web.render import html
from web.shown import Shown

SESSION_COOKIE = "whistle_session"
PRE_COOKIE = "whistle_pre"  # binds the sign-in form before there is a session
LANG_COOKIE = "whistle_lang"
YEAR = 365 * 24 * 3600
R = TypeVar("R", bound=Response)


def language(request: Request, app: App) -> tuple[str, bool]:
    """zh or en: `?lang=` (then remembered in a cookie), the cookie, or the installation's."""
    asked = request.query_params.get("lang")
    if asked in messages.LANGUAGES:
        return asked, True
    kept = request.cookies.get(LANG_COOKIE)
    return (kept if kept in messages.LANGUAGES else app.language), False


def clock(request: Request, app: App) -> datetime:
    """Now; or the 'as of' time tests send in X-Whistle-As-Of, where clock overrides are on."""
    sent = request.headers.get("x-whistle-as-of")
    if sent and app.settings.allow_clock_override:
        try:
            value = datetime.fromisoformat(sent)
        except ValueError:
            value = None
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
    return datetime.now(UTC)


def csrf_token(app: App, binding: str) -> str:
    """The token a form bound to `binding` carries."""
    mac = hmac.new(secret_key(app.settings), f"csrf|{binding}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode("ascii")


def csrf_ok(app: App, binding: str, sent: str | None) -> bool:
    if not binding or not sent:
        return False
    return hmac.compare_digest(csrf_token(app, binding).encode(), sent.encode("utf-8", "replace"))


@dataclass
class Visit:
    """One request to a page: who reads it, in which language, at what time."""

    request: Request
    app: App
    lang: str
    now: datetime
    staff: Staff | None
    secret: str  # the session cookie's secret ('' when not signed in)
    remember_lang: bool = False
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def https(self) -> bool:
        return self.request.url.scheme == "https"

    def say(self, code: str, **params: Any) -> str:
        return messages.say(code, self.lang, **params)

    def page(self, template: str, status: int = 200, /, **context: Any) -> HTMLResponse:
        """A page with what every template needs (language, reader, switch link)."""
        signed = csrf_token(self.app, self.secret) if self.secret else ""
        for name, helper in Shown(self.app, self.lang, self.now).helpers().items():
            context.setdefault(name, helper)
        context.setdefault("link_department", None)
        context.setdefault("csrf", signed)
        get = self.request.method == "GET"
        context.setdefault("here", self.request.url.path if get else "/")
        response = html(
            template,
            status,
            lang=self.lang,
            staff=self.staff,
            other_lang="zh" if self.lang == "en" else "en",
            logout_csrf=signed,
            **context,
        )
        return self.finish(response)

    def finish(self, response: R) -> R:
        """Set the language cookie (when chosen) and any cookie the route asked for."""
        if self.remember_lang:
            self.cookie(response, LANG_COOKIE, self.lang, max_age=YEAR, http_only=False)
        for name, value in self.cookies.items():
            self.cookie(response, name, value)
        return response

    def cookie(
        self,
        response: Response,
        name: str,
        value: str,
        *,
        max_age: int | None = None,
        http_only: bool = True,
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=http_only,
            samesite="lax",
            secure=self.https,
        )


def visit(request: Request) -> Visit:
    """The page visit: language, time and the signed-in person (if any)."""
    app = get_app()
    lang, chosen = language(request, app)
    now = clock(request, app)
    secret = request.cookies.get(SESSION_COOKIE, "")
    staff = None
    if secret:
        try:
            with session(app.engine) as s:
                staff = accounts.signed_in(session=s, secret=secret, now=now)
        except OperationalError:
            staff = None
    return Visit(request, app, lang, now, staff, secret if staff else "", chosen)


VisitDep = Annotated[Visit, Depends(visit)]


@dataclass(frozen=True)
class Posted:
    """A submitted form: its fields (the last value of each, and every value of repeated ones)
    and a fingerprint of the request, for the one-time form key."""

    fields: dict[str, str]
    lists: dict[str, list[str]]
    fingerprint: str

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()


async def posted(request: Request) -> Posted:
    """Read the form before the (synchronous) route runs in its worker thread."""
    body = await request.body()
    form = await request.form()
    fields: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields[key] = value
            lists.setdefault(key, []).append(value)
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return Posted(fields, lists, digest.hexdigest())


PostedDep = Annotated[Posted, Depends(posted)]


def new_form_key() -> str:
    """A one-time key for one rendering of a form: a double click sends it twice, and the
    second answer is the first one's (api/idempotency.py)."""
    return secrets.token_urlsafe(16)
