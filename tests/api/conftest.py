"""The HTTP API under test: a real uvicorn server on a loopback port, in a thread of the test
process (so it shares the Prefect test server and the `world`'s environment), and httpx.

Times move with the `X-Whistle-As-Of` header (accepted because the world allows clock
overrides), never by sleeping.
"""

from __future__ import annotations

import contextvars
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlmodel import col, func, select

from models.tables import Event, Matter, Notice
from service import app as app_module
from service.app import get_app
from service.store.db import session
from tests.fixtures import World
from web.app import create_site

# A module runs on SQLite only with `pytestmark = SQLITE_ONLY` (PostgreSQL where it matters).
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

FEEDBACK_LINK = re.compile(r"https://whistle\.example/feedback/([A-Za-z0-9._-]+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Api:
    """An httpx client for the server, with the world's CLI for tokens and checks."""

    base: str
    client: httpx.Client
    world: World

    def token(self, department: str | None = None, channel: str | None = None) -> str:
        """Issue a token through `whistle token create`, as an administrator would."""
        args = ["--department", department] if department else ["--channel", channel or ""]
        secret: str = self.world.ok("token", "create", *args)["token"]
        return secret

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        at: str | None = None,
        lang: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = {"X-Whistle-As-Of": at or self.world.at} | (headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if lang:
            sent["Accept-Language"] = lang
        return self.client.request(method, path, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, **kwargs)

    def submit(
        self,
        api_key: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """POST an Open311 request, form-encoded, with sensible defaults; a field given as None
        is left out, `extra` holds fields whose names are not identifiers (attribute[...])."""
        form: dict[str, Any] = (
            {
                "api_key": api_key,
                "service_code": "wage_arrears",
                "description": "某工地拖欠三名工人两个月工资，约三万元。",
                "last_name": "张",
                "first_name": "三丰",
                "phone": "13812345678",
                "address_string": "东园街道和平社区3号楼",
                "attribute[people]": "3",
            }
            | fields
            | (extra or {})
        )
        form = {k: v for k, v in form.items() if v is not None}
        return self.post("/open311/v2/requests.json", data=form, headers=headers)

    def counts(self, number: str) -> tuple[int, int]:
        """How many timeline events and notices a matter has (to prove nothing changed)."""
        app = get_app()
        with session(app.engine) as s:
            matter = s.exec(select(Matter).where(Matter.number == number)).one()
            events = s.exec(select(func.count()).where(col(Event.matter_id) == matter.id)).one()
            notices = s.exec(select(func.count()).where(col(Notice.matter_id) == matter.id)).one()
        return events, notices

    def feedback_token(self, number: str) -> str:
        """The token in the newest feedback link the citizen received for this matter."""
        texts = [
            r.json["message"]
            for r in self.world.http.requests
            if r.path.startswith("/sms") and number in r.json["message"]
        ]
        assert texts, f"no feedback request reached the citizen for {number}"
        found = FEEDBACK_LINK.findall(texts[-1])
        assert found, texts[-1]
        token: str = found[-1]
        return token


@pytest.fixture
def api(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The API served by uvicorn on a free loopback port for the duration of a test."""
    # Its own data folder: the feedback links' key is generated there (the embedded default).
    monkeypatch.setenv("WHISTLE_HOME", str(tmp_path / "home"))
    app_module.reset()
    port = free_port()
    config = uvicorn.Config(
        create_site(), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    # The thread runs in a copy of this context, so the Prefect test server's settings reach
    # the stage flows the API runs.
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(server.run,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the API server stopped while starting"
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=60) as client:
        yield Api(base, client, world)
    server.should_exit = True
    thread.join(15)
