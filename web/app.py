"""The site `whistle api` serves: the HTTP API's application with the workbench pages mounted
into it (their routers, and their static files: style and one small script, served locally, as
an intranet has no CDN). The pages sit above the API: they reuse its access rules and its one
way of making a write; the API knows nothing of them."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.app import create_app
from web import auth, board, center, matters, queue

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages to the application (`whistle api` and `whistle up` serve both)."""
    app.mount("/assets", StaticFiles(directory=STATIC), name="workbench-assets")
    for module in (auth, queue, center, board, matters):
        app.include_router(module.router)


def create_site() -> FastAPI:
    """The API and the pages in one application: /matters/<number> and /queue (the links in
    notices and digests), /link/<token> (a department's signed link), /login, /center, /board."""
    app = create_app()
    install(app)
    return app
