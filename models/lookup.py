"""Codes a person types: a department, category or area by its code or its exact name.

A clerk knows 人社 and 文苑社区, not hrss and T02V01; both are accepted, and so is the code with
its name as pick lists offer it (`T02V01 文苑社区`). A name two things share is refused with the
candidates, and a code nobody has is refused with the nearest ones (`hrs` → did you mean hrss
人社?), found by difflib's ratio over codes and names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from models.config import DistrictConfig
from models.refusals import Code, Refused

SUGGESTED = 3  # at most this many "did you mean" candidates
CLOSE = 0.6  # difflib's ratio a candidate must reach


def _named(entries: Iterable[tuple[str, str, str]], text: str) -> list[str]:
    """Codes whose Chinese or English name is exactly `text`."""
    return [code for code, zh, en in entries if text in (zh, en) and text]


def _nearest(entries: list[tuple[str, str, str]], text: str) -> list[str]:
    """Codes whose code or a name is close to `text`, nearest first, each once."""
    by_word: dict[str, str] = {}
    for code, zh, en in entries:
        for word in (code, zh, en):
            if word:
                by_word.setdefault(word, code)
    found = difflib.get_close_matches(text, list(by_word), n=SUGGESTED * 3, cutoff=CLOSE)
    return list(dict.fromkeys(by_word[w] for w in found))[:SUGGESTED]


def labelled(code: str, name: str) -> str:
    """How a pick list offers a code: 'T02V01 文苑社区' (the code alone when it has no name)."""
    return f"{code} {name}" if name and name != code else code


def _exact(entries: list[tuple[str, str, str]], value: str) -> list[str]:
    """The codes `value` names exactly: a code, 'code name', or a name (perhaps several)."""
    for code, zh, en in entries:
        if value in (code, labelled(code, zh), labelled(code, en)):
            return [code]
    return list(dict.fromkeys(_named(entries, value)))


def _find(
    entries: list[tuple[str, str, str]], text: str, kind: str, unknown: Code, field: str
) -> str:
    value = text.strip()
    hits = _exact(entries, value)
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise Refused(Code.ambiguous, field=field, kind=kind, value=value, candidates=hits)
    raise Refused(
        unknown, field=field, kind=kind, value=value, suggestions=_nearest(entries, value)
    )


def _departments(config: DistrictConfig) -> list[tuple[str, str, str]]:
    return [(d.code, d.name, d.name_en) for d in config.departments.values()]


def _areas(config: DistrictConfig) -> list[tuple[str, str, str]]:
    towns = [(t.code, t.name, t.name_en) for t in config.towns.values()]
    return towns + [(v.code, v.name, v.name_en) for v, _ in config.villages.values()]


def department_code(config: DistrictConfig, text: str, field: str = "department") -> str:
    """The department a code or exact name means (center included), or Refused."""
    return _find(_departments(config), text, "department", Code.unknown_department, field)


def category_code(config: DistrictConfig, text: str, field: str = "category") -> str:
    """The category a code or exact name means, or Refused."""
    entries = [(c.code, c.name, c.name_en) for c in config.categories.values()]
    return _find(entries, text, "category", Code.unknown_category, field)


def area_code(config: DistrictConfig, text: str, field: str = "area") -> str:
    """The town or village a code or exact name means, or Refused."""
    return _find(_areas(config), text, "area", Code.unknown_area, field)


def flag_codes(config: DistrictConfig, texts: list[str], field: str = "flag") -> list[str]:
    """Risk flags by code, name or 'code name'; every unknown one named in one refusal."""
    entries = [(f.code, f.name, f.name_en) for f in config.flags.values()]
    found = {text: _exact(entries, text.strip()) for text in texts}
    unknown = [text for text, hits in found.items() if len(hits) != 1]
    if unknown:
        raise Refused(
            Code.unknown_flag, field=field, values=", ".join(unknown), known=list(config.flags)
        )
    return list(dict.fromkeys(found[text][0] for text in texts))


def channel_code(config: DistrictConfig, text: str, field: str = "channel") -> str:
    """The intake channel a code, name or 'code name' means, or Refused with the known ones."""
    entries = [(c.code, c.name, c.name_en) for c in config.channels_in.values()]
    hits = _exact(entries, text.strip())
    if len(hits) != 1:
        raise Refused(Code.unknown_channel, field=field, value=text, known=list(config.channels_in))
    return hits[0]


def labelled_code(
    text: str, labels: dict[str, tuple[str, str]], unknown: Code, field: str, kind: str
) -> str:
    """A value of a closed set (status, colour) by its code or its Chinese or English label."""
    value = text.strip()
    if value in labels:
        return value
    hits = [code for code, names in labels.items() if value in names]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise Refused(Code.ambiguous, field=field, kind=kind, value=value, candidates=hits)
    raise Refused(unknown, field=field, kind=kind, value=value, known=list(labels))


__all__ = [
    "area_code",
    "category_code",
    "channel_code",
    "department_code",
    "flag_codes",
    "labelled",
    "labelled_code",
]
