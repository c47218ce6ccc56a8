"""The one message catalogue: every sentence and label a person reads, in Chinese and English.

Plain data (messages.catalogue, messages.labels) and two functions: `render` fills a sentence's
parameters, `label` names a value of a closed set. Nothing here imports the rest of Whistle, so
the lowest layer (models/) can word its refusals and every front door (CLI, HTTP API, pages)
renders the same words. Parameters stay codes until rendering: a department code becomes the
department's name only when the caller passes the district's names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

from messages.catalogue import MESSAGES
from messages.labels import LABELS

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")


def language_of(value: str | None, default: Language = "zh") -> Language:
    """'en', 'en_GB.UTF-8', 'EN' → en; 'zh', 'zh-CN' → zh; anything else → the default."""
    text = (value or "").strip().lower()
    if text.startswith("en"):
        return "en"
    if text.startswith("zh"):
        return "zh"
    return default


class Names(Protocol):
    """Where codes get their names: the district configuration (models.config.DistrictConfig)."""

    def department_name(self, code: str, language: str = "zh") -> str: ...

    def category_name(self, code: str, language: str = "zh") -> str: ...

    def area_name(self, code: str, language: str = "zh") -> str: ...


def label(kind: str, value: str | None, language: str = "zh") -> str:
    """The display name of a status, role, step, level, colour…; an unknown value as it is."""
    if value is None:
        return ""
    names = LABELS.get(kind, {}).get(str(value))
    if names is None:
        return str(value)
    return names[1] if language == "en" else names[0]


def text(key: str, language: str = "zh", **params: Any) -> str:
    """One catalogue sentence with its parameters filled in as given (no name lookup)."""
    return render(key, params, language)


# Parameters holding something typed: quoted back, but never at length.
_TYPED = {"value": 40, "number": 40, "given": 60, "detail": 200, "values": 80}
# Parameters naming departments (one, or a list), and what names the other kinds.
_DEPARTMENT = ("department", "lead")
_OPTIONAL = {"suggestions": "hint", "given": "given", "more": "more"}


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _joined(items: Sequence[str], language: str) -> str:
    return ("、" if language == "zh" else ", ").join(items)


def _name(kind: str, code: str, language: str, names: Names | None) -> str:
    if names is None:
        return code
    if kind == "department":
        return names.department_name(code, language)
    if kind == "category":
        return names.category_name(code, language)
    if kind == "area":
        return names.area_name(code, language)
    return code


def _coded(kind: str, code: str, language: str, names: Names | None) -> str:
    """'hrss 人社': the code a person can type, with the name they recognise."""
    named = label(kind, code, language) if kind in LABELS else _name(kind, code, language, names)
    return code if named == code else f"{code} {named}"


def render(
    key: str,
    params: Mapping[str, Any] | None = None,
    language: str = "zh",
    names: Names | None = None,
) -> str:
    """A catalogue sentence in `language` with its parameters shown the way a person reads them.

    By parameter name: `department`/`lead` (and the list `departments`) become names,
    `category`, `area` and `town` likewise; `status` is labelled by `kind` (status by default,
    `assignment` for a department's part); `action` and the list `allowed` become verbs;
    `tier`, `colour`, `outcome` and `field` are labelled; `suggestions`, `candidates` and
    `known` list codes with their names; typed values are cut short. A parameter that is
    itself a refusal or a field problem (anything with `code` and `params`) is rendered too.
    """
    zh, en = MESSAGES[key]
    template = en if language == "en" else zh
    given = dict(params or {})
    kind = str(given.get("kind") or "")
    values: dict[str, Any] = {}
    for name, value in given.items():
        values[name] = _show(name, value, kind, language, names)
    for name, part in _OPTIONAL.items():
        if key.startswith("hint."):
            break
        wanted = given.get(name)
        if wanted is not None and (name == "given" or wanted):
            values[part] = render(f"hint.{name}", {name: wanted, "kind": kind}, language, names)
        else:
            values[part] = ""
    if "kind" in values and kind in LABELS["thing"]:
        values["kind"] = label("thing", kind, language)
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError):
        # A parameter the caller forgot must not hide the refusal itself.
        return template.format_map(_Missing(values))


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _show(name: str, value: Any, kind: str, language: str, names: Names | None) -> Any:
    if hasattr(value, "code") and hasattr(value, "params"):
        return render(str(value.code), value.params, language, names)
    if name in _DEPARTMENT and isinstance(value, str):
        return _name("department", value, language, names)
    if name == "departments" and isinstance(value, list | tuple):
        return _joined([_name("department", str(v), language, names) for v in value], language)
    if name in ("category", "area") and isinstance(value, str):
        return _name(name, value, language, names)
    if name == "town" and isinstance(value, str):
        return _name("area", value, language, names)
    if name == "status":
        return label("assignment" if kind == "assignment" else "status", value, language)
    if name == "action":
        return label("action", value, language)
    if name == "allowed" and isinstance(value, list | tuple):
        return _joined([label("action", str(v), language) for v in value], language)
    if name in ("tier", "colour", "outcome", "field", "stage") and isinstance(value, str):
        return label(name, value, language)
    if name in ("suggestions", "candidates") and isinstance(value, list | tuple):
        return _joined([_coded(kind, str(v), language, names) for v in value], language)
    if name == "known" and isinstance(value, list | tuple):
        if kind in ("status", "colour", "outcome"):
            return _joined([_coded(kind, str(v), language, names) for v in value], language)
        return ", ".join(str(v) for v in value)
    if name == "given":
        return repr(_cut(value, _TYPED[name]) if isinstance(value, str) else value)
    if isinstance(value, list | tuple):
        return _joined([str(v) for v in value], language)
    if name in _TYPED and isinstance(value, str):
        return _cut(value, _TYPED[name])
    return value


__all__ = ["LANGUAGES", "Language", "Names", "label", "language_of", "render", "text"]
