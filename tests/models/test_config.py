"""The district configuration: the sample folder loads and holds what the product relies on,
and every broken file is refused with a message naming the file, the key and the bad value."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.config import ConfigError, DistrictConfig, Town, Village, load_config
from models.durations import Duration
from models.routing import route

SAMPLE = Path(__file__).resolve().parents[2] / "config"

STANDING = {
    "politics_law": "政法委",
    "organisation": "组织部",
    "public_security": "公安",
    "civil_affairs": "民政",
    "justice": "司法",
    "housing": "住建",
    "hrss": "人社",
    "health": "卫健",
    "petitions": "信访",
    "womens_federation": "妇联",
}
PLUS_N = {"market_regulation", "natural_resources", "education", "emergency"}
CATEGORIES = {
    "labour": "劳动纠纷",
    "wage_arrears": "拖欠工资",
    "neighbour": "邻里纠纷",
    "family": "婚姻家庭纠纷",
    "property": "物业纠纷",
    "land": "土地/草牧场纠纷",
    "medical": "医疗纠纷",
    "consumer": "消费纠纷",
    "traffic": "交通事故纠纷",
    "petition": "信访事项",
    "legal_consult": "法律咨询",
    "counselling": "心理咨询",
    "women_children": "妇女儿童权益",
    "enterprise": "涉企纠纷",
    "other": "其他",
}
FLAGS = {
    "extreme_risk": "极端风险",
    "violence": "暴力倾向",
    "group_incident": "群体性事件苗头",
    "family_violence": "家庭暴力",
    "minors": "涉及未成年人",
    "elderly": "涉及老年人",
    "disability": "涉及残疾人",
}
INTAKE_CHANNELS = {
    "walk_in": "来访",
    "hotline": "12345热线",
    "phone": "来电",
    "grid": "网格上报",
    "web": "网上信访",
    "letter": "来信",
    "referral": "上级交办",
}
VILLAGE_KIND = {"subdistrict": "community", "town": "village", "sumu": "gacha"}


@pytest.fixture(scope="module")
def sample() -> DistrictConfig:
    return load_config(SAMPLE)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the sample folder that a test may break."""
    return Path(shutil.copytree(SAMPLE, tmp_path / "config"))


# --- the sample district ---------------------------------------------------------------------


def test_sample_is_marked_as_sample(sample: DistrictConfig) -> None:
    assert sample.district.sample is True
    assert sample.timezone == "Asia/Shanghai"


def test_sample_has_8_towns_and_86_villages(sample: DistrictConfig) -> None:
    assert list(sample.towns) == [f"T0{n}" for n in range(1, 9)]
    assert len(sample.villages) == 86
    assert sum(len(t.villages) for t in sample.district.towns) == 86


def test_sample_mixes_town_kinds_and_village_kinds_follow_their_town(
    sample: DistrictConfig,
) -> None:
    assert {t.kind for t in sample.towns.values()} == {"subdistrict", "town", "sumu"}
    for code, (village, town) in sample.villages.items():
        assert code.startswith(f"{town.code}V"), code
        assert village.kind == VILLAGE_KIND[town.kind], code


def test_every_area_has_a_unique_chinese_and_english_name(sample: DistrictConfig) -> None:
    areas: list[Town | Village] = [
        *sample.towns.values(),
        *(v for v, _ in sample.villages.values()),
    ]
    assert all(a.name and a.name_en for a in areas)
    assert len({a.name for a in areas}) == len(areas)
    assert len({a.name_en for a in areas}) == len(areas)


def test_standing_departments_have_their_codes_and_chinese_names(sample: DistrictConfig) -> None:
    standing = {c: d for c, d in sample.departments.items() if d.group == "standing"}
    assert {c: d.name for c, d in standing.items()} == STANDING
    assert all(d.name_en for d in standing.values())


def test_plus_n_departments_and_the_center(sample: DistrictConfig) -> None:
    for code in PLUS_N:
        assert sample.departments[code].group == "plus_n"
    assert sample.departments["center"].group == "center"
    assert sample.departments["center"].name == "区社会治理中心"


def test_every_town_gets_its_units(sample: DistrictConfig) -> None:
    for code, town in sample.towns.items():
        assert sample.departments[f"{code}.judicial_office"].name == f"{town.name}司法所"
        assert sample.departments[f"{code}.police_station"].name == f"{town.name}派出所"
        center = sample.departments[f"{code}.center"]
        assert town.name in center.name
        assert center.name_en.startswith(town.name_en)


def test_every_village_gets_its_units(sample: DistrictConfig) -> None:
    for code, (village, _town) in sample.villages.items():
        mediation = sample.departments[f"{code}.mediation"]
        assert mediation.name == f"{village.name}人民调解委员会"
        assert mediation.name_en.startswith(village.name_en)
        assert village.name in sample.departments[f"{code}.center"].name


def test_units_are_not_made_for_the_other_tier(sample: DistrictConfig) -> None:
    assert "T01.mediation" not in sample.departments
    assert "T01V01.judicial_office" not in sample.departments


def test_sample_categories_flags_and_intake_channels(sample: DistrictConfig) -> None:
    assert {c: sample.categories[c].name for c in CATEGORIES} == CATEGORIES
    assert all(c.name_en and c.group for c in sample.categories.values())
    assert sample.categories["petition"].group == "petitions"
    assert {c: f.name for c, f in sample.flags.items() if c in FLAGS} == FLAGS
    assert {c: f.name for c, f in sample.channels_in.items()} == INTAKE_CHANNELS


def test_names_by_language(sample: DistrictConfig) -> None:
    assert sample.department_name("hrss") == "人社"
    assert sample.department_name("public_security", "en") == "Public Security Bureau"
    assert sample.department_name("T01.judicial_office", "en").endswith("Judicial Office")
    assert sample.department_name("nobody") == "nobody"
    assert sample.category_name("wage_arrears") == "拖欠工资"
    assert sample.category_name("wage_arrears", "en") == "Wage arrears"


# --- cross-checks of the sample ------------------------------------------------------------------


def test_every_routing_reference_resolves_in_every_area(sample: DistrictConfig) -> None:
    for i, rule in enumerate(sample.routing.rules):
        for ref in [rule.lead, *rule.co]:
            if ref.startswith("@town."):
                codes = [f"{t}.{ref.removeprefix('@town.')}" for t in sample.towns]
            elif ref.startswith("@village."):
                codes = [f"{v}.{ref.removeprefix('@village.')}" for v in sample.villages]
            else:
                codes = [ref]
            missing = [c for c in codes if c not in sample.departments]
            assert not missing, f"rules[{i}]: {ref} does not resolve for {missing[:3]}"


def test_routing_ends_with_the_catch_all_to_a_plain_department(sample: DistrictConfig) -> None:
    last = sample.routing.rules[-1]
    assert (last.category, last.tier, last.lead) == ("*", "*", "politics_law")
    catch_alls = [r for r in sample.routing.rules if r.category == "*" and r.tier == "*"]
    assert catch_alls == [last]


@pytest.mark.parametrize("category", [*CATEGORIES, "not_a_category"])
@pytest.mark.parametrize("tier", ["village", "town", "district"])
@pytest.mark.parametrize("area", ["T01V01", "T05V14", "T08V08", "T03", "T08"])
def test_every_category_routes_at_every_tier_and_area(
    sample: DistrictConfig, category: str, tier: str, area: str
) -> None:
    _code, _tier, town, village = sample.area(area)
    found = route(
        sample,
        category=category,
        tier=tier,
        town=town.code,
        village=village.code if village else None,
    )
    assert found.lead in sample.departments
    assert all(c in sample.departments for c in found.co)


# (category, tier, area) -> (lead, co): the sample defaults the product documents.
ROUTES = [
    ("petition", "village", "T05V01", "petitions", ()),
    ("petition", "town", "T05V01", "petitions", ()),
    ("petition", "district", "T05", "petitions", ()),
    ("wage_arrears", "village", "T05V01", "hrss", ("public_security", "justice")),
    ("wage_arrears", "district", "T02", "hrss", ("public_security", "justice")),
    ("labour", "village", "T06V02", "T06V02.mediation", ("hrss",)),
    ("labour", "village", "T06", "hrss", ()),
    ("labour", "town", "T06V02", "hrss", ()),
    ("neighbour", "village", "T01V03", "T01V03.mediation", ()),
    ("neighbour", "village", "T01", "T01.judicial_office", ()),
    ("neighbour", "town", "T01V03", "T01.judicial_office", ()),
    ("neighbour", "district", "T01V03", "justice", ()),
    ("family", "village", "T07V01", "T07V01.mediation", ("womens_federation",)),
    ("family", "town", "T07V01", "womens_federation", ("public_security",)),
    ("family", "district", "T07", "womens_federation", ("public_security",)),
    ("women_children", "village", "T02V02", "womens_federation", ("public_security",)),
    ("counselling", "town", "T02", "health", ()),
    ("land", "village", "T08V01", "natural_resources", ()),
    ("consumer", "town", "T03", "market_regulation", ()),
    ("medical", "district", "T03V01", "health", ("justice",)),
    ("traffic", "town", "T04V01", "public_security", ()),
    ("property", "village", "T04V02", "housing", ()),
    ("legal_consult", "village", "T06V03", "T06.judicial_office", ()),
    ("legal_consult", "district", "T06V03", "justice", ()),
    ("enterprise", "district", "T05", "market_regulation", ("justice",)),
    ("enterprise", "town", "T05", "market_regulation", ()),
    ("other", "village", "T08V02", "T08V02.center", ()),
    ("other", "village", "T08", "T08.center", ()),
    ("other", "town", "T08V02", "T08.center", ()),
    ("other", "district", "T08V02", "politics_law", ()),
]


@pytest.mark.parametrize(("category", "tier", "area", "lead", "co"), ROUTES)
def test_sample_routing_defaults(
    sample: DistrictConfig, category: str, tier: str, area: str, lead: str, co: tuple[str, ...]
) -> None:
    _code, _tier, town, village = sample.area(area)
    found = route(
        sample,
        category=category,
        tier=tier,
        town=town.code,
        village=village.code if village else None,
    )
    assert (found.lead, found.co) == (lead, co)


def test_grading_uses_known_flags_and_categories(sample: DistrictConfig) -> None:
    for colour in ("red", "orange", "yellow"):
        rule = getattr(sample.grading, colour)
        assert set(rule.flags_any) <= set(sample.flags), colour
        assert set(rule.categories_any) <= set(sample.categories), colour


def test_sample_grading_thresholds(sample: DistrictConfig) -> None:
    g = sample.grading
    assert (g.red.people_at_least, set(g.red.flags_any)) == (50, {"extreme_risk", "violence"})
    assert (g.orange.people_at_least, g.orange.visits_at_least, g.orange.amount_at_least) == (
        5,
        3,
        100000,
    )
    assert g.yellow.people_at_least == 2
    assert g.start_tier == {
        "green": "village",
        "yellow": "village",
        "orange": "town",
        "red": "district",
    }


@pytest.mark.parametrize(
    ("colour", "acknowledge", "resolve", "report"),
    [
        ("red", "30m", "3wd", "2wd"),
        ("orange", "2h", "5wd", "4wd"),
        ("yellow", "1wd", "10wd", "8wd"),
        ("green", "1wd", "15wd", "12wd"),
    ],
)
def test_sample_deadlines_by_colour(
    sample: DistrictConfig, colour: str, acknowledge: str, resolve: str, report: str
) -> None:
    clocks = sample.deadlines.colours[colour]  # type: ignore[index]
    assert (clocks.acknowledge, clocks.resolve, clocks.report) == (
        Duration.parse(acknowledge),
        Duration.parse(resolve),
        Duration.parse(report),
    )


def test_sample_petition_deadlines_and_feedback(sample: DistrictConfig) -> None:
    petition = sample.deadlines.categories["petition"]
    assert (petition.acknowledge, petition.resolve) == (Duration(15, "days"), Duration(60, "days"))
    assert petition.report is None
    assert sample.deadlines.feedback == Duration(7, "days")


def test_sample_channels_load_without_secrets_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("WHISTLE_SMTP_PASSWORD", "WHISTLE_WECOM_JUDICIAL_KEY", "WHISTLE_INBOX_PORT"):
        monkeypatch.delenv(name, raising=False)
    channels = load_config(SAMPLE).channels
    assert [(c.url, c.to) for c in channels.channels] == [
        ("json://127.0.0.1:8765/inbox/{recipient}", ["*"])
    ]
    assert channels.citizen == ["json://127.0.0.1:8765/sms?:to={phone}"]


def test_the_sample_inbox_port_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHISTLE_INBOX_PORT", "8800")  # what `whistle up --inbox-port 8800` sets
    channels = load_config(SAMPLE).channels
    assert channels.channels[0].url == "json://127.0.0.1:8800/inbox/{recipient}"
    assert channels.citizen == ["json://127.0.0.1:8800/sms?:to={phone}"]


# --- find_area --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("T01", "T01"),
        ("T05V14", "T05V14"),
        ("东园街道", "T01"),
        ("云杉苏木", "T08"),
        ("和平社区", "T01V01"),
        ("青草嘎查", "T08V01"),
        ("Qinghe Town", "T05"),
        ("Liu'an Community", "T03V06"),
        ("不存在村", None),
        ("和平", None),  # a name must match exactly
        ("t01", None),  # codes are case-sensitive
        ("", None),
    ],
)
def test_find_area(sample: DistrictConfig, text: str, code: str | None) -> None:
    assert sample.find_area(text) == code


def test_find_area_by_every_name(sample: DistrictConfig) -> None:
    for code, town in sample.towns.items():
        assert sample.find_area(town.name) == code
    for code, (village, _town) in sample.villages.items():
        assert sample.find_area(village.name) == code
        assert sample.find_area(village.name_en) == code


def test_find_area_refuses_an_ambiguous_name(folder: Path) -> None:
    def rename(data: dict[str, Any]) -> None:
        data["towns"][1]["villages"][0]["name"] = "和平社区"  # as T01V01

    _edit(folder, "district.yaml", rename)
    config = load_config(folder)
    assert config.find_area("和平社区") is None
    assert config.find_area("T02V01") == "T02V01"


def test_area_resolves_village_to_its_town(sample: DistrictConfig) -> None:
    code, tier, town, village = sample.area("T05V03")
    assert (code, tier, town.code, village and village.code) == (
        "T05V03",
        "village",
        "T05",
        "T05V03",
    )
    code, tier, town, village = sample.area("T05")
    assert (code, tier, town.code, village) == ("T05", "town", "T05", None)
    with pytest.raises(KeyError):
        sample.area("T09")


# --- broken folders ---------------------------------------------------------------------------


def _edit(folder: Path, filename: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _set(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _delete(*keys: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return change


def _append(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in keys:
            node = node[key]
        node.append(value)

    return change


BROKEN: list[Any] = [
    # district.yaml
    pytest.param(
        "district.yaml",
        _set("towns", 2, "villages", 4, "population", value=3000),
        ["towns[2].villages[4].population", "is not a known field"],
        id="unknown-key-in-village",
    ),
    pytest.param(
        "district.yaml",
        _set("towns", 1, "villages", 0, "code", value="T01V01"),
        ["villages", "'T01V01'", "twice"],
        id="duplicate-village-code",
    ),
    pytest.param(
        "district.yaml",
        _set("towns", 1, "code", value="T01"),
        ["towns", "'T01'", "twice"],
        id="duplicate-town-code",
    ),
    pytest.param(
        "district.yaml",
        _set("towns", 7, "code", value="T01V01"),
        ["T01V01", "share"],
        id="town-and-village-share-a-code",
    ),
    pytest.param(
        "district.yaml",
        _set("towns", 0, "villages", 0, "code", value="T01-V01"),
        ["towns[0].villages[0].code", "pattern"],
        id="bad-code",
    ),
    pytest.param(
        "district.yaml",
        _set("towns", 3, "villages", value=[]),
        ["towns[3].villages"],
        id="town-without-villages",
    ),
    pytest.param(
        "district.yaml",
        _set("towns", 4, "kind", value="city"),
        ["towns[4].kind", "'town'"],
        id="unknown-town-kind",
    ),
    # departments.yaml
    pytest.param(
        "departments.yaml",
        _set("departments", 0, "phone", value="110"),
        ["departments[0].phone", "is not a known field"],
        id="unknown-key-in-department",
    ),
    pytest.param(
        "departments.yaml",
        _append("departments", value={"code": "justice", "name": "司法局"}),
        ["departments", "'justice'", "twice"],
        id="duplicate-department",
    ),
    pytest.param(
        "departments.yaml",
        _set("departments", 1, "group", value="permanent"),
        ["departments[1].group", "'standing'"],
        id="unknown-department-group",
    ),
    # categories.yaml
    pytest.param(
        "categories.yaml",
        _append("categories", value={"code": "labour", "name": "劳动争议"}),
        ["categories", "'labour'", "twice"],
        id="duplicate-category",
    ),
    pytest.param(
        "categories.yaml",
        _delete("categories", 0, "name"),
        ["categories[0].name", "is required"],
        id="category-without-name",
    ),
    # grading.yaml
    pytest.param(
        "grading.yaml",
        _delete("start_tier", "green"),
        ["start_tier", "green"],
        id="missing-start-tier-colour",
    ),
    pytest.param(
        "grading.yaml",
        _set("start_tier", "red", value="city"),
        ["start_tier.red"],
        id="unknown-start-tier",
    ),
    pytest.param(
        "grading.yaml",
        _append("red", "flags_any", value="rage"),
        ["red.flags_any", "'rage'"],
        id="unknown-flag",
    ),
    pytest.param(
        "grading.yaml",
        _set("orange", "categories_any", value=["riot"]),
        ["orange.categories_any", "'riot'"],
        id="unknown-category-in-grading",
    ),
    pytest.param(
        "grading.yaml",
        _set("yellow", "people_at_least", value=0),
        ["yellow.people_at_least"],
        id="people-at-least-zero",
    ),
    pytest.param(
        "grading.yaml",
        _delete("red"),
        ["red", "is required"],
        id="missing-colour-rule",
    ),
    # routing.yaml
    pytest.param(
        "routing.yaml",
        _set("rules", 2, "lead", value="police"),
        ["rules[2].lead", "unknown department 'police'"],
        id="unknown-lead",
    ),
    pytest.param(
        "routing.yaml",
        _set("rules", 1, "co", 1, value="labour_bureau"),
        ["rules[1].co[1]", "'labour_bureau'"],
        id="unknown-co",
    ),
    pytest.param(
        "routing.yaml",
        _set("rules", 3, "lead", value="@town.court"),
        ["rules[3].lead", "'@town.court'", "town_units"],
        id="unknown-town-unit",
    ),
    pytest.param(
        "routing.yaml",
        _set("rules", 2, "lead", value="@village.judicial_office"),
        ["rules[2].lead", "'@village.judicial_office'", "village_units"],
        id="town-unit-named-as-village-unit",
    ),
    pytest.param(
        "routing.yaml",
        _set("rules", 2, "lead", value="@county.center"),
        ["rules[2].lead", "pattern"],
        id="bad-reference",
    ),
    pytest.param(
        "routing.yaml",
        _set("rules", 0, "category", value="noise"),
        ["rules[0].category", "unknown category 'noise'"],
        id="unknown-category-in-routing",
    ),
    pytest.param(
        "routing.yaml",
        _set("rules", 4, "tier", value="province"),
        ["rules[4].tier", "'village'"],
        id="unknown-tier",
    ),
    pytest.param(
        "routing.yaml",
        _delete("rules", -1),
        ["rules", "catch-all"],
        id="missing-catch-all",
    ),
    pytest.param(
        "routing.yaml",
        _set("rules", value=[]),
        ["rules"],
        id="no-rules",
    ),
    # deadlines.yaml
    pytest.param(
        "deadlines.yaml",
        _set("colours", "red", "resolve", value="3 weeks"),
        ["colours.red.resolve", "'3 weeks' is not a duration"],
        id="bad-duration",
    ),
    pytest.param(
        "deadlines.yaml",
        _set("colours", "orange", "acknowledge", value="0h"),
        ["colours.orange.acknowledge", "'0h'", "longer than zero"],
        id="zero-duration",
    ),
    pytest.param(
        "deadlines.yaml",
        _set("feedback", value="a week"),
        ["feedback", "'a week'"],
        id="bad-feedback-duration",
    ),
    pytest.param(
        "deadlines.yaml",
        _delete("colours", "green", "resolve"),
        ["colours", "green needs both acknowledge and resolve"],
        id="colour-without-resolve",
    ),
    pytest.param(
        "deadlines.yaml",
        _delete("colours", "yellow"),
        ["colours", "yellow"],
        id="missing-colour",
    ),
    pytest.param(
        "deadlines.yaml",
        _set("categories", "petitions", value={"resolve": "60d"}),
        ["categories.petitions", "unknown category"],
        id="unknown-category-in-deadlines",
    ),
    # channels.yaml
    pytest.param(
        "channels.yaml",
        _set("channels", 0, "to", value=[]),
        ["channels[0].to"],
        id="channel-without-recipients",
    ),
    pytest.param(
        "channels.yaml",
        _set("channels", 0, "language", value="mn"),
        ["channels[0].language", "'zh'"],
        id="unknown-channel-language",
    ),
]


@pytest.mark.parametrize(("filename", "change", "expected"), BROKEN)
def test_broken_file_is_refused_naming_file_key_and_value(
    folder: Path, filename: str, change: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    _edit(folder, filename, change)
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert str(folder / filename) in message
    for fragment in expected:
        assert fragment in message


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration folder is missing"):
        load_config(tmp_path / "nowhere")


@pytest.mark.parametrize("filename", ["district.yaml", "routing.yaml", "channels.yaml"])
def test_missing_file(folder: Path, filename: str) -> None:
    (folder / filename).unlink()
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert f"{folder / filename}: file is missing" in str(caught.value)


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        ("district.yaml", "towns: [T01\n  - oops: [\n", "not valid YAML"),
        ("deadlines.yaml", "colours:\n\tred: {}\n", "not valid YAML"),
        ("grading.yaml", "", "expected a mapping"),
        ("routing.yaml", "- {lead: justice}\n", "expected a mapping"),
    ],
)
def test_unreadable_file(folder: Path, filename: str, text: str, expected: str) -> None:
    (folder / filename).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(folder / filename) in str(caught.value)
    assert expected in str(caught.value)


def test_several_problems_are_counted(folder: Path) -> None:
    def two(data: dict[str, Any]) -> None:
        data["departments"][0]["phone"] = "110"
        data["departments"][1]["fax"] = "110"

    _edit(folder, "departments.yaml", two)
    with pytest.raises(ConfigError, match=r"departments\[0\]\.phone.*and 1 more"):
        load_config(folder)


# --- secrets in channels.yaml ----------------------------------------------------------------


def _secret_channel(url: str) -> Callable[[dict[str, Any]], None]:
    return _append("channels", value={"url": url, "to": ["center"]})


def test_unset_environment_variable_is_refused(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WHISTLE_TEST_UNSET_SECRET", raising=False)
    _edit(folder, "channels.yaml", _secret_channel("wecombot://${WHISTLE_TEST_UNSET_SECRET}"))
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert "channels.yaml" in message
    assert "WHISTLE_TEST_UNSET_SECRET is not set" in message


def test_environment_variable_is_filled_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHISTLE_TEST_SECRET", "k3y-Abc")
    _edit(folder, "channels.yaml", _secret_channel("wecombot://${WHISTLE_TEST_SECRET}"))
    channels = load_config(folder).channels.channels
    assert channels[-1].url == "wecombot://k3y-Abc"
    assert channels[-1].to == ["center"]


def test_secret_with_yaml_special_characters_is_kept_verbatim(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHISTLE_TEST_SECRET", 'p"a\\ss: #1')
    _edit(folder, "channels.yaml", _secret_channel("mailtos://u:${WHISTLE_TEST_SECRET}@mail.test"))
    assert load_config(folder).channels.channels[-1].url == 'mailtos://u:p"a\\ss: #1@mail.test'


def test_reference_in_a_comment_is_ignored(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WHISTLE_TEST_UNSET_SECRET", raising=False)
    path = folder / "channels.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "# - url: wecombot://${WHISTLE_TEST_UNSET_SECRET}\n",
        encoding="utf-8",
    )
    assert load_config(folder).channels.channels
