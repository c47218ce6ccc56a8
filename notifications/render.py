"""Rendering notice text: one Jinja environment, templates by kind and language, pure output.

A district can override any template by putting a file of the same relative path under
`<config folder>/templates/`; the packaged templates are the fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup, escape

from notifications.kinds import NoticeKind

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


_URL = re.compile(r"(https?://[^\s<>\"']+)")


def linkify(text: str) -> Markup:
    """Escape a line, then make its web addresses clickable (Chinese labels end in '：', so
    Jinja's urlize, which wants a space before a URL, would miss them)."""
    return Markup(_URL.sub(r'<a href="\1">\1</a>', str(escape(text))))


@lru_cache(maxsize=8)
def environment(override_folder: Path | None = None) -> Environment:
    """Build the environment once per override folder: strict variables, HTML autoescaped."""
    loaders: list[Any] = []
    if override_folder is not None and override_folder.is_dir():
        loaders.append(FileSystemLoader(str(override_folder)))
    loaders.append(PackageLoader("notifications", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["linkify"] = linkify
    return env


def as_html(
    rendered: Rendered, *, language: str = "zh", override_folder: Path | None = None
) -> str:
    """The email form of a rendered notice: the same lines in one escaped HTML layout."""
    template = environment(override_folder).get_template(f"{language}/_email.html")
    return template.render(subject=rendered.subject, lines=rendered.body.splitlines())


def render(
    kind: NoticeKind,
    context: dict[str, Any],
    *,
    language: str = "zh",
    html: bool = False,
    override_folder: Path | None = None,
) -> Rendered:
    """Render a notice's subject and body; a missing variable is an error, never a blank."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown notice language {language!r}; use one of {LANGUAGES}")
    env = environment(override_folder)
    template = env.get_template(f"{language}/{kind.value}.{'html' if html else 'txt'}")
    ctx = template.new_context(dict(context))
    subject = "".join(template.blocks["subject"](ctx)).strip()
    body = "".join(template.blocks["body"](ctx)).strip()
    return Rendered(subject=" ".join(subject.split()), body=body)
