"""What the API says to people, in Chinese by default and English on `Accept-Language: en`.

Every sentence comes from the message catalogue (messages/): the API's own answers by key, a
service refusal by its code and parameters, a pydantic error by its type. Nothing here reads
another layer's words.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

import messages
from models.refusals import Code, Issue, issue_of

LANGUAGES = messages.LANGUAGES


def negotiate(header: str | None, default: str) -> str:
    """Pick zh or en from an Accept-Language header by quality; the installation's otherwise."""
    best, chosen = -1.0, default
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > best:
            best, chosen = quality, primary
    return chosen


def say(lang: str, key: str, **values: Any) -> str:
    """One catalogue sentence in the caller's language."""
    return messages.render(key, values, lang)


def field_name(loc: tuple[int | str, ...]) -> str:
    """'body.note' → 'note'; a header keeps its own spelling; a place in unreadable JSON is
    the body."""
    if len(loc) == 2 and loc[0] == "body" and isinstance(loc[1], int):
        return "body"
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form"):
        if parts[0] == "header" and len(parts) > 1:
            return "-".join(w.capitalize() for w in parts[1].split("-"))
        parts = parts[1:]
    return ".".join(parts) or "body"


# Fields whose form is checked by a pattern, and the catalogue's words for that form.
_FORMS: dict[str, Code] = {
    "length": Code.duration,
    "number": Code.number_form,
    "service_request_id": Code.number_form,
    "lead": Code.code_form,
    "co": Code.code_form,
    "department": Code.code_form,
    "service_code": Code.code_form,
}
_LINK = {"token"}  # a feedback link's token of the wrong form is simply not a valid link


def field_issue(error: ErrorDetails) -> Issue:
    """One pydantic error of a request as a field problem, by its type and the field's form."""
    field = field_name(error["loc"])
    issue = issue_of(error, field)
    if issue.code is Code.pattern:
        names = [str(p) for p in error["loc"] if not isinstance(p, int)]
        last = names[-1] if names else ""
        if last in _LINK:
            return Issue(field, Code.link_invalid)
        if last in _FORMS:
            return Issue(field, _FORMS[last], {"value": error.get("input", "")})
    if issue.code is Code.one_of:  # 'a', 'b' or 'c' → a, b, c
        expected = str(issue.params.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return Issue(field, Code.one_of, {"expected": expected})
    return issue


__all__ = ["LANGUAGES", "field_issue", "field_name", "negotiate", "say"]
