"""Masking personal data in anything a department, a log or the Prefect UI can see."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


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


# Chinese numerals are how a number is often written out in Chinese text (一三八…); they are not
# Unicode digits, so they are listed here.
_CHINESE_DIGITS = dict(zip("〇零一二三四五六七八九", "00123456789", strict=True))
# Between two characters of a number: a space of any kind, a dash, a dot, an invisible joiner.
_SEPARATOR = r"[\s\-.·\u00b7\u200b-\u200d\u2060\ufeff]{0,3}"


@lru_cache(maxsize=8192)
def _plain(char: str) -> str:
    """One character as its plain form, or itself: any script's digit (full-width, Arabic-Indic,
    circled, superscript…) and Chinese numerals as 0-9, dashes as '-', other compatibility forms
    (full-width letters and punctuation, the ideographic space) as NFKC has them."""
    if char.isascii():
        return char
    if char in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[char]
    value = unicodedata.digit(char, None)
    if value is not None:
        return str(value)
    if unicodedata.category(char) == "Pd":
        return "-"
    normal = unicodedata.normalize("NFKC", char)
    return normal if len(normal) == 1 else char


def fold(text: str) -> str:
    """The text with every character in its plain form, one for one, so a match found in the
    folded text is at the same place in the original."""
    return "".join(_plain(c) for c in text)


def number_pattern(number: str) -> re.Pattern[str]:
    """Match a number in folded text however it was written: any digit forms, spaces, dashes or
    dots between its characters, either case of X."""
    chars = [c for c in fold(number) if c.isalnum()]
    return re.compile(_SEPARATOR.join(re.escape(c) for c in chars), re.IGNORECASE)


def text_pattern(text: str) -> re.Pattern[str]:
    """Match a piece of text (a name, a masked number) in folded text."""
    return re.compile(re.escape(fold(text.strip())), re.IGNORECASE)


def replace(text: str, pattern: re.Pattern[str], replacement: str) -> str:
    """Replace every match of `pattern` (written for folded text) in the original text."""
    if not text:
        return text
    pieces, last = [], 0
    for found in pattern.finditer(fold(text)):
        if found.end() == found.start():
            continue
        pieces += [text[last : found.start()], replacement]
        last = found.end()
    return "".join(pieces) + text[last:] if pieces else text


def redact(text: str, *, name: str, phone: str, id_number: str | None) -> str:
    """Replace the citizen's own name, phone and ID number wherever free text repeats them,
    however the digits are written (full-width, other scripts, Chinese numerals, spaced out).

    The ID number goes first: it may contain the phone's digits.
    """
    if id_number:
        text = replace(text, number_pattern(id_number), "[身份证号已隐藏]")
    if len([c for c in fold(phone) if c.isdigit()]) >= 5:
        text = replace(text, number_pattern(phone), mask_phone(phone))
    if name and len(name.strip()) >= 2:
        text = replace(text, text_pattern(name), mask_name(name))
    return text
