"""Serving the API and the pages with uvicorn: `whistle api` runs this in the foreground;
`whistle up` runs `whistle api` as a child process beside the Prefect server."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn

from service.app import get_app
from service.store.db import create_schema
from web.app import create_site

HOST = "127.0.0.1"
PORT = 8000


def serve(*, host: str = HOST, port: int = PORT, announce: Callable[[str], None]) -> int:
    """Check the configuration and the store, then serve until SIGINT or SIGTERM.

    Access logs are off: a feedback link's path is the citizen's credential.
    """
    app = get_app()  # raises ConfigError on a broken configuration, before listening
    create_schema(app.engine)
    announce(f"http://{host}:{port}")
    uvicorn.run(create_site(), host=host, port=port, access_log=False, log_level="warning")
    return 0
