"""Routing: which department leads a matter and which co-handle it, from the district's rules."""

from __future__ import annotations

from dataclasses import dataclass

from models.config import DistrictConfig, RoutingRule


@dataclass(frozen=True)
class Route:
    lead: str
    co: tuple[str, ...]
    rule_index: int


class NoRoute(Exception):
    """No routing rule could be resolved for the matter's area (a configuration gap)."""

    def __init__(self, category: str, tier: str, town: str) -> None:
        super().__init__(
            f"no routing rule resolves for category {category} at {tier} tier in {town}"
        )
        self.category, self.tier, self.town = category, tier, town


def _resolve(ref: str, town: str, village: str | None) -> str | None:
    """Turn '@town.x' / '@village.x' into the area's own unit code; None when it has no village."""
    if ref.startswith("@town."):
        return f"{town}.{ref.removeprefix('@town.')}"
    if ref.startswith("@village."):
        return None if village is None else f"{village}.{ref.removeprefix('@village.')}"
    return ref


def _applies(rule: RoutingRule, category: str, tier: str) -> bool:
    return rule.category in ("*", category) and rule.tier in ("*", tier)


def route(
    config: DistrictConfig, *, category: str, tier: str, town: str, village: str | None
) -> Route:
    """Return the lead and co-handlers of the first rule that resolves for this area."""
    for index, rule in enumerate(config.routing.rules):
        if not _applies(rule, category, tier):
            continue
        lead = _resolve(rule.lead, town, village)
        co = [_resolve(ref, town, village) for ref in rule.co]
        if lead is None or lead not in config.departments:
            continue
        kept = tuple(dict.fromkeys(c for c in co if c and c != lead and c in config.departments))
        return Route(lead, kept, index)
    raise NoRoute(category, tier, town)
