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


# A web address runs to the first space, quote or angle bracket, or the first Chinese character
# or full-width punctuation mark (，。：；！？（）【】“” …): in 链接：https://x/y，请查看 the comma
# and what follows are text, not part of the address.
_URL = re.compile(
    r"https?://[^\s<>\"'\u2018-\u201f\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+"
)
_TRAILING = ".,;:!?)]}"  # ASCII punctuation that ends a sentence rather than the address


def linkify(text: str) -> Markup:
    """Escape a line and make its web addresses clickable (Chinese labels end in '：' with no
    space before the address, so Jinja's urlize, which wants one, would miss them)."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = end
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


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
        # An included part (_matter.txt) keeps its last line break; without it, trim_blocks
        # would also eat the break after the include tag and join two lines into one.
        keep_trailing_newline=True,
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
