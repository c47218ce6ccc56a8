"""The workbench under test: the API's uvicorn server on loopback (tests/api/conftest.py) with
its pages, read by httpx clients that keep their own cookies, like browsers.

A `Visitor` fills in a form's hidden fields (CSRF token, form key) from the page that shows it,
as a browser posting that form would; times move with `X-Whistle-As-Of`, never by sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select

from models.tables import Event, Matter
from service import accounts
from service.app import get_app
from service.store.db import session
from tests.api.conftest import SQLITE_ONLY, Api, api  # noqa: F401  (the fixture, for tests/web)
from tests.fixtures import T0

PASSWORD = "correct-horse-9"
PART_LINK = re.compile(r"https://whistle\.example/link/([A-Za-z0-9._-]+)")

__all__ = ["PASSWORD", "SQLITE_ONLY", "Visitor", "events", "part_link"]


class _Forms(HTMLParser):
    """Every form of a page: its action and the values its inputs would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
            self._open = True
        elif tag == "input" and self._open and found.get("type") == "hidden":
            self.forms[-1][1][found.get("name", "")] = found.get("value", "")
        elif tag == "button" and self._open and found.get("formaction"):
            self.forms.append((found["formaction"], self.forms[-1][1]))  # posts the same form

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the (first) form on the page that posts to `action`."""
    parser = _Forms()
    parser.feed(page)
    for found, values in parser.forms:
        if found == action:
            return dict(values)
    raise AssertionError(f"no form posting to {action} on the page")


@dataclass
class Visitor:
    """A browser of the workbench: its own cookie jar, the world's clock."""

    api: Api
    at: str = T0
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.api.base, timeout=60, follow_redirects=False)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-Whistle-As-Of": self.at} | kwargs.pop("headers", {})
        return self.client.get(path, headers=headers, **kwargs)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None, **kw: Any
    ) -> httpx.Response:
        """Post a form; with `page`, its hidden fields (CSRF token, form key) come from there."""
        sent = (hidden_fields(page, path) if page is not None else {}) | (data or {})
        headers = {"X-Whistle-As-Of": self.at} | kw.pop("headers", {})
        return self.client.post(path, data=sent, headers=headers, **kw)

    def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        page = self.get("/login").text
        return self.post("/login", {"name": name, "password": password}, page=page)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def visitor(api: Api) -> Iterator[Any]:  # noqa: F811
    """Make visitors (each a browser with its own cookies) for the test."""
    made: list[Visitor] = []

    def make(at: str = T0) -> Visitor:
        made.append(Visitor(api, at))
        return made[-1]

    yield make
    for one in made:
        one.close()


def staff(name: str, department: str, role: str = "clerk") -> None:
    """An account with the test password, opened through the service layer."""
    app = get_app()
    with session(app.engine) as s:
        accounts.create_user(
            session=s,
            app=app,
            department=department,
            name=name,
            role=role,
            password=PASSWORD,
            now=datetime.now(UTC),
        )


def events(number: str, action: str | None = None) -> int:
    """How many timeline events the matter has (of one action)."""
    app = get_app()
    with session(app.engine) as s:
        matter = s.exec(select(Matter).where(Matter.number == number)).one()
        query = select(func.count()).where(col(Event.matter_id) == matter.id)
        if action:
            query = query.where(Event.action == action)
        return int(s.exec(query).one())


def part_link(api: Api, department: str, number: str) -> str:  # noqa: F811
    """The path of the newest 办理入口 link a department's notice carried for the matter."""
    texts = [
        r.json["message"]
        for r in api.world.http.requests
        if r.path == f"/dept/{department}" and number in r.json["message"]
    ]
    assert texts, f"no notice reached {department} for {number}"
    found = PART_LINK.findall(texts[-1])
    assert found, texts[-1]
    return f"/link/{found[-1]}"
