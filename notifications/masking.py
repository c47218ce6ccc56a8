"""Masking personal data in anything a department, a log or the Prefect UI can see."""

from __future__ import annotations

import re


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: keep the first character only."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits; none (匿名)
    stays empty."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def _digits_pattern(number: str) -> re.Pattern[str]:
    """Match a number however it is written: spaces or dashes between digits, any case of X."""
    chars = [c for c in number if c.isalnum()]
    return re.compile(r"[\s-]?".join(re.escape(c) for c in chars), re.IGNORECASE)


def redact(text: str, *, name: str, phone: str, id_number: str | None) -> str:
    """Replace the citizen's own name, phone and ID number wherever free text repeats them.

    The ID number goes first: it may contain the phone's digits.
    """
    if id_number:
        text = _digits_pattern(id_number).sub("[身份证号已隐藏]", text)
    if len([c for c in phone if c.isdigit()]) >= 5:
        text = _digits_pattern(phone).sub(mask_phone(phone), text)
    if name and len(name.strip()) >= 2:
        text = text.replace(name.strip(), mask_name(name))
    return text
