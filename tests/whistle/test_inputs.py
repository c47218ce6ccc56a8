"""Input checks at the edge: ID numbers, phone numbers, free text and the refusals they give."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.errors import Code, Refused
from service.inputs import (
    MAX_DESCRIPTION,
    IntakeRequest,
    Outcome,
    id_number_valid,
    note,
    outcome_label,
    validated,
)

# --- resident ID numbers (GB 11643, check character by ISO 7064 MOD 11-2) ---------------------


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 from its definition: with weights 2^(i-1) mod 11 counted from the
    right (the check character has weight 1), the weighted sum of all 18 must be 1 mod 11;
    a check value of 10 is written X."""
    assert len(first17) == 17 and first17.isdigit()
    partial = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (1 - partial) % 11
    return "X" if value == 10 else str(value)


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


# Region code + birth date + sequence; the check character is computed above, not copied.
BASES = [
    "15020719850612003",  # 包头市九原区, 1985-06-12
    "11010519491231002",  # 北京市朝阳区, 1949-12-31 (check character X)
    "44030420001029401",  # 深圳市福田区, 2000-10-29
    "15020720120229121",  # a leap day
]


def test_definition_gives_an_x_for_one_of_the_examples() -> None:
    assert check_character("11010519491231002") == "X"
    assert {check_character(b) for b in BASES} - {"X"}  # and digits for the others


@pytest.mark.parametrize("base", BASES)
def test_valid_id_numbers(base: str) -> None:
    assert id_number_valid(with_check(base))


@pytest.mark.parametrize("base", BASES)
def test_every_wrong_check_character_is_refused(base: str) -> None:
    right = check_character(base)
    for wrong in "0123456789X":
        if wrong != right:
            assert not id_number_valid(base + wrong), base + wrong


@pytest.mark.parametrize("base", BASES)
def test_a_changed_digit_is_caught(base: str) -> None:
    number = with_check(base)
    for position in range(17):
        digit = str((int(number[position]) + 1) % 10)
        assert not id_number_valid(number[:position] + digit + number[position + 1 :])


@pytest.mark.parametrize(
    "value",
    [
        BASES[0],  # 17 digits
        "1502071985061200",  # 16 digits
        with_check(BASES[0]) + "0",  # 19 characters
        "150207198506120",  # the old 15-digit form
        "11010519491231002x",  # lower-case x (the intake form upper-cases first)
        "A10105194912310021",  # a letter
        "1101051949123100X2",  # X only as the last character
        "15020719850612003 ",
        "",
    ],
)
def test_malformed_id_numbers(value: str) -> None:
    assert not id_number_valid(value)


# --- the intake request -----------------------------------------------------------------------


def intake(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "category": "neighbour",
        "title": "邻居装修噪音扰民",
        "description": "楼上邻居连续两周夜间施工，协商无果。",
        "area": "T01V01",
        "name": "王建国",
        "phone": "13912345678",
    }
    values.update(changes)
    return values


def test_a_plain_intake_is_accepted_with_defaults() -> None:
    request = validated(IntakeRequest, **intake())
    assert request.phone == "13912345678"
    assert (request.people, request.visits, request.amount) == (1, 0, 0)
    assert request.id_number is None
    assert request.channel == "walk_in"


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("13912345678", "13912345678"),
        ("19912345678", "19912345678"),
        ("138 1234 5678", "13812345678"),  # spaces stripped
        (" 13812345678 ", "13812345678"),
        ("0472-1234567", "0472-1234567"),  # landline with dash
        ("04721234567", "04721234567"),  # without
        ("0472 1234567", "04721234567"),
        ("010-12345678", "010-12345678"),
    ],
)
def test_phone_forms_accepted(phone: str, stored: str) -> None:
    assert validated(IntakeRequest, **intake(phone=phone)).phone == stored


@pytest.mark.parametrize(
    "phone",
    [
        "139123456789",  # 12 digits
        "1391234567",  # 10 digits
        "12812345678",  # mobiles do not start 12
        "10012345678",
        "1391234567a",  # letters
        "phone",
        "+8613912345678",
        "472-1234567",  # landline without the leading 0
        "0472-123456",  # too short
        "",
    ],
)
def test_phone_forms_refused(phone: str) -> None:
    with pytest.raises(Refused, match=r"^phone: .*is not a mainland phone number") as caught:
        validated(IntakeRequest, **intake(phone=phone))
    [issue] = caught.value.fields
    assert (issue.field, issue.code) == ("phone", Code.phone)
    assert caught.value.message("zh").startswith("联系电话（phone）：")
    assert "不是有效的电话号码" in caught.value.message("zh")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (None, None),
        ("", None),
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),  # upper-cased before the check
        (with_check(BASES[0]), with_check(BASES[0])),
    ],
)
def test_id_number_on_intake(given: str | None, stored: str | None) -> None:
    assert validated(IntakeRequest, **intake(id_number=given)).id_number == stored


@pytest.mark.parametrize("bad", ["110105194912310021", BASES[0], "abc"])
def test_bad_id_number_on_intake_is_refused(bad: str) -> None:
    with pytest.raises(Refused, match=r"^id_number: not a valid 18-character resident ID") as e:
        validated(IntakeRequest, **intake(id_number=bad))
    assert [(i.field, i.code) for i in e.value.fields] == [("id_number", Code.id_number)]
    assert e.value.message("zh").startswith("身份证号（id_number）：不是有效的18位居民身份证号")


@pytest.mark.parametrize("field", ["title", "description", "name", "category", "area", "channel"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n  "])
def test_empty_text_refused_with_the_field_named(field: str, value: str) -> None:
    with pytest.raises(Refused) as caught:
        validated(IntakeRequest, **intake(**{field: value}))
    assert [(i.field, i.code) for i in caught.value.fields] == [(field, Code.empty)]
    assert str(caught.value) == f"{field}: must not be empty"
    assert caught.value.message("zh").endswith(f"（{field}）：不能为空")


@pytest.mark.parametrize("field", ["title", "description", "name"])
@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x0b"])
def test_control_characters_refused(field: str, control: str) -> None:
    with pytest.raises(Refused) as caught:
        validated(IntakeRequest, **intake(**{field: f"邻居{control}纠纷"}))
    assert [(i.field, i.code) for i in caught.value.fields] == [(field, Code.control)]
    assert str(caught.value) == f"{field}: contains control characters"
    assert caught.value.message("zh").endswith("：含有控制字符")


def test_line_breaks_and_tabs_are_not_control_characters() -> None:
    text = "第一段\n第二段\r\n\t缩进"
    assert validated(IntakeRequest, **intake(description=text)).description == text


def test_surrounding_whitespace_is_stripped() -> None:
    request = validated(IntakeRequest, **intake(title="  噪音扰民 ", name=" 王建国 "))
    assert (request.title, request.name) == ("噪音扰民", "王建国")


@pytest.mark.parametrize(
    ("field", "value", "message", "zh"),
    [
        ("people", 0, "people: must be at least 1", "涉及人数（people）：不能小于1"),
        ("people", -3, "people: must be at least 1", "涉及人数（people）：不能小于1"),
        ("visits", -1, "visits: must be at least 0", "来访次数（visits）：不能小于0"),
        ("amount", -1, "amount: must be at least 0", "涉及金额（amount）：不能小于0"),
        ("title", "标" * 201, "title: must have at most 200 characters", "最多200个字符"),
        (
            "description",
            "述" * (MAX_DESCRIPTION + 1),
            "description: must have at most 20000",
            "最多20000个字符",
        ),
        ("unknown", "x", "unknown: is not a known field", "unknown：不认识这个字段"),
    ],
)
def test_numbers_lengths_and_extras(field: str, value: object, message: str, zh: str) -> None:
    with pytest.raises(Refused) as caught:
        validated(IntakeRequest, **intake(**{field: value}))
    assert str(caught.value).startswith(message)
    assert zh in caught.value.message("zh")


@pytest.mark.parametrize("boundary", [{"people": 1}, {"title": "标" * 200}, {"visits": 0}])
def test_boundaries_accepted(boundary: dict[str, Any]) -> None:
    validated(IntakeRequest, **intake(**boundary))


def test_validated_names_every_bad_field() -> None:
    with pytest.raises(Refused) as caught:
        validated(
            IntakeRequest,
            **intake(title=" ", name="", phone="12812345678", people=0, id_number="123"),
        )
    fields = [i.field for i in caught.value.fields]
    assert fields == ["title", "name", "phone", "id_number", "people"]
    problems = str(caught.value).split("; ")
    assert "title: must not be empty" in problems
    assert "people: must be at least 1" in problems
    assert len(caught.value.message("zh").split("；")) == 5


def test_validated_names_a_missing_field() -> None:
    values = intake()
    del values["phone"]
    del values["area"]
    with pytest.raises(Refused) as caught:
        validated(IntakeRequest, **values)
    assert set(str(caught.value).split("; ")) == {"area: is required", "phone: is required"}
    assert {(i.field, i.code) for i in caught.value.fields} == {
        ("area", Code.required),
        ("phone", Code.required),
    }


def test_refused_is_not_a_pydantic_error() -> None:
    with pytest.raises(Refused) as caught:
        validated(IntakeRequest, **intake(people=0))
    assert not isinstance(caught.value, ValidationError)
    assert caught.value.__cause__ is None  # raised "from None": no pydantic dump attached


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "１１０１０５１９４９１２３１００２X"),
        ("phone", "13９１２３４５６７８"),
    ],
    ids=["id_number", "phone"],
)
def test_full_width_digits_are_not_stored_as_given(field: str, value: str) -> None:
    try:
        request = validated(IntakeRequest, **intake(**{field: value}))
    except Refused:
        return  # refusing is fine
    stored = getattr(request, field)
    assert stored.isascii()  # normalising is fine too


# --- one free-text field ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("已电话联系双方", "已电话联系双方"), ("  约定周五调解  ", "约定周五调解"), ("a\nb", "a\nb")],
)
def test_note_accepts_and_strips(value: str, expected: str) -> None:
    assert note(value, "note") == expected


@pytest.mark.parametrize(
    ("value", "field", "message", "zh"),
    [
        (None, "comment", "comment: must not be empty", "意见（comment）：不能为空"),
        ("", "reason", "reason: must not be empty", "理由（reason）：不能为空"),
        ("   ", "note", "note: must not be empty", "说明（note）：不能为空"),
        (
            "退回\x00",
            "reason",
            "reason: contains control characters",
            "理由（reason）：含有控制字符",
        ),
        (
            "长" * (MAX_DESCRIPTION + 1),
            "note",
            "note: must have at most 20000 characters",
            "说明（note）：最多20000个字符",
        ),
    ],
)
def test_note_refusal_names_the_field(value: str | None, field: str, message: str, zh: str) -> None:
    with pytest.raises(Refused) as caught:
        note(value, field)
    assert str(caught.value) == message
    assert caught.value.message("zh") == zh
    assert caught.value.field == field


# --- outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "zh", "en"),
    [
        (Outcome.mediated, "调解成功", "mediated"),
        (Outcome.handled, "依职能办结", "handled within remit"),
        (Outcome.explained, "解释说明", "explained"),
        (Outcome.litigation, "引导诉讼/仲裁", "guided to litigation or arbitration"),
        (Outcome.unresolvable, "无法解决", "cannot be resolved"),
    ],
)
def test_outcome_labels(outcome: Outcome, zh: str, en: str) -> None:
    assert outcome_label(outcome) == zh
    assert outcome_label(outcome.value, "en") == en


def test_every_outcome_has_a_label_and_unknown_ones_fall_back() -> None:
    for outcome in Outcome:
        assert outcome_label(outcome) != outcome.value
    assert outcome_label("gave_up") == "gave_up"
    assert Outcome("litigation") is Outcome.litigation
    with pytest.raises(ValueError):
        Outcome("gave_up")
