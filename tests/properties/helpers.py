"""What the property tests share: driving the service layer, snapshots, and the refusal check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.status import TransitionRefused
from service import actions
from service.app import App
from service.errors import Refused
from service.inputs import IntakeRequest, validated
from service.store.db import session
from tests.properties.invariants import table

INTERNALS = (
    "Traceback",
    "pydantic",
    "ValidationError",
    "errors.pydantic.dev",
    "sqlalchemy",
    "psycopg",
    "sqlite3",
    "(Background on this error",
)


def clean(exc: Exception) -> str:
    """The refusal's message, checked to be one a clerk can read: it says what is wrong, in a
    sentence, without library internals; a long typed value is not echoed whole."""
    message = str(exc)
    assert message.strip(), f"empty refusal {exc!r}"
    for internal in INTERNALS:
        assert internal not in message, message
    assert len(message) < 600, f"refusal echoes too much: {message[:200]}…"
    return message


def act(app: App, action: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one service action in its own session, as every interface does."""
    with session(app.engine) as s:
        return action(session=s, app=app, **kwargs)


def register(app: App, now: datetime, **fields: Any) -> str:
    values: dict[str, Any] = {
        "category": "wage_arrears",
        "title": "工地拖欠工资",
        "description": "某工地拖欠三名工人两个月工资。",
        "area": "T01V01",
        "name": "张三丰",
        "phone": "13812345678",
    } | fields
    intake = validated(IntakeRequest, **values)
    matter = act(app, actions.register, intake=intake, now=now)
    number: str = matter.number
    return number


REFUSALS = (Refused, TransitionRefused)


def counts(engine: Engine) -> dict[str, int]:
    """Rows per table: a refused action leaves every one as it was."""
    names = ("matter", "citizen", "event", "notice", "assignment", "extension", "ladder_step")
    with engine.connect() as conn:
        return {
            name: conn.execute(sa.select(sa.func.count()).select_from(table(name))).scalar_one()
            for name in names
        }


def snapshot(engine: Engine, number: str) -> dict[str, Any]:
    """Everything stored about one matter, to compare before and after a refused action."""
    m, a, e, n, x, s = (
        table(name)
        for name in ("matter", "assignment", "event", "notice", "extension", "ladder_step")
    )
    with engine.connect() as conn:
        matter = conn.execute(sa.select(m).where(m.c.number == number)).one()
        parts = conn.execute(sa.select(a).where(a.c.matter_id == matter.id).order_by(a.c.id)).all()
        ids = [p.id for p in parts] or [-1]
        return {
            "matter": tuple(matter),
            "parts": [tuple(p) for p in parts],
            "events": conn.execute(sa.select(e.c.id).where(e.c.matter_id == matter.id)).all(),
            "notices": conn.execute(
                sa.select(n.c.id, n.c.status).where(n.c.matter_id == matter.id)
            ).all(),
            "extensions": conn.execute(
                sa.select(x).where(x.c.assignment_id.in_(ids)).order_by(x.c.id)
            ).all(),
            "steps": conn.execute(sa.select(s.c.id).where(s.c.assignment_id.in_(ids))).all(),
        }


def last_event(engine: Engine, number: str) -> Any:
    e, m = table("event"), table("matter")
    with engine.connect() as conn:
        return conn.execute(
            sa.select(e)
            .join(m, m.c.id == e.c.matter_id)
            .where(m.c.number == number)
            .order_by(e.c.id.desc())
            .limit(1)
        ).one()


def notices_of(engine: Engine, number: str) -> list[Any]:
    n, m = table("notice"), table("matter")
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(n).join(m, m.c.id == n.c.matter_id).where(m.c.number == number)
            ).all()
        )


class _Page(HTMLParser):
    """Collects the tags, attributes and text of an HTML notice."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "h2", "p", "a"}
ALLOWED_ATTRIBUTES = {"style", "charset", "lang", "href"}


def assert_safe_html(html: str, body: str) -> None:
    """The email form shows every line of the plain text as text: whatever markup the citizen
    or a department typed is escaped, so the only tags are the layout's own and the only
    links are web addresses."""
    page = _Page()
    page.feed(html)
    page.close()
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, f"tag <{tag}> from the text reached the email"
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, f"attribute {name}= reached the email"
            if name == "href":
                assert value is not None and value.startswith(("http://", "https://")), value
    text = "".join(page.text)
    for line in body.splitlines():
        if line.strip():
            assert line in text, f"line {line!r} of the notice is not shown as text"
