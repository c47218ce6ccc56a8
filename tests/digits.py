"""A citizen's numbers in every way they may be written, and a scan for any of them in text.

The scan folds text on its own (NFKC, Unicode digit values, Chinese numerals), independently
of notifications/masking.py, so a fault in the code's folding cannot hide itself here.
"""

from __future__ import annotations

import unicodedata

CHINESE = "〇一二三四五六七八九"


def forms(number: str) -> dict[str, str]:
    """The same digits as a citizen or a clerk's input method may write them."""

    def shifted(zero: int) -> str:
        return "".join(chr(zero + int(c)) if c.isdigit() else c for c in number)

    wide = shifted(0xFF10).replace("X", "Ｘ")
    return {
        "ascii": number,
        "full-width": wide,
        "arabic-indic": shifted(0x0660),
        "devanagari": shifted(0x0966),
        "mathematical bold": shifted(0x1D7CE),
        "chinese numerals": "".join(CHINESE[int(c)] if c.isdigit() else c for c in number),
        "full-width spaced": " ".join(wide),
        "ideographic spaces and a full-width dash": f"{wide[:3]}\u3000{wide[3:7]}－{wide[7:]}",
        "zero-width spaces": "\u200b".join(number),
    }


def _plain(char: str) -> str:
    if char in CHINESE:
        return str(CHINESE.index(char))
    if char == "零":
        return "0"
    digit = unicodedata.digit(char, None)
    if digit is not None:
        return str(digit)
    return unicodedata.normalize("NFKC", char)


def squeezed(text: str) -> str:
    """Letters and digits only, each in its plain form, lower case: '１３８ 1234-5678' →
    '13812345678'. A number found in here was in the text in some form."""
    return "".join(p for c in text for p in _plain(c) if p.isalnum()).lower()


def traces(text: str, *, name: str, phone: str, id_number: str | None) -> list[str]:
    """Which of the citizen's name, phone and ID number the text holds, in any form."""
    found = []
    plain = "".join(_plain(c) for c in text)
    if name in text or name in plain:
        found.append(f"name {name}")
    flat = squeezed(text)
    if squeezed(phone) in flat:
        found.append(f"phone {phone}")
    if id_number and squeezed(id_number) in flat:
        found.append(f"ID number {id_number}")
    return found
