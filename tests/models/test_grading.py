"""Four-colour early warning on the sample grading file: thresholds, flags, ladders, labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.config import COLOURS, Colour, GradeRule, GradingFile, Tier, load_config
from models.grading import (
    Facts,
    colour_label,
    grade,
    raise_colour,
    raise_tier,
    tier_label,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rules() -> GradingFile:
    return load_config(ROOT / "config").grading


def facts(
    category: str = "neighbour",
    people: int = 1,
    visits: int = 0,
    amount: int = 0,
    flags: tuple[str, ...] = (),
) -> Facts:
    return Facts(category, people=people, visits=visits, amount=amount, flags=frozenset(flags))


@pytest.mark.parametrize(
    ("given", "colour", "tier"),
    [
        # nothing notable: green, handled in the village
        (facts(), "green", "village"),
        (facts(category="petition"), "green", "village"),
        # people: 1/2 → yellow, 4/5 → orange, 49/50 → red
        (facts(people=1), "green", "village"),
        (facts(people=2), "yellow", "village"),
        (facts(people=4), "yellow", "village"),
        (facts(people=5), "orange", "town"),
        (facts(people=49), "orange", "town"),
        (facts(people=50), "red", "district"),
        (facts(people=5000), "red", "district"),
        # repeat visits: 2/3
        (facts(visits=2), "green", "village"),
        (facts(visits=3), "orange", "town"),
        # amount in dispute: 99 999 / 100 000 yuan
        (facts(amount=99_999), "green", "village"),
        (facts(amount=100_000), "orange", "town"),
        # red flags
        (facts(flags=("extreme_risk",)), "red", "district"),
        (facts(flags=("violence",)), "red", "district"),
        # flags that the sample grading does not use keep the matter green
        (facts(flags=("minors",)), "green", "village"),
        (facts(flags=("elderly", "disability")), "green", "village"),
    ],
)
def test_sample_grading_table(rules: GradingFile, given: Facts, colour: str, tier: str) -> None:
    result = grade(given, rules)
    assert (result.colour, result.tier) == (colour, tier)
    assert bool(result.reasons) == (colour != "green")


@pytest.mark.parametrize(
    ("given", "colour", "reasons"),
    [
        (facts(people=2), "yellow", ("people>=2",)),
        (facts(people=5), "orange", ("people>=5",)),
        (facts(visits=3), "orange", ("visits>=3",)),
        (facts(amount=100_000), "orange", ("amount>=100000",)),
        (facts(people=50), "red", ("people>=50",)),
        (facts(flags=("violence",)), "red", ("flag:violence",)),
        # every condition of the winning colour is named, in the rule's order
        (
            facts(people=7, visits=4, amount=250_000),
            "orange",
            ("people>=5", "visits>=3", "amount>=100000"),
        ),
        (
            facts(people=60, flags=("extreme_risk", "violence", "minors")),
            "red",
            ("people>=50", "flag:extreme_risk", "flag:violence"),
        ),
    ],
)
def test_reasons_name_what_matched(
    rules: GradingFile, given: Facts, colour: str, reasons: tuple[str, ...]
) -> None:
    result = grade(given, rules)
    assert result.colour == colour
    assert result.reasons == reasons


@pytest.mark.parametrize(
    ("given", "colour"),
    [
        # yellow (people) and orange (visits): orange
        (facts(people=2, visits=3), "orange"),
        # orange (people, amount) and red (flag): red, and only red's reasons are given
        (facts(people=10, amount=500_000, flags=("violence",)), "red"),
        # orange (visits) and red (people)
        (facts(people=80, visits=9), "red"),
        # yellow and a non-grading flag
        (facts(people=3, flags=("minors",)), "yellow"),
    ],
)
def test_highest_colour_wins(rules: GradingFile, given: Facts, colour: str) -> None:
    result = grade(given, rules)
    assert result.colour == colour
    assert result.tier == rules.start_tier[result.colour]


def test_only_the_winning_colours_reasons_are_given(rules: GradingFile) -> None:
    result = grade(facts(people=10, amount=500_000, flags=("violence",)), rules)
    assert result.reasons == ("flag:violence",)


def test_category_rule_and_custom_start_tier() -> None:
    custom = GradingFile(
        red=GradeRule(categories_any=["petition"]),
        orange=GradeRule(flags_any=["family_violence"]),
        yellow=GradeRule(amount_at_least=1),
        start_tier={"red": "town", "orange": "town", "yellow": "town", "green": "town"},
    )
    assert grade(facts(category="petition"), custom).colour == "red"
    assert grade(facts(category="petition"), custom).reasons == ("category:petition",)
    assert grade(facts(category="petition"), custom).tier == "town"
    assert grade(facts(flags=("family_violence",)), custom).colour == "orange"
    assert grade(facts(amount=1), custom).colour == "yellow"
    assert grade(facts(amount=0), custom).colour == "green"
    assert grade(facts(amount=0), custom).tier == "town"


@pytest.mark.parametrize(
    ("colour", "raised"),
    [("green", "yellow"), ("yellow", "orange"), ("orange", "red"), ("red", "red")],
)
def test_raise_colour(colour: Colour, raised: Colour) -> None:
    assert raise_colour(colour) == raised


@pytest.mark.parametrize(
    ("tier", "raised"),
    [("village", "town"), ("town", "district"), ("district", "district")],
)
def test_raise_tier(tier: Tier, raised: Tier) -> None:
    assert raise_tier(tier) == raised


def test_raising_colour_repeatedly_reaches_red_and_stays() -> None:
    seen: list[Colour] = ["green"]
    for _ in range(5):
        seen.append(raise_colour(seen[-1]))
    assert seen == ["green", "yellow", "orange", "red", "red", "red"]
    assert tuple(seen[:4]) == COLOURS


@pytest.mark.parametrize(
    ("colour", "zh", "en"),
    [
        ("red", "红", "red"),
        ("orange", "橙", "orange"),
        ("yellow", "黄", "yellow"),
        ("green", "绿", "green"),
    ],
)
def test_colour_labels(colour: str, zh: str, en: str) -> None:
    assert colour_label(colour) == zh
    assert colour_label(colour, "zh") == zh
    assert colour_label(colour, "en") == en


@pytest.mark.parametrize(
    ("tier", "zh", "en"),
    [
        ("village", "村（社区）", "village/community"),
        ("town", "镇（街道）", "town/sub-district"),
        ("district", "区", "district"),
    ],
)
def test_tier_labels(tier: str, zh: str, en: str) -> None:
    assert tier_label(tier) == zh
    assert tier_label(tier, "en") == en


def test_unknown_label_falls_back_to_the_code() -> None:
    assert colour_label("purple") == "purple"
    assert tier_label("province", "en") == "province"
