"""The FastAPI application: Open311 intake, department and center actions, citizen feedback.

`create_app()` builds it; `whistle api` and `whistle up` serve it with uvicorn. The district
configuration is loaded at start-up, so a broken file stops the server before it listens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import feedback, matters, open311
from api.errors import Problem, install, render
from api.i18n import negotiate, say
from api.schemas import Health
from api.strict import StrictBody
from service.app import get_app

MAX_BODY = 256 * 1024  # a 20,000-character description, form-encoded, fits with room to spare

DESCRIPTION = """
Whistle's HTTP API (中心吹哨，部门报到).

- **Open311 GeoReport v2** under `/open311/v2/`, in XML (`.xml`) and JSON (`.json`):
  hotlines, grid apps and a city's Open311 app submit matters (form-encoded, with an
  `api_key`) and follow them; `discovery.xml` says where and how. Errors are the spec's list of
  `{code, description}` (`<errors><error>` in XML).
- **Departments and the center** under `/api/matters`: acknowledge, progress, return, report,
  resolve, ask for an extension; the center refers and decides extensions. Send
  `Authorization: Bearer <token>` (from `whistle token create`). A department sees only the
  matters it is or was assigned to: any other number answers 404.
- **Citizens** answer from the single-use link in their notice, under `/feedback/`.
- **People** use the workbench pages at `/` (sign in at `/login`): not part of this document.

Messages are in Chinese; send `Accept-Language: en` for English. A write sent with an
`Idempotency-Key` header is done once: repeating it returns the first answer.
"""


class BodyLimit:
    """Refuse request bodies over the limit (413) before they are read into memory."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, headers, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # the body has no length or lied about it
                    raise HTTPException(413, detail=self._message(headers))
            return message

        await self.app(scope, counted, send)

    def _message(self, headers: dict[str, str]) -> str:
        lang = negotiate(headers.get("accept-language"), get_app().language)
        return say(lang, "too_large", limit=self.limit)

    async def _refuse(
        self, scope: Scope, headers: dict[str, str], receive: Receive, send: Send
    ) -> None:
        problem = Problem(413, "too_large", self._message(headers), headers={"Connection": "close"})
        await render(scope["path"], problem)(scope, receive, send)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    get_app()  # load and check the configuration before serving
    yield


def create_app() -> FastAPI:
    """The application, with every router, error handler and the body limit."""
    # FastAPIOffline serves Swagger UI and ReDoc from the package (/static-offline-docs), so
    # /docs works on an intranet with no way out.
    app = FastAPIOffline(
        title="Whistle",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=_lifespan,
        openapi_tags=[
            {"name": "open311", "description": "Open311 GeoReport v2 (XML and JSON)"},
            {"name": "matters", "description": "department and center actions"},
            {"name": "citizen feedback", "description": "the single-use feedback link"},
            {"name": "service", "description": "health"},
        ],
    )
    install(app)
    app.add_middleware(StrictBody)  # inside the limit: it reads bodies BodyLimit let through
    app.add_middleware(BodyLimit)
    app.include_router(open311.router)
    app.include_router(open311.discovery_router)
    app.include_router(matters.router)
    app.include_router(feedback.router)

    @app.get("/health", response_model=Health, tags=["service"], summary="Health check")
    def health() -> Health:
        """Answers while the API is up."""
        return Health(status="ok")

    return app
