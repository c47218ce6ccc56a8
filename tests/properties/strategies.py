"""Hypothesis strategies for what people (and scripts) type into Whistle, hostile on purpose.

Each strategy mixes plausible input with the classes an attacker or a broken client sends:
control characters and NUL, stray UTF-16 surrogates, line and paragraph separators, template and
SQL syntax, HTML, right-to-left overrides, emoji sequences, several scripts in one string
(Chinese, Mongolian, Cyrillic, Arabic), very long and megabyte strings. The oracles here (phone
and ID number rules) are written from the definitions, not copied from whistle/inputs.py.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

HOSTILE = [
    "{{ 7*7 }}",
    "{{ config }}",
    "{% raw %}",
    "{% endraw %}{{ 7*7 }}",
    "{% for x in range(99999999) %}x{% endfor %}",
    "{# comment #}",
    "${7*7}",
    "#{7*7}",
    "'; DROP TABLE matter; --",
    "' OR '1'='1",
    '" OR ""="',
    "\\x00",
    "%s%s%s%n",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<a href='javascript:alert(1)'>x</a>",
    "&lt;b&gt;&amp;",
    'https://evil.example/"onmouseover="alert(1)',
    "\u202eevil\u202c",
    "\u200b\u200d\ufeff",
    "👨‍👩‍👧‍👦🇨🇳🏳️‍🌈",
    "ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ",  # Mongolian script (Inner Mongolia)
    "Зелёный 绿色 أخضر ногоон",
    "张三丰",
    "13812345678",
    "\t缩进\t",
    "first line\nsecond line",
    "\r\n",
    "\u2028\u2029",
    "\x85",
    "\x1b[2J\x1b[31mred",
    "\x00",
    "a\x00b",
    "\x7f",
    "\x9b",  # a C1 control
    "\ud800",  # a lone surrogate (what a broken client or undecodable argv gives)
    "\udcff",
    "￼�",
    " ",
    "",
]

# Whole strings rather than fragments: the sizes the model's limits are about.
HUGE = [
    "长" * 100,
    "长" * 101,
    "长" * 200,
    "长" * 201,
    "描" * 20_000,
    "描" * 20_001,
    "x" * 1_000_000,  # a 1 MB description
]

fragments = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), max_size=4),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8),
)

hostile_text = st.one_of(
    st.lists(fragments, max_size=6).map("".join),
    st.sampled_from(HUGE),
)

# Text that should be accepted: something visible, then anything but control characters.
_VISIBLE = st.characters(codec="utf-8", categories=["L", "N", "P", "S"])
fair_text = st.builds(
    lambda first, rest: first + rest,
    _VISIBLE,
    st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=60),
)


def is_control(ch: str) -> bool:
    """C0 controls other than tab, line feed and carriage return, and DEL: refused in text."""
    return (ord(ch) < 0x20 and ch not in "\t\n\r") or ch == "\x7f"


def is_surrogate(ch: str) -> bool:
    return unicodedata.category(ch) == "Cs"


def _storable(value: str) -> bool:
    return bool(value.strip()) and not any(is_control(c) or is_surrogate(c) for c in value)


# Hostile text that is fine to store: template, SQL and HTML syntax, scripts, emoji, RTL marks.
storable_text = st.lists(
    st.one_of(st.sampled_from([h for h in HOSTILE if _storable(h)]), fair_text),
    min_size=1,
    max_size=4,
).map("".join)


@st.composite
def mostly(draw: st.DrawFn, usual: st.SearchStrategy[T], odd: st.SearchStrategy[T]) -> T:
    """Three times in four the usual kind of value, else the odd one (shrinks towards odd)."""
    return draw(usual) if draw(st.integers(0, 3)) else draw(odd)


# What a field receives: mostly something a clerk could have typed, sometimes anything at all.
typed_text = mostly(st.one_of(fair_text, storable_text), hostile_text)


# --- phones -----------------------------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def phone_ok(value: str) -> str | None:
    """The stored form of an acceptable mainland phone number, else None.

    A mobile is 11 digits starting 1, second digit 3–9; a landline is an area code of 3 or 4
    digits starting 0 (not 00), an optional dash, and 7 or 8 digits. Full-width digits count
    as digits (they come from Chinese input methods); spaces are ignored.
    """
    text = unicodedata.normalize("NFKC", value).replace(" ", "").strip()
    if text.isascii() and text.isdigit() and len(text) == 11 and text[0] == "1":
        return text if text[1] in "3456789" else None
    area, dash, rest = text.partition("-")
    if not dash:
        # without a dash the split is ambiguous: accept any area length that works
        for size in (3, 4):
            if _landline(text[:size], text[size:]):
                return text
        return None
    return text if _landline(area, rest) else None


def _landline(area: str, rest: str) -> bool:
    return (
        area.isascii()
        and area.isdigit()
        and len(area) in (3, 4)
        and area[0] == "0"
        and area[1] != "0"  # 00 is the international prefix, not an area code
        and rest.isascii()
        and rest.isdigit()
        and len(rest) in (7, 8)
    )


mobile = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
landline = st.builds(
    lambda area, dash, rest: f"0{area}{dash}{rest}",
    st.text("0123456789", min_size=2, max_size=3),
    st.sampled_from(["", "-"]),
    st.text("0123456789", min_size=7, max_size=8),
)
phones = st.one_of(
    mobile,
    landline,
    mobile.map(lambda p: p.translate(FULL_WIDTH)),
    mobile.map(lambda p: f"{p[:3]} {p[3:7]} {p[7:]}"),
    mobile.map(lambda p: "+86" + p),
    mobile.map(lambda p: p[:-1]),
    mobile.map(lambda p: p + "0"),
    mobile.map(lambda p: "2" + p[1:]),
    st.text("0123456789-+() ０１２３", max_size=16),
    hostile_text,
)


# --- resident ID numbers ---------------------------------------------------------------------


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 from its definition: weights 2^(17-i) mod 11, the weighted sum of
    all 18 characters must be 1 mod 11; a check value of 10 is written X."""
    partial = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (1 - partial) % 11
    return "X" if value == 10 else str(value)


def id_ok(value: str) -> str | None:
    """The stored form of an acceptable ID number (None when absent or refused): 17 digits
    whose 7th–14th are a real birth date, then the right check character (x upper-cased)."""
    text = unicodedata.normalize("NFKC", value).strip().upper()
    if len(text) != 18 or not (text[:17].isascii() and text[:17].isdigit()):
        return None
    if text[17] != check_character(text[:17]):
        return None
    try:
        born = datetime(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None
    return text if born.year >= 1880 else None


def _with_check(first17: str) -> str:
    return first17 + check_character(first17)


def _valid_id(first17: str) -> str:
    return _with_check(first17)


birth_dates = st.dates(
    min_value=datetime(1900, 1, 1).date(), max_value=datetime(2025, 12, 31).date()
)
id_bases = st.builds(
    lambda region, born, seq: f"{region}{born:%Y%m%d}{seq}",
    st.text("0123456789", min_size=6, max_size=6),
    birth_dates,
    st.text("0123456789", min_size=3, max_size=3),
)
valid_id_numbers = id_bases.map(_with_check)
id_numbers = st.one_of(
    id_bases.map(_with_check),
    id_bases.map(_with_check).map(str.lower),
    id_bases.map(_with_check).map(lambda s: s.translate(FULL_WIDTH)),
    id_bases.map(lambda b: b + ("0" if check_character(b) != "0" else "1")),  # wrong check
    id_bases.map(lambda b: _with_check(b)[:15]),  # the old 15-digit form
    st.builds(  # a checksum that works around an impossible birth date
        lambda region, month, seq: _with_check(f"{region}1985{month:02d}32{seq}"),
        st.text("0123456789", min_size=6, max_size=6),
        st.integers(1, 12),
        st.text("0123456789", min_size=3, max_size=3),
    ),
    st.text("0123456789Xx", min_size=17, max_size=19),
    hostile_text,
)


# --- times ------------------------------------------------------------------------------------

zones = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=8)),
        timezone(timedelta(hours=-12)),
        timezone(timedelta(hours=14)),
    ]
)
# Any time at all, as a person might type it for --at.
any_time = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones
)
# Times the edge accepts (2000–2099); actions get them in any order, also before earlier steps.
fair_time = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=zones
)
