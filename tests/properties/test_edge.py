"""The edge models alone (no store): phones, ID numbers, free text and 'as of' times are accepted
exactly when their definitions say so, stored in one normal form, and otherwise refused with a
message naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.app import resolve_now
from service.errors import Refused
from service.inputs import MAX_DESCRIPTION, IntakeRequest, note, validated
from service.settings import Settings
from tests.properties.conftest import examples
from tests.properties.strategies import (
    any_time,
    fair_text,
    hostile_text,
    id_numbers,
    id_ok,
    is_control,
    phone_ok,
    phones,
)

BASE: dict[str, Any] = {
    "category": "neighbour",
    "title": "邻居装修噪音扰民",
    "description": "楼上邻居连续两周夜间施工。",
    "area": "T01V01",
    "name": "王建国",
    "phone": "13912345678",
}
LIMITS = {"title": 200, "description": MAX_DESCRIPTION, "name": 100}


def clean_refusal(message: str, field: str) -> None:
    """A refusal a clerk can act on: names the field, no internals, no echo of a huge value."""
    assert message.startswith(f"{field}: "), message
    for internal in ("Traceback", "pydantic", "ValidationError", "errors.pydantic.dev", "type="):
        assert internal not in message, message


@examples(150)
@given(phone=phones)
def test_a_phone_is_accepted_exactly_when_it_is_a_mainland_number(phone: str) -> None:
    expected = phone_ok(phone)
    try:
        stored = validated(IntakeRequest, **(BASE | {"phone": phone})).phone
    except Refused as exc:
        assert expected is None, f"{phone!r} refused: {exc}"
        clean_refusal(str(exc), "phone")
        return
    assert stored == expected, f"{phone!r} stored as {stored!r}"


@examples(150)
@given(id_number=id_numbers)
def test_an_id_number_is_accepted_exactly_when_its_checksum_and_birth_date_hold(
    id_number: str,
) -> None:
    expected = id_ok(id_number)
    blank = id_number.strip() == ""
    try:
        stored = validated(IntakeRequest, **(BASE | {"id_number": id_number})).id_number
    except Refused as exc:
        assert expected is None and not blank, f"{id_number!r} refused: {exc}"
        clean_refusal(str(exc), "id_number")
        return
    assert stored == (None if blank else expected), f"{id_number!r} stored as {stored!r}"


@examples(150)
@given(field=st.sampled_from(sorted(LIMITS)), value=st.one_of(hostile_text, fair_text))
def test_free_text_is_refused_or_kept_as_typed(field: str, value: str) -> None:
    try:
        stored = getattr(validated(IntakeRequest, **(BASE | {field: value})), field)
    except Refused as exc:
        clean_refusal(str(exc), field)
        assert len(str(exc)) < 300  # a megabyte of input is not echoed back
        return
    assert stored == value.strip()
    assert stored and len(stored) <= LIMITS[field]
    assert not any(is_control(ch) for ch in stored)


@examples(100)
@given(value=st.one_of(hostile_text, fair_text), field=st.sampled_from(["note", "reason"]))
def test_a_note_is_refused_naming_its_field_or_kept_as_typed(value: str, field: str) -> None:
    try:
        stored = note(value, field)
    except Refused as exc:
        clean_refusal(str(exc), field)
        return
    assert stored == value.strip() and 0 < len(stored) <= MAX_DESCRIPTION
    assert not any(is_control(ch) for ch in stored)


@examples(100)
@given(moment=any_time, spelled=st.sampled_from(["iso", "space", "garbage"]))
def test_an_as_of_time_far_off_is_refused_not_overflowed(moment: datetime, spelled: str) -> None:
    text = {
        "iso": moment.isoformat(),
        "space": moment.isoformat(sep=" ", timespec="minutes"),
        "garbage": moment.isoformat() + "Zulu",
    }[spelled]
    settings = Settings(allow_clock_override=True)
    try:
        resolved = resolve_now(text, settings)
    except Refused as exc:
        assert str(exc).startswith("--at ")
        assert spelled == "garbage" or not 2000 <= moment.year <= 2099
        return
    assert 2000 <= moment.year <= 2099 and spelled != "garbage"
    typed = moment.replace(second=0, microsecond=0) if spelled == "space" else moment
    assert resolved == typed and resolved.tzinfo == UTC


@pytest.mark.parametrize("text", ["2026-11-26T09:00", "yesterday", "", "2026-13-01T00:00+08:00"])
def test_a_time_without_zone_or_not_a_time_is_refused(text: str) -> None:
    with pytest.raises(Refused, match=r"^--at "):
        resolve_now(text, Settings(allow_clock_override=True))
