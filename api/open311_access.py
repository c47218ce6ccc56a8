"""Who may read which Open311 requests, and which jurisdiction this endpoint serves.

Reads are public, as GeoReport v2 means them, except for the categories `categories.yaml` marks
`public: false` (family, counselling, women and children, petitions, medical): that a village has
such a matter is itself sensitive. Their requests are left out of every list and answer 404 by
number, exactly like a number that does not exist, unless the read carries an `api_key` that
may see them:
- the center's key sees every request;
- an intake channel's key sees the requests that came in by its own channel (the hotline's app
  follows what the hotline registered), and the public ones;
- a department's key reads as the public does: departments follow their matters under /api.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import or_
from sqlmodel import col

from api.context import Installation, Language
from api.errors import FieldProblem, Problem
from api.i18n import say
from api.open311_messages import say311
from models.config import DistrictConfig
from models.tables import Matter
from service.app import App
from service.store.db import session
from service.tokens import Caller, authenticate


def key_holder(app: App, api_key: str, lang: str) -> Caller:
    """The holder of an api_key; 403 for a bad or revoked one."""
    with session(app.engine) as s:
        caller = authenticate(s, api_key)
    if isinstance(caller, str):
        raise Problem(403, "forbidden", say(lang, "api_key"))
    return caller


def reader(
    app: Installation,
    lang: Language,
    api_key: Annotated[
        str | None,
        Query(
            max_length=200,
            description="optional: the center's key, or an intake channel's, also shows the "
            "private categories' requests it may see",
        ),
    ] = None,
) -> Caller | None:
    """The caller of a read: None for the public."""
    if not api_key:
        return None
    return key_holder(app, api_key, lang)


Reader = Annotated[Caller | None, Depends(reader)]


def public_codes(config: DistrictConfig) -> list[str]:
    return [c.code for c in config.categories.values() if c.public]


def visible(query: Any, config: DistrictConfig, caller: Caller | None) -> Any:
    """The query narrowed to the matters this caller may see."""
    if caller is not None and caller.is_center:
        return query
    public = col(Matter.category).in_(public_codes(config))
    if caller is not None and caller.scope == "intake":
        return query.where(or_(public, col(Matter.channel) == caller.holder))
    return query.where(public)


def may_see(config: DistrictConfig, caller: Caller | None, matter: Matter) -> bool:
    """One matter, by the same rule as `visible` (an unknown category counts as private)."""
    category = config.categories.get(matter.category)
    if category is not None and category.public:
        return True
    if caller is None:
        return False
    return caller.is_center or (caller.scope == "intake" and caller.holder == matter.channel)


def check_jurisdiction(config: DistrictConfig, given: str | None, lang: str) -> None:
    """A jurisdiction_id other than the configured one is refused (none given is fine)."""
    ours = config.open311.jurisdiction_id
    if given and ours and given.strip() != ours:
        message = say311(lang, "jurisdiction", ours=ours, given=given[:100])
        raise Problem(
            400, "invalid_input", message, [FieldProblem(field="jurisdiction_id", message=message)]
        )


def jurisdiction(
    app: Installation,
    lang: Language,
    jurisdiction_id: Annotated[
        str | None,
        Query(max_length=100, description="optional; when given, this endpoint's own"),
    ] = None,
) -> None:
    check_jurisdiction(app.config, jurisdiction_id, lang)
