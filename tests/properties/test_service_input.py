"""Hostile input through the service layer (what the CLI and the HTTP API both call), on SQLite
and PostgreSQL: every intake and every action is either refused with a clerk-readable message
and nothing written, or stored exactly as given and rendered safely into the notices; the
store's invariants hold after every example."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from notifications.masking import redact
from service import actions
from service.app import App
from service.errors import Refused
from service.store.db import session
from tests.properties import invariants
from tests.properties.conftest import examples
from tests.properties.helpers import (
    REFUSALS,
    act,
    assert_safe_html,
    clean,
    counts,
    last_event,
    notices_of,
    register,
    snapshot,
)
from tests.properties.invariants import table
from tests.properties.strategies import (
    fair_text,
    fair_time,
    hostile_text,
    id_numbers,
    is_control,
    landline,
    mobile,
    mostly,
    phones,
    storable_text,
    typed_text,
    valid_id_numbers,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::models.calendar.CalendarDataWarning"),
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

CATEGORIES = ["wage_arrears", "neighbour", "labour", "petition", "family", "other"]
AREAS = ["T01V01", "T05", "T08V08", "和平社区", "Heping Community", "青禾镇"]
FLAGS = ["violence", "minors", "elderly"]
DEPARTMENTS = ["hrss", "justice", "public_security", "health", "T01V01.mediation", "center"]


def codes(known: list[str]) -> st.SearchStrategy[str]:
    """Mostly real codes, sometimes unknown ones or garbage, sometimes case or space changed."""
    return st.one_of(
        st.sampled_from(known),
        st.sampled_from(known).map(lambda c: f" {c.upper()} "),
        st.sampled_from(["ufo", "T99V99", "", "*", "hrss/head", "T01V01.", "../../etc"]),
        hostile_text,
    )


def text_field() -> st.SearchStrategy[str]:
    return typed_text


# A valid intake with up to two fields replaced by hostile values: each example then shows one
# or two things going wrong at a time, and about half of them are stored.
VALID = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES),
        "title": st.one_of(fair_text, storable_text),
        "description": st.one_of(fair_text, storable_text),
        "area": st.sampled_from(AREAS),
        "name": st.one_of(fair_text, storable_text),
        "phone": st.one_of(mobile, landline),
    },
    optional={
        "id_number": valid_id_numbers,
        "people": st.integers(1, 100),
        "flags": st.lists(st.sampled_from(FLAGS), max_size=2),
        "channel": st.sampled_from(["walk_in", "hotline", "grid"]),
    },
)
HOSTILE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "category": codes(CATEGORIES),
    "title": hostile_text,
    "description": hostile_text,
    "area": codes(AREAS),
    "name": hostile_text,
    "phone": phones,
    "id_number": id_numbers,
    "people": st.integers(-5, 2_000_000),
    "amount": st.integers(-1, 20_000_000_000),
    "visits": st.integers(-1, 20_000),
    "flags": st.lists(codes(FLAGS), max_size=3),
    "channel": codes(["walk_in", "hotline", "grid"]),
}


@st.composite
def intake_fields(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = draw(VALID)
    for name in draw(st.sets(st.sampled_from(sorted(HOSTILE_FIELDS)), max_size=2)):
        fields[name] = draw(HOSTILE_FIELDS[name])
    return fields


FIELDS = {
    "category",
    "title",
    "description",
    "area",
    "name",
    "phone",
    "id_number",
    "people",
    "amount",
    "visits",
    "flags",
    "flag",
    "channel",
}


def refusal_names_a_field(exc: Exception) -> None:
    """An intake refusal names its field (or each field, when several are wrong) as a value,
    and words it in Chinese too."""
    assert isinstance(exc, Refused)
    named = [i.field for i in exc.fields] or [exc.field or ""]
    for field in named:
        assert field.split(".", 1)[0] in FIELDS, f"refusal does not name a field: {exc!s:.200}"
    assert re.search(r"[\u4e00-\u9fff]", exc.message("zh")), exc.message("zh")


@examples(30)
@given(fields=intake_fields(), now=fair_time)
def test_intake_is_refused_cleanly_or_stored_exactly(
    district: App, fields: dict[str, Any], now: datetime
) -> None:
    before = counts(district.engine)
    try:
        number = register(district, now, **fields)
    except REFUSALS as exc:
        event("intake refused")
        clean(exc)
        refusal_names_a_field(exc)
        assert counts(district.engine) == before, "a refused intake wrote something"
        return
    event("intake stored")
    with session(district.engine) as s:
        matter = actions.get_matter(s, number)
        citizen = actions.citizen_of(s, matter)
    for field in ("title", "description"):
        assert getattr(matter, field) == fields[field].strip()
        assert not any(is_control(ch) for ch in getattr(matter, field))
    assert citizen.name == fields["name"].strip()
    assert matter.created_at == now and matter.status == "received"
    assert matter.category in CATEGORIES and matter.town.startswith("T0")
    invariants.check(district.engine, [number])


def _safe_notices(app: App, number: str, typed: dict[str, str]) -> None:
    """Every notice of the matter shows the typed text literally (after the citizen's own data
    is masked for departments): template syntax is not evaluated, markup is escaped in HTML."""
    with session(app.engine) as s:
        matter = actions.get_matter(s, number)
        citizen = actions.citizen_of(s, matter)
    for notice in notices_of(app.engine, number):
        for label, value in typed.items():
            shown = (
                value
                if notice.recipient == "citizen"
                else redact(value, name=citizen.name, phone=citizen.phone, id_number=None)
            )
            if label in notice.body:  # the templates that show this field
                assert shown in notice.body, f"{label} not shown as typed in {notice.kind}"
        assert notice.html is not None
        assert_safe_html(notice.html, notice.body)


@examples(25)
@given(
    title=text_field(),
    description=text_field(),
    name=text_field(),
    reason=text_field(),
    note=text_field(),
)
def test_typed_text_reaches_every_notice_literally_and_escaped(
    district: App, title: str, description: str, name: str, reason: str, note: str
) -> None:
    now = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
    try:
        number = register(district, now, title=title, description=description, name=name)
    except Refused as exc:
        clean(exc)
        return
    act(district, actions.refer_by_rules, number=number, now=now)
    later = now + timedelta(hours=1)
    step = act
    try:  # the lead sends it back with the typed reason: a notice to the center
        step(
            district,
            actions.return_matter,
            number=number,
            department="hrss",
            reason=reason,
            now=later,
        )
        returned = True
    except Refused as exc:
        clean(exc)
        returned = False
    if returned:
        step(district, actions.refer, number=number, lead="hrss", co=[], actor="center", now=later)
    step(district, actions.acknowledge, number=number, department="hrss", now=later)
    try:  # the lead resolves with the typed note: notices to the center and the citizen
        step(
            district,
            actions.resolve,
            number=number,
            department="hrss",
            outcome="handled",
            note=note,
            now=later,
        )
    except Refused as exc:
        clean(exc)
    typed = {"事项标题": title.strip(), "退回理由": reason.strip(), "办理情况": note.strip()}
    _safe_notices(district, number, {k: v for k, v in typed.items() if v})
    invariants.check(district.engine, [number])


# --- every action ------------------------------------------------------------------------------

STAGES = ["referred", "in_progress", "co_done", "resolved", "returned", "closed", "waiting"]


def _matter_at(app: App, stage: str, now: datetime) -> str:
    """A wage-arrears matter (hrss leads; public_security, justice co-handle) at a stage."""
    number = register(app, now, people=3)
    act(app, actions.refer_by_rules, number=number, now=now)
    if stage == "returned":
        act(
            app, actions.return_matter, number=number, department="hrss", reason="非本部门", now=now
        )
        return number
    if stage == "referred":
        return number
    for department in ("hrss", "public_security", "justice"):
        act(app, actions.acknowledge, number=number, department=department, now=now)
    if stage == "in_progress":
        return number
    for department in ("public_security", "justice"):
        act(app, actions.report, number=number, department=department, note="已报送", now=now)
    if stage == "co_done":
        return number
    act(
        app,
        actions.resolve,
        number=number,
        department="hrss",
        outcome="mediated",
        note="已调解",
        now=now,
    )
    if stage == "closed":
        act(app, actions.feedback, number=number, satisfied=True, comment=None, now=now)
    return number


PARTS = ["hrss", "public_security", "justice"]  # the lead and the two co-handlers


def department(*usual: str) -> st.SearchStrategy[str]:
    """Usually a department that can take this action, sometimes another one or garbage."""
    return mostly(st.sampled_from(list(usual)), codes(DEPARTMENTS))


lengths = mostly(
    st.sampled_from(["5wd", "30d", "2h", "1m", "250wd", "366d", "5 wd", "٣d", "3wd\n"]),
    st.one_of(
        st.sampled_from(["251wd", "367d", "525601m", "0d", "-3d", "99999999999d", "99999999wd"]),
        st.sampled_from(["5WD", "五天", ""]),
        hostile_text,
    ),
)
outcomes = mostly(
    st.sampled_from(["mediated", "handled", "explained", "litigation", "unresolvable"]),
    hostile_text,
)
# Each action with the stages where it can be taken and the arguments it is given.
ACTIONS: dict[str, tuple[list[str], dict[str, st.SearchStrategy[Any]]]] = {
    "refer": (
        ["referred", "in_progress", "returned"],
        {
            "lead": department("hrss", "health", "justice"),
            "co": st.lists(department("justice", "public_security", "civil_affairs"), max_size=3),
            "actor": st.one_of(st.just("center"), department("center", "hrss")),
        },
    ),
    "acknowledge": (["referred"], {"department": department(*PARTS)}),
    "progress": (
        ["referred", "in_progress"],
        {"department": department(*PARTS), "note": typed_text},
    ),
    "return_matter": (
        ["referred", "in_progress"],
        {"department": department(*PARTS), "reason": typed_text},
    ),
    "report": (["in_progress"], {"department": department(*PARTS[1:]), "note": typed_text}),
    "resolve": (
        ["co_done"],
        {"department": department("hrss"), "outcome": outcomes, "note": typed_text},
    ),
    "request_extension": (
        ["referred", "in_progress"],
        {"department": department(*PARTS), "length": lengths, "reason": typed_text},
    ),
    "decide_extension": (
        ["waiting"],
        {"department": department("hrss"), "approve": st.booleans(), "note_text": typed_text},
    ),
    "feedback": (
        ["resolved"],
        {"satisfied": st.booleans(), "comment": st.one_of(st.none(), typed_text)},
    ),
}
TYPED = {"note", "reason", "note_text", "comment"}


@st.composite
def action_calls(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """An action, the stage its matter is at (mostly one where it is allowed), its arguments."""
    name = draw(st.sampled_from(sorted(ACTIONS)))
    usual, arguments = ACTIONS[name]
    stage = draw(mostly(st.sampled_from(usual), st.sampled_from(STAGES)))
    return name, stage, {key: draw(strategy) for key, strategy in arguments.items()}


# When an action comes, relative to the matter's registration: mostly later, sometimes a little
# before (another machine's clock) or long before (a mistyped --at).
offsets = mostly(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
    st.one_of(
        st.timedeltas(min_value=timedelta(minutes=-10), max_value=timedelta(0)),
        st.timedeltas(min_value=timedelta(days=-3000), max_value=timedelta(days=-1)),
    ),
)


@examples(60)
@given(
    action=action_calls(),
    offset=offsets,
    number_form=mostly(st.just("as is"), st.sampled_from(["lower", "spaced", "other", "hostile"])),
    hostile=hostile_text,
)
def test_every_action_is_refused_cleanly_or_recorded_as_typed(
    district: App,
    action: tuple[str, str, dict[str, Any]],
    offset: timedelta,
    number_form: str,
    hostile: str,
) -> None:
    name, stage, arguments = action
    start = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
    number = _matter_at(district, "in_progress" if stage == "waiting" else stage, start)
    if stage == "waiting":  # an extension request the center has to decide
        act(
            district,
            actions.request_extension,
            number=number,
            department="hrss",
            length="3wd",
            reason="需要更多时间",
            now=start,
        )
    target = {
        "as is": number,
        "lower": number.lower(),
        "spaced": f"  {number}\t",
        "other": number[:-4] + "9999",
        "hostile": hostile,
    }[number_form]
    now = start + offset
    before = snapshot(district.engine, number)
    try:
        act(district, getattr(actions, name), number=target, now=now, **arguments)
    except REFUSALS as exc:
        event(f"{name} refused")
        clean(exc)
        assert snapshot(district.engine, number) == before, f"refused {name} wrote something"
        invariants.check(district.engine, [number])
        return
    event(f"{name} recorded")
    assert number_form in ("as is", "lower", "spaced")
    written = last_event(district.engine, number)
    assert written.at >= before["matter"][list(table("matter").c.keys()).index("created_at")]
    for key in TYPED & set(arguments):
        typed = arguments[key]
        if isinstance(typed, str) and typed.strip():
            stored = written.note if written.note is not None else ""
            assert stored == typed.strip(), f"{name} stored {key} {stored!r}, not {typed!r}"
    invariants.check(district.engine, [number])
