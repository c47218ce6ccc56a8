"""Request bodies are UTF-8, read strictly: a form or JSON body holding bytes that are not UTF-8
is refused with 400 naming the field, before any route sees it.

Starlette reads a form field it cannot decode as Latin-1, so `description=ok%FF%FE` would be
stored as `okÿþ`; a JSON body with a stray byte would fail without naming anything. Here every
form field (URL-encoded or multipart) and every JSON string is checked as bytes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import FieldProblem, Problem, render
from api.i18n import negotiate, say

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MULTIPART = "multipart/form-data"
WRITES = ("POST", "PUT", "PATCH")


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _name(raw: bytes) -> str:
    """A field name as a message may quote it (replacement marks for bad bytes, cut short)."""
    name = raw.decode("utf-8", "replace")
    return name if len(name) <= 60 else name[:60] + "…"


def _form(body: bytes) -> str | None:
    for pair in body.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        value = unquote_to_bytes(raw_value.replace(b"+", b" "))
        if not (_utf8(name) and _utf8(value)):
            return _name(name)
    return None


def _escaped(text: str) -> bool:
    """Whether the text holds a byte that was not UTF-8 (decoded with surrogateescape)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _where(value: Any, path: str) -> str | None:
    """The path of the first JSON string (or key) holding an undecodable byte."""
    if isinstance(value, str):
        return path if _escaped(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if _escaped(str(key)):
                return inner.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            found = _where(item, inner)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _where(item, f"{path}[{index}]" if path else f"[{index}]")
            if found:
                return found
    return None


def _json(body: bytes) -> str | None:
    if _utf8(body):
        return None
    try:
        data = json.loads(body.decode("utf-8", "surrogateescape"))
    except ValueError:
        return "body"
    return _where(data, "") or "body"


def _multipart(content_type: str, body: bytes) -> str | None:
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        return None  # Starlette refuses it on its own
    parts: list[tuple[dict[bytes, bytes], bytearray]] = []
    header: list[bytes] = [b"", b""]

    def begin() -> None:
        parts.append(({}, bytearray()))

    def data(chunk: bytes, start: int, end: int) -> None:
        parts[-1][1].extend(chunk[start:end])

    def field(chunk: bytes, start: int, end: int) -> None:
        header[0] += chunk[start:end]

    def value(chunk: bytes, start: int, end: int) -> None:
        header[1] += chunk[start:end]

    def header_end() -> None:
        parts[-1][0][header[0].lower()] = header[1]
        header[0], header[1] = b"", b""

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": begin,
            "on_part_data": data,
            "on_header_field": field,
            "on_header_value": value,
            "on_header_end": header_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except Exception:
        return None  # malformed: Starlette refuses it on its own
    for headers, content in parts:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"")
        if not _utf8(name):
            return _name(name)
        if b"filename" not in options and not _utf8(bytes(content)):
            return _name(name)
    return None


def undecodable(content_type: str, body: bytes) -> str | None:
    """The field of a form or JSON body that is not UTF-8 ('body' when none can be named), or
    None when every field reads (or the body is of another kind)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == FORM:
        return _form(body)
    if kind == JSON or kind.endswith("+json"):
        return _json(body)
    if kind == MULTIPART:
        return _multipart(content_type, body)
    return None


class StrictBody:
    """Read a write's form or JSON body whole and refuse it (400) if a field is not UTF-8.

    It sits inside BodyLimit, so the body it holds is never over the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        content_type = headers.get("content-type", "")
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind not in (FORM, JSON, MULTIPART) and not kind.endswith("+json"):
            await self.app(scope, receive, send)
            return
        lang = negotiate(headers.get("accept-language"), _default_language())
        messages: list[Message] = []
        body = b""
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
        except HTTPException as too_large:  # BodyLimit's refusal, rendered as it would be
            problem = Problem(too_large.status_code, "too_large", str(too_large.detail))
            await render(scope["path"], problem)(scope, receive, send)
            return
        field = undecodable(content_type, body)
        if field is not None:
            message_text = say(lang, "not_utf8", field=field)
            problem = Problem(
                400,
                "invalid_encoding",
                message_text,
                [FieldProblem(field=field, message=say(lang, "not_utf8_field"))],
            )
            await render(scope["path"], problem)(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _default_language() -> str:
    from service.app import get_app

    return get_app().language
