"""Masking the citizen's personal data before a department, a log or the UI sees it."""

from __future__ import annotations

import pytest

from notifications.masking import mask_name, mask_phone, redact
from tests.digits import forms

NAME = "张三丰"
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
ID_HIDDEN = "[身份证号已隐藏]"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王", "王*"),  # one character: still shows a star, never the bare name
        ("张三", "张*"),
        ("李小明", "李**"),
        ("欧阳娜娜", "欧***"),
        ("  张三  ", "张*"),  # surrounding spaces are not part of the name
        ("\t李小明\n", "李**"),
        ("阿卜杜 热合曼", "阿******"),  # a space inside the name is masked like a letter
        ("John Smith", "J*********"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize("name", ["张三", "李小明", "欧阳娜娜", "John Smith"])
def test_masked_name_hides_everything_but_the_first_character(name: str) -> None:
    masked = mask_name(name)
    assert masked[0] == name[0]
    assert set(masked[1:]) == {"*"}
    assert name not in masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),  # mobile
        (" 13812345678 ", "138****5678"),
        ("0472-1234567", "047****4567"),  # landline with the dash
        ("04721234567", "047****4567"),  # landline without
        ("010-12345678", "010****5678"),
        ("0101234567", "********67"),  # 10 characters: only the last two stay
        ("12345", "***45"),  # short numbers keep their last two digits
        ("110", "*10"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("phone", ["13812345678", "0472-1234567", "04721234567", "12345"])
def test_masked_phone_never_contains_the_number(phone: str) -> None:
    assert phone.strip() not in mask_phone(phone)
    assert "*" in mask_phone(phone)


def test_redact_replaces_every_occurrence() -> None:
    text = (
        f"{NAME}（身份证{ID_NUMBER}，电话{PHONE}）反映：邻居深夜施工。"
        f"{NAME}称已多次协商无果，请回电{PHONE}。"
    )
    result = redact(text, name=NAME, phone=PHONE, id_number=ID_NUMBER)
    assert result == (
        f"张**（身份证{ID_HIDDEN}，电话138****5678）反映：邻居深夜施工。"
        "张**称已多次协商无果，请回电138****5678。"
    )
    assert NAME not in result
    assert PHONE not in result
    assert ID_NUMBER not in result


@pytest.mark.parametrize(
    "text",
    [
        "邻居家装修噪音扰民，已持续两周。",
        "张先生与李女士因停车位发生争执，涉及金额12000元。",
        "联系人：王五，电话13900000000",  # someone else's name and number stay
        "",
    ],
)
def test_redact_leaves_other_text_alone(text: str) -> None:
    assert redact(text, name=NAME, phone=PHONE, id_number=ID_NUMBER) == text


def test_id_number_is_replaced_before_the_phone() -> None:
    # An ID number whose digits contain the phone number: were the phone masked first, the ID
    # would be broken up and half of it left readable.
    phone = "13912345678"
    id_number = "15" + phone + "00019"  # 15 + 11 + 5 = 18 characters
    assert phone in id_number
    text = f"身份证号{id_number}，手机{phone}"
    result = redact(text, name=NAME, phone=phone, id_number=id_number)
    assert result == f"身份证号{ID_HIDDEN}，手机139****5678"
    assert "139****5678" not in result.split("，")[0]


@pytest.mark.parametrize("id_number", [None, ""])
def test_redact_without_id_number(id_number: str | None) -> None:
    text = f"{NAME}，{PHONE}，{ID_NUMBER}"
    result = redact(text, name=NAME, phone=PHONE, id_number=id_number)
    assert result == f"张**，138****5678，{ID_NUMBER}"


def test_redact_landline_with_dash() -> None:
    result = redact("座机0472-1234567", name=NAME, phone="0472-1234567", id_number=None)
    assert result == "座机047****4567"


@pytest.mark.parametrize(
    ("text", "phone", "id_number", "secret"),
    [
        ("回电138 1234 5678", "13812345678", None, "1234 5678"),
        ("回电138-1234-5678", "13812345678", None, "1234-5678"),
        ("座机04721234567", "0472-1234567", None, "1234567"),
        ("身份证11010519491231002x", "13812345678", "11010519491231002X", "1231002x"),
    ],
    ids=["mobile-spaces", "mobile-dashes", "landline-no-dash", "id-lowercase-x"],
)
def test_redact_catches_other_spellings_of_the_same_number(
    text: str, phone: str, id_number: str | None, secret: str
) -> None:
    assert secret not in redact(text, name=NAME, phone=phone, id_number=id_number)


@pytest.mark.parametrize(("form", "written"), list(forms(PHONE).items()))
def test_redact_catches_the_phone_in_every_digit_form(form: str, written: str) -> None:
    result = redact(f"请回电{written}。", name=NAME, phone=PHONE, id_number=None)
    assert result == "请回电138****5678。", form


@pytest.mark.parametrize(("form", "written"), list(forms(ID_NUMBER).items()))
def test_redact_catches_the_id_number_in_every_digit_form(form: str, written: str) -> None:
    result = redact(f"身份证{written}", name=NAME, phone=PHONE, id_number=ID_NUMBER)
    assert result == f"身份证{ID_HIDDEN}", form


def test_a_full_width_name_is_caught_and_other_text_keeps_its_own_characters() -> None:
    text = "Ｊｏｈｎ　Ｓｍｉｔｈ说：１２３元，电话１３８１２３４５６７８"
    result = redact(text, name="John Smith", phone=PHONE, id_number=None)
    assert result == "J*********说：１２３元，电话138****5678"
