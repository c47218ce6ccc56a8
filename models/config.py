"""District configuration: schema of the data files in the configuration folder and their loader.

Everything a district changes (areas, departments, categories, grading, routing, deadlines,
holidays, notice channels) is data. The loader validates every file and every cross-reference
and refuses to start on the first broken file, naming the file, the key and what is wrong.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from models.config_files import (
    CODE,
    COLOURS,
    TIERS,
    CategoriesFile,
    Category,
    Channel,
    ChannelsFile,
    Clocks,
    Colour,
    DeadlinesFile,
    DeliveryRules,
    Department,
    DepartmentsFile,
    DistrictFile,
    FiguresFile,
    Flag,
    GradeRule,
    GradingFile,
    RetentionFile,
    RetentionPeriod,
    RoutingFile,
    RoutingRule,
    SchedulesFile,
    Tier,
    Town,
    UnitTemplate,
    Village,
)


class ConfigError(Exception):
    """A configuration file is missing or wrong; the message names file, key and problem."""


# --- the loaded whole ------------------------------------------------------------------------


class DistrictConfig(BaseModel):
    """Every configuration file, validated and cross-checked; lookups by code."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    folder: Path
    district: DistrictFile
    departments: dict[str, Department]
    categories: dict[str, Category]
    flags: dict[str, Flag]
    channels_in: dict[str, Flag]
    grading: GradingFile
    routing: RoutingFile
    deadlines: DeadlinesFile
    channels: ChannelsFile
    schedules: SchedulesFile
    retention: RetentionFile = RetentionFile()
    figures: FiguresFile = FiguresFile()
    towns: dict[str, Town]
    villages: dict[str, tuple[Village, Town]]

    @property
    def timezone(self) -> str:
        return self.district.timezone

    def area(self, code: str) -> tuple[str, Tier, Town, Village | None]:
        """Resolve an area code (town or village) to (code, tier, town, village)."""
        if code in self.villages:
            village, town = self.villages[code]
            return code, "village", town, village
        if code in self.towns:
            return code, "town", self.towns[code], None
        raise KeyError(code)

    def find_area(self, text: str) -> str | None:
        """Return the area code for a code or an exact (unique) Chinese/English name."""
        if text in self.villages or text in self.towns:
            return text
        hits = [v.code for v, _ in self.villages.values() if text in (v.name, v.name_en)]
        hits += [t.code for t in self.towns.values() if text in (t.name, t.name_en)]
        return hits[0] if len(hits) == 1 else None

    def department_name(self, code: str, language: str = "zh") -> str:
        dept = self.departments.get(code)
        if dept is None:
            return code
        return dept.name_en or dept.name if language == "en" else dept.name

    def category_name(self, code: str, language: str = "zh") -> str:
        cat = self.categories.get(code)
        if cat is None:
            return code
        return cat.name_en or cat.name if language == "en" else cat.name


FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "district": ("district.yaml", DistrictFile),
    "departments": ("departments.yaml", DepartmentsFile),
    "categories": ("categories.yaml", CategoriesFile),
    "grading": ("grading.yaml", GradingFile),
    "routing": ("routing.yaml", RoutingFile),
    "deadlines": ("deadlines.yaml", DeadlinesFile),
    "channels": ("channels.yaml", ChannelsFile),
}

_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def _expand_env(value: Any, filename: str) -> Any:
    """Replace ${NAME} in string values (not comments) with the environment variable, so secrets
    stay out of the repository; an unset variable is an error naming it."""
    if isinstance(value, dict):
        return {k: _expand_env(v, filename) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, filename) for v in value]
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(f"{filename}: environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REF.sub(sub, value)


def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class _KeyTwice(Exception):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(f"{key}: written twice in one mapping (again on line {line})")


try:  # libyaml's parser: the same safe constructors, ~5x faster to read the district's files
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _OnceLoader(_SafeLoader):
    """YAML keeps the last of two equal keys without a word; a district's file must not."""


def _mapping_once(loader: _OnceLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise _KeyTwice(key, key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_OnceLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_once)


def _read(folder: Path, filename: str, schema: type[BaseModel]) -> Any:
    path = folder / filename
    if not path.is_file():
        raise ConfigError(f"{path}: file is missing")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_OnceLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except _KeyTwice as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if filename == "channels.yaml":
        raw = _expand_env(raw, str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = exc.error_count() - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        given = first.get("input")
        shown = f" (given: {given!r})" if isinstance(given, str | int | float) else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{path}: {_loc(first['loc'])}: {message}{shown}{extra}") from exc


def _unique(path: Path, key: str, codes: Iterable[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ConfigError(f"{path}: {key}: code '{code}' appears twice")
        seen.add(code)


def load_config(folder: Path) -> DistrictConfig:
    """Load, validate and cross-check every file of a configuration folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: configuration folder is missing")
    parsed = {key: _read(folder, name, schema) for key, (name, schema) in FILES.items()}
    district: DistrictFile = parsed["district"]
    depts_file: DepartmentsFile = parsed["departments"]
    cats_file: CategoriesFile = parsed["categories"]

    dpath, tpath = folder / "district.yaml", folder / "departments.yaml"
    _unique(dpath, "towns", [t.code for t in district.towns])
    _unique(dpath, "villages", [v.code for t in district.towns for v in t.villages])
    towns = {t.code: t for t in district.towns}
    villages = {v.code: (v, t) for t in district.towns for v in t.villages}
    if set(towns) & set(villages):
        raise ConfigError(
            f"{dpath}: a town and a village share the code(s) {set(towns) & set(villages)}"
        )

    departments: dict[str, Department] = {d.code: d for d in depts_file.departments}
    _unique(tpath, "departments", [d.code for d in depts_file.departments])
    _unique(tpath, "town_units", [u.suffix for u in depts_file.town_units])
    _unique(tpath, "village_units", [u.suffix for u in depts_file.village_units])
    for town in district.towns:
        for unit in depts_file.town_units:
            _add_unit(departments, town.code, town.name, town.name_en, unit)
        for village in town.villages:
            for unit in depts_file.village_units:
                _add_unit(departments, village.code, village.name, village.name_en, unit)

    cpath = folder / "categories.yaml"
    _unique(cpath, "categories", [c.code for c in cats_file.categories])
    categories = {c.code: c for c in cats_file.categories}
    _unique(cpath, "flags", [f.code for f in cats_file.flags])
    _unique(cpath, "channels", [f.code for f in cats_file.channels])
    flags = {f.code: f for f in cats_file.flags}
    channels_in = {f.code: f for f in cats_file.channels}

    grading: GradingFile = parsed["grading"]
    gpath = folder / "grading.yaml"
    for colour in ("red", "orange", "yellow"):
        grade_rule: GradeRule = getattr(grading, colour)
        for flag in grade_rule.flags_any:
            if flag not in flags:
                raise ConfigError(f"{gpath}: {colour}.flags_any: unknown flag '{flag}'")
        for cat in grade_rule.categories_any:
            if cat not in categories:
                raise ConfigError(f"{gpath}: {colour}.categories_any: unknown category '{cat}'")

    routing: RoutingFile = parsed["routing"]
    rpath = folder / "routing.yaml"
    for i, rule in enumerate(routing.rules):
        if rule.category != "*" and rule.category not in categories:
            raise ConfigError(f"{rpath}: rules[{i}].category: unknown category '{rule.category}'")
        for key, ref in [("lead", rule.lead)] + [(f"co[{j}]", r) for j, r in enumerate(rule.co)]:
            problem = _check_ref(ref, departments, depts_file)
            if problem:
                raise ConfigError(f"{rpath}: rules[{i}].{key}: {problem}")
    catch_all = [i for i, r in enumerate(routing.rules) if r.category == "*" and r.tier == "*"]
    if not catch_all or catch_all[0] != len(routing.rules) - 1:
        where = f"rules[{catch_all[0]}]" if catch_all else "rules"
        raise ConfigError(
            f"{rpath}: {where}: the catch-all rule (category '*', tier '*') must be the last rule; "
            "rules after it would never apply"
        )

    deadlines: DeadlinesFile = parsed["deadlines"]
    for cat in deadlines.categories:
        if cat not in categories:
            raise ConfigError(f"{folder / 'deadlines.yaml'}: categories.{cat}: unknown category")

    channels: ChannelsFile = parsed["channels"]
    for i, channel in enumerate(channels.channels):
        for j, pattern in enumerate(channel.to):
            code = pattern.split("/", 1)[0]
            if not any(fnmatchcase(c, code) for c in departments):
                raise ConfigError(
                    f"{folder / 'channels.yaml'}: channels[{i}].to[{j}]: '{pattern}' matches "
                    "no department"
                )

    schedules = SchedulesFile()
    if (folder / "schedules.yaml").is_file():
        schedules = _read(folder, "schedules.yaml", SchedulesFile)
    retention = RetentionFile()
    if (folder / "retention.yaml").is_file():
        retention = _read(folder, "retention.yaml", RetentionFile)
    figures = _figures(folder, categories, channels_in)

    return DistrictConfig(
        folder=folder,
        schedules=schedules,
        retention=retention,
        figures=figures,
        district=district,
        departments=departments,
        categories=categories,
        flags=flags,
        channels_in=channels_in,
        grading=grading,
        routing=routing,
        deadlines=deadlines,
        channels=parsed["channels"],
        towns=towns,
        villages=villages,
    )


def _figures(
    folder: Path, categories: dict[str, Category], channels_in: dict[str, Flag]
) -> FiguresFile:
    """The optional figures.yaml, with every category and channel it names checked."""
    path = folder / "figures.yaml"
    if not path.is_file():
        return FiguresFile()
    figures: FiguresFile = _read(folder, "figures.yaml", FiguresFile)
    _unique(path, "figures", [f.key for f in figures.figures])
    for i, rule in enumerate(figures.figures):
        for key, codes, known in (
            ("categories", rule.categories, categories),
            ("channels", rule.channels, channels_in),
        ):
            for j, code in enumerate(codes):
                if code not in known:
                    raise ConfigError(f"{path}: figures[{i}].{key}[{j}]: unknown code '{code}'")
    return figures


def _add_unit(
    departments: dict[str, Department], area: str, name: str, name_en: str, unit: UnitTemplate
) -> None:
    code = f"{area}.{unit.suffix}"
    # Unit codes carry a dot on purpose (T01.judicial_office), which the file pattern forbids.
    departments[code] = Department.model_construct(
        code=code,
        name=unit.name.replace("{area}", name),
        name_en=unit.name_en.replace("{area}", name_en or area),
        group="unit",
    )


def _check_ref(ref: str, departments: dict[str, Department], depts: DepartmentsFile) -> str | None:
    """Say what is wrong with a routing department reference, or None."""
    if ref.startswith("@town."):
        suffix = ref.removeprefix("@town.")
        if suffix not in {u.suffix for u in depts.town_units}:
            return f"'{ref}': no town unit '{suffix}' in departments.yaml town_units"
        return None
    if ref.startswith("@village."):
        suffix = ref.removeprefix("@village.")
        if suffix not in {u.suffix for u in depts.village_units}:
            return f"'{ref}': no village unit '{suffix}' in departments.yaml village_units"
        return None
    if ref not in departments:
        return f"unknown department '{ref}'"
    return None


__all__ = [
    "CODE",
    "COLOURS",
    "TIERS",
    "CategoriesFile",
    "Category",
    "Channel",
    "ChannelsFile",
    "Clocks",
    "Colour",
    "ConfigError",
    "DeadlinesFile",
    "DeliveryRules",
    "Department",
    "DepartmentsFile",
    "DistrictConfig",
    "DistrictFile",
    "FiguresFile",
    "Flag",
    "GradeRule",
    "GradingFile",
    "RetentionFile",
    "RetentionPeriod",
    "RoutingFile",
    "RoutingRule",
    "SchedulesFile",
    "Tier",
    "Town",
    "UnitTemplate",
    "Village",
    "load_config",
]
