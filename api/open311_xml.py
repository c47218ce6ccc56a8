"""GeoReport v2 in both of its formats, chosen by the path's extension (`services.xml`).

XML is the specification's required format, JSON its optional one; both carry the same shapes.
The XML follows the specification's examples: a list is a root element holding one element per
item (`<services><service>…`), a nested list the same (`<attributes><attribute>…`,
`<values><value>…`), a missing value an empty element, true and false in lower case. lxml
writes it, so every text is escaped and the document is well-formed UTF-8.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from lxml import etree
from pydantic import BaseModel


class Format(StrEnum):
    json = "json"
    xml = "xml"


MEDIA = {Format.json: "application/json", Format.xml: "text/xml"}
CHARSET = "; charset=utf-8"
# What each list's items are called, as in the specification's examples.
ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# XML 1.0 cannot carry these at all, not even escaped: a message that echoes a control
# character sent by a client shows U+FFFD in its place.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def requested(request: Request) -> Format:
    """The format the path asks for: `.xml` is XML, anything else JSON."""
    return Format.xml if request.url.path.endswith(".xml") else Format.json


def media_type(fmt: Format) -> str:
    return MEDIA[fmt] + CHARSET


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: etree._Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(etree.SubElement(element, key), item)
    elif isinstance(value, list):
        tag = ITEMS.get(str(element.tag), "item")
        for item in value:
            _fill(etree.SubElement(element, tag), item)
    else:
        element.text = _text(value)


def _dumped(data: BaseModel | Sequence[BaseModel] | dict[str, Any]) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, dict):
        return data
    return [item.model_dump(mode="json") for item in data]


def xml_document(root: str, item: str | None, data: Any) -> bytes:
    """`data` (JSON-shaped) as `<root>`, a list's entries each an `<item>`."""
    element = etree.Element(root)
    if isinstance(data, list):
        for entry in data:
            _fill(etree.SubElement(element, item or "item"), entry)
    else:
        _fill(element, data)
    return bytes(etree.tostring(element, xml_declaration=True, encoding="utf-8"))


def body(fmt: Format, root: str, item: str | None, data: Any) -> str:
    """The answer's text in the format asked for."""
    shaped = _dumped(data)
    if fmt == Format.xml:
        return xml_document(root, item, shaped).decode("utf-8")
    return json.dumps(shaped, ensure_ascii=False)


def answer(
    fmt: Format,
    root: str,
    item: str | None,
    data: BaseModel | Sequence[BaseModel] | dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A GeoReport v2 answer: JSON or XML, UTF-8 and saying so."""
    return Response(
        body(fmt, root, item, data).encode("utf-8"),
        status_code=status,
        media_type=media_type(fmt),
        headers=headers,
    )


def errors(fmt: Format, items: Sequence[tuple[int, str]]) -> bytes:
    """The specification's error list: `[{"code", "description"}]`, or in XML
    `<errors><error><code/><description/></error></errors>`."""
    shaped = [{"code": code, "description": text} for code, text in items]
    if fmt == Format.xml:
        return xml_document("errors", "error", shaped)
    return json.dumps(shaped, ensure_ascii=False).encode("utf-8")


class XmlResponse(Response):
    """For the OpenAPI document: the XML routes answer text/xml."""

    media_type = "text/xml"


def xml_docs(
    root: str, item: str | None, example: str, status: int = 200
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of an XML route: its 200 and its errors, both text/xml."""
    shown = (
        f"<{root}><{item}>{example}</{item}></{root}>" if item else f"<{root}>{example}</{root}>"
    )
    error = "<errors><error><code>400</code><description>…</description></error></errors>"
    return {
        status: {
            "description": "the same shape as the .json route, as XML",
            "content": {"text/xml": {"schema": {"type": "string"}, "example": shown}},
        },
        "4XX": {
            "description": "400 bad input, 403 bad api_key, 404 not found, 413 body too large",
            "content": {"text/xml": {"schema": {"type": "string"}, "example": error}},
        },
    }
