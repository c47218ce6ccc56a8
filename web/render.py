"""The pages' one Jinja environment: templates from the package, autoescaped, strict.

A variable a template names but a route did not pass is an error, not an empty string, so a
page never silently shows less than it should.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from web import messages

ENV = Environment(
    loader=PackageLoader("web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals.update(say=messages.say, label=messages.label)


def html(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; every page is private to its reader and never cached."""
    body = ENV.get_template(template).render(**context)
    return HTMLResponse(
        body,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
        },
    )
