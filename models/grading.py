"""Four-colour early warning (四色预警): grade a matter by severity and difficulty of handling."""

from __future__ import annotations

from dataclasses import dataclass, field

from messages import label
from messages.labels import LABELS
from models.config import Colour, GradeRule, GradingFile, Tier

COLOUR_LABELS: dict[str, tuple[str, str]] = LABELS["colour"]  # the message catalogue's
TIER_LABELS: dict[str, tuple[str, str]] = LABELS["tier"]
_ORDER: tuple[Colour, ...] = ("green", "yellow", "orange", "red")
_TIER_ORDER: tuple[Tier, ...] = ("village", "town", "district")


@dataclass(frozen=True)
class Facts:
    """What intake knows about a matter that bears on its grade."""

    category: str
    people: int = 1
    visits: int = 0
    amount: int = 0
    flags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Grade:
    colour: Colour
    tier: Tier
    reasons: tuple[str, ...]


def _matches(rule: GradeRule, facts: Facts) -> list[str]:
    reasons = []
    if rule.people_at_least is not None and facts.people >= rule.people_at_least:
        reasons.append(f"people>={rule.people_at_least}")
    if rule.visits_at_least is not None and facts.visits >= rule.visits_at_least:
        reasons.append(f"visits>={rule.visits_at_least}")
    if rule.amount_at_least is not None and facts.amount >= rule.amount_at_least:
        reasons.append(f"amount>={rule.amount_at_least}")
    reasons += [f"flag:{f}" for f in rule.flags_any if f in facts.flags]
    if facts.category in rule.categories_any:
        reasons.append(f"category:{facts.category}")
    return reasons


def grade(facts: Facts, rules: GradingFile) -> Grade:
    """Return the highest colour whose rule matches (green when none), and its starting tier."""
    for colour in ("red", "orange", "yellow"):
        reasons = _matches(getattr(rules, colour), facts)
        if reasons:
            return Grade(colour, rules.start_tier[colour], tuple(reasons))
    return Grade("green", rules.start_tier["green"], ())


def raise_colour(colour: Colour) -> Colour:
    """One step up the warning ladder (green→yellow→orange→red); red stays red."""
    return _ORDER[min(_ORDER.index(colour) + 1, len(_ORDER) - 1)]


def raise_tier(tier: Tier) -> Tier:
    """One tier up (village→town→district); the district stays."""
    return _TIER_ORDER[min(_TIER_ORDER.index(tier) + 1, len(_TIER_ORDER) - 1)]


def colour_label(colour: str, language: str = "zh") -> str:
    return label("colour", colour, language)


def tier_label(tier: str, language: str = "zh") -> str:
    return label("tier", tier, language)
