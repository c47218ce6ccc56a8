"""Mounting the workbench into the API's FastAPI application: the pages' routers and their
static files (style and one small script, served locally: an intranet has no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from web import auth, board, center, matters, queue

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages to the application (`whistle api` and `whistle up` serve both)."""
    app.mount("/assets", StaticFiles(directory=STATIC), name="workbench-assets")
    for module in (auth, queue, center, board, matters):
        app.include_router(module.router)
