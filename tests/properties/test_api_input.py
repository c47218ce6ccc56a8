"""Hostile input through the HTTP API (a real uvicorn server, tests/api/conftest.py): Open311
intake forms, department actions with JSON bodies of any shape, matter numbers and 'as of'
times. Each is answered in the protocol's error shape with a 4xx status, or done and stored as
sent; never a 5xx, and the store's invariants hold after every example."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import strategies as st

from service.app import get_app
from tests.api.conftest import SQLITE_ONLY, Api, api  # noqa: F401
from tests.properties import invariants
from tests.properties.conftest import examples
from tests.properties.strategies import (
    any_time,
    hostile_text,
    mostly,
    phones,
    storable_text,
    typed_text,
)

pytestmark = [
    SQLITE_ONLY,
    pytest.mark.filterwarnings("ignore::models.calendar.CalendarDataWarning"),
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]
API = examples(12, suppress_health_check=[HealthCheck.function_scoped_fixture])


def form_text(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A form field travels as UTF-8: a lone surrogate cannot be sent, NUL can."""
    return strategy.map(lambda s: s.encode("utf-8", "replace").decode("utf-8")[:30_000])


# JSON values of every type, for fields that expect text, booleans or codes.
json_values = st.one_of(
    form_text(typed_text),
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(storable_text, max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def no_server_error(response: Any) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"


@API
@given(
    fields=st.fixed_dictionaries(
        {
            "description": form_text(typed_text),
            "last_name": form_text(mostly(st.just("张"), hostile_text)),
            "first_name": form_text(mostly(st.just("三丰"), hostile_text)),
            "phone": form_text(mostly(st.just("13812345678"), phones)),
            "service_code": form_text(mostly(st.just("wage_arrears"), hostile_text)),
        }
    ),
    people=form_text(mostly(st.sampled_from(["1", "3"]), st.sampled_from(["0", "-1", "x", ""]))),
)
def test_open311_intake_is_refused_in_its_shape_or_stored_as_sent(
    api: Api,  # noqa: F811
    fields: dict[str, Any],
    people: str,
) -> None:
    if not hasattr(api, "hotline"):
        api.hotline = api.token(channel="hotline")  # type: ignore[attr-defined]
    hotline: str = api.hotline  # type: ignore[attr-defined]
    response = api.submit(hotline, extra={"attribute[people]": people}, **fields)
    no_server_error(response)
    if response.status_code >= 400:
        event("intake refused")
        problems = response.json()
        assert isinstance(problems, list) and problems
        assert all(set(p) == {"code", "description"} and p["description"] for p in problems)
        return
    event("intake stored")
    number = response.json()[0]["service_request_id"]
    shown = api.world.ok("show", number)
    # Open311 adds the address to the description it was sent
    assert shown["description"].startswith(fields["description"].strip())
    assert shown["description"].endswith("\n地址: 东园街道和平社区3号楼")
    invariants.check(get_app().engine, [number])


text_or_any = mostly(form_text(typed_text), json_values)
ACTIONS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "progress": {"note": text_or_any},
    "return": {"reason": text_or_any},
    "resolve": {"outcome": mostly(st.just("handled"), json_values), "note": text_or_any},
    "extension": {"length": mostly(st.just("5wd"), json_values), "reason": text_or_any},
}


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, Any]:
    action = draw(st.sampled_from(sorted(ACTIONS)))
    body: Any = {key: draw(value) for key, value in ACTIONS[action].items()}
    shape = draw(mostly(st.just("as is"), st.sampled_from(["extra", "missing", "list", "null"])))
    if shape == "extra":
        body["by"] = draw(json_values)
    elif shape == "missing":
        body.pop(next(iter(body)))
    elif shape == "list":
        body = list(body.values())
    elif shape == "null":
        body = None
    return action, body


@API
@given(
    request=bodies(),
    number=mostly(st.just("{n}"), form_text(hostile_text).map(lambda s: quote(s[:200], safe=""))),
    at=mostly(st.just(None), st.one_of(any_time.map(lambda t: t.isoformat()), storable_text)),
)
def test_department_actions_are_refused_in_one_shape_or_recorded_as_sent(
    api: Api,  # noqa: F811
    request: tuple[str, Any],
    number: str,
    at: str | None,
) -> None:
    if not hasattr(api, "lead"):
        api.lead = api.token(department="hrss")  # type: ignore[attr-defined]
    if getattr(api, "matter", None) is None or (
        api.world.ok("show", api.matter)["status"] != "in_progress"  # type: ignore[attr-defined]
    ):  # a matter in hand for the lead (the last one was resolved or returned)
        api.matter = api.world.intake(people=1)["number"]  # type: ignore[attr-defined]
        api.world.ok("ack", api.matter, "--department", "hrss")  # type: ignore[attr-defined]
    action, body = request
    target = number.replace("{n}", api.matter)  # type: ignore[attr-defined]
    headers = {"X-Whistle-As-Of": at} if at is not None else {}
    if at is not None and not (at.isascii() and at.isprintable()):
        headers = {}  # not something an HTTP client can send as a header
    response = api.post(
        f"/api/matters/{target}/{action}",
        token=api.lead,  # type: ignore[attr-defined]
        json=body,
        headers=headers,
    )
    no_server_error(response)
    if response.status_code >= 400:
        event(f"{action} refused")
        problem = response.json()
        assert {"code", "message", "fields"} <= set(problem) and problem["message"]
        assert set(problem) <= {"code", "message", "fields", "refusal", "params"}
        return
    event(f"{action} recorded")
    recorded = {"progress": "progress", "return": "returned", "resolve": "resolved"}
    shown = api.world.ok("show", api.matter)["events"]  # type: ignore[attr-defined]
    written = [e for e in shown if e["action"] == recorded.get(action, "extension_requested")]
    typed = body.get("note") if action in ("progress", "resolve") else body.get("reason")
    assert written and written[-1]["note"] == typed.strip()
    invariants.check(get_app().engine, [api.matter])  # type: ignore[attr-defined]
