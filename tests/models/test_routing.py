"""Routing on the sample district: lead and co-handlers per category, tier and area."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models.config import DistrictConfig, load_config
from models.routing import NoRoute, Route, route

ROOT = Path(__file__).resolve().parents[2]
TIERS = ("village", "town", "district")


@pytest.fixture(scope="module")
def config() -> DistrictConfig:
    return load_config(ROOT / "config")


def config_with_rules(tmp_path: Path, rules: str) -> DistrictConfig:
    """The sample district with routing.yaml replaced by `rules` (YAML list items)."""
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    (folder / "routing.yaml").write_text("rules:\n" + rules, encoding="utf-8")
    return load_config(folder)


@pytest.mark.parametrize(
    ("category", "tier", "town", "village", "lead", "co"),
    [
        # 信访: the Letters and Visits Bureau at every tier
        ("petition", "village", "T01", "T01V01", "petitions", ()),
        ("petition", "town", "T02", None, "petitions", ()),
        ("petition", "district", "T03", "T03V02", "petitions", ()),
        # 拖欠工资: HRSS with police and justice, at every tier
        ("wage_arrears", "village", "T01", "T01V03", "hrss", ("public_security", "justice")),
        ("wage_arrears", "town", "T01", None, "hrss", ("public_security", "justice")),
        ("wage_arrears", "district", "T04", None, "hrss", ("public_security", "justice")),
        # 婚姻家庭: the village's mediation committee with the Women's Federation...
        ("family", "village", "T01", "T01V01", "T01V01.mediation", ("womens_federation",)),
        ("family", "village", "T02", "T02V03", "T02V03.mediation", ("womens_federation",)),
        # ...from the town up the Women's Federation leads with the police
        ("family", "town", "T01", "T01V01", "womens_federation", ("public_security",)),
        ("family", "district", "T01", None, "womens_federation", ("public_security",)),
        # 心理咨询
        ("counselling", "village", "T01", "T01V02", "health", ()),
        ("counselling", "town", "T02", None, "health", ()),
        ("counselling", "district", "T01", None, "health", ()),
        # 邻里纠纷: village mediation → town judicial office → justice bureau
        ("neighbour", "village", "T01", "T01V05", "T01V05.mediation", ()),
        ("neighbour", "town", "T02", "T02V01", "T02.judicial_office", ()),
        ("neighbour", "district", "T02", "T02V01", "justice", ()),
        # 劳动纠纷
        ("labour", "village", "T01", "T01V01", "T01V01.mediation", ("hrss",)),
        ("labour", "town", "T01", None, "hrss", ()),
        # 法律咨询: in a village the town's judicial office answers
        ("legal_consult", "village", "T03", "T03V01", "T03.judicial_office", ()),
        ("legal_consult", "district", "T03", None, "justice", ()),
        # 涉企纠纷: justice joins at the district
        ("enterprise", "district", "T01", None, "market_regulation", ("justice",)),
        ("enterprise", "town", "T01", None, "market_regulation", ()),
        # everything else: village station → town center → Political-Legal Committee
        ("other", "village", "T01", "T01V01", "T01V01.center", ()),
        ("other", "town", "T02", None, "T02.center", ()),
        ("other", "district", "T02", None, "politics_law", ()),
    ],
)
def test_sample_routing_table(
    config: DistrictConfig,
    category: str,
    tier: str,
    town: str,
    village: str | None,
    lead: str,
    co: tuple[str, ...],
) -> None:
    result = route(config, category=category, tier=tier, town=town, village=village)
    assert (result.lead, result.co) == (lead, co)
    assert result.lead in config.departments
    assert all(c in config.departments for c in result.co)
    chosen = config.routing.rules[result.rule_index]
    assert chosen.category in ("*", category)
    assert chosen.tier in ("*", tier)


@pytest.mark.parametrize(
    ("category", "lead", "co"),
    [
        # village-only "@village.mediation" rule skipped → the next rule that resolves
        ("neighbour", "T01.judicial_office", ()),
        ("labour", "hrss", ()),
        ("family", "womens_federation", ("public_security",)),
        # catch-all village rule skipped → the town's center
        ("other", "T01.center", ()),
    ],
)
def test_village_rule_skipped_when_the_area_is_a_whole_town(
    config: DistrictConfig, category: str, lead: str, co: tuple[str, ...]
) -> None:
    with_village = route(config, category=category, tier="village", town="T01", village="T01V01")
    on_town = route(config, category=category, tier="village", town="T01", village=None)
    assert (on_town.lead, on_town.co) == (lead, co)
    assert on_town.rule_index > with_village.rule_index
    assert config.routing.rules[with_village.rule_index].lead.startswith("@village.")


@pytest.mark.parametrize("tier", TIERS)
def test_every_sample_category_routes_at_every_tier(config: DistrictConfig, tier: str) -> None:
    for category in config.categories:
        for village in ("T01V01", None):
            result = route(config, category=category, tier=tier, town="T01", village=village)
            assert isinstance(result, Route)
            assert result.lead in config.departments
            assert result.lead not in result.co


def test_first_matching_rule_wins(tmp_path: Path) -> None:
    cfg = config_with_rules(
        tmp_path,
        "  - {category: neighbour, tier: '*', lead: justice}\n"
        "  - {category: neighbour, tier: village, lead: '@village.mediation'}\n"
        "  - {category: '*', tier: '*', lead: politics_law}\n",
    )
    result = route(cfg, category="neighbour", tier="village", town="T01", village="T01V01")
    assert (result.lead, result.rule_index) == ("justice", 0)
    assert route(cfg, category="family", tier="town", town="T01", village=None).rule_index == 2


def test_co_handlers_drop_the_lead_duplicates_and_unresolvable_units(tmp_path: Path) -> None:
    cfg = config_with_rules(
        tmp_path,
        "  - {category: family, tier: '*', lead: '@town.judicial_office',"
        " co: [justice, '@town.judicial_office', '@village.mediation', justice, health]}\n"
        "  - {category: '*', tier: '*', lead: politics_law}\n",
    )
    on_village = route(cfg, category="family", tier="village", town="T01", village="T01V02")
    assert on_village == Route("T01.judicial_office", ("justice", "T01V02.mediation", "health"), 0)
    on_town = route(cfg, category="family", tier="town", town="T01", village=None)
    assert on_town == Route("T01.judicial_office", ("justice", "health"), 0)


def test_config_whose_rules_cannot_resolve_raises_no_route(tmp_path: Path) -> None:
    cfg = config_with_rules(
        tmp_path,
        "  - {category: neighbour, tier: village, lead: '@village.mediation'}\n"
        "  - {category: '*', tier: '*', lead: '@village.center'}\n",
    )
    # with a village both rules can be filled in
    ok = route(cfg, category="neighbour", tier="village", town="T01", village="T01V01")
    assert ok.lead == "T01V01.mediation"
    # on a whole town neither can: a configuration gap, named in the error
    with pytest.raises(NoRoute) as caught:
        route(cfg, category="neighbour", tier="village", town="T01", village=None)
    message = str(caught.value)
    assert "neighbour" in message
    assert "village" in message
    assert "T01" in message
