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
    Open311File,
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
from models.places import FILENAME as BOUNDARIES
from models.places import Places, PlacesError, load_places
from models.refusals import Code, ConfigError, issue_of, location

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
    open311: Open311File = Open311File()
    places: Places | None = None  # the areas' boundaries, when boundaries.geojson is there
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

    def area_name(self, code: str, language: str = "zh") -> str:
        """A town's or village's name; an unknown code as it is."""
        place: Town | Village | None = self.towns.get(code)
        if place is None and code in self.villages:
            place = self.villages[code][0]
        if place is None:
            return code
        return place.name_en or place.name if language == "en" else place.name


FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "district": ("district.yaml", DistrictFile),
    "departments": ("departments.yaml", DepartmentsFile),
    "categories": ("categories.yaml", CategoriesFile),
    "grading": ("grading.yaml", GradingFile),
    "routing": ("routing.yaml", RoutingFile),
    "deadlines": ("deadlines.yaml", DeadlinesFile),
    "channels": ("channels.yaml", ChannelsFile),
}

_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}")


def _expand_env(value: Any, filename: str) -> Any:
    """Replace ${NAME} in string values (not comments) with the environment variable, so secrets
    stay out of the repository; an unset variable is an error naming it, unless the reference
    gives a default as the shell does: ${WHISTLE_INBOX_PORT:-8765}."""
    if isinstance(value, dict):
        return {k: _expand_env(v, filename) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, filename) for v in value]
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name not in os.environ and default is not None:
            return default
        if name not in os.environ:
            raise ConfigError(Code.config_env_unset, path=filename, name=name)
        return os.environ[name]

    return _ENV_REF.sub(sub, value)


def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class _KeyTwice(Exception):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(key)
        self.key, self.line = key, line


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
        raise ConfigError(Code.config_file_missing, path=str(path))
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_OnceLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(Code.config_yaml, path=str(path), error=str(exc)) from exc
    except _KeyTwice as exc:
        raise ConfigError(
            Code.config_key_twice, path=str(path), key=str(exc.key), line=exc.line
        ) from None
    if filename == "channels.yaml":
        raw = _expand_env(raw, str(path))
    if not isinstance(raw, dict):
        raise ConfigError(Code.config_not_mapping, path=str(path))
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _loc(first["loc"])
        given = first.get("input")
        raise ConfigError(
            Code.config_invalid,
            path=str(path),
            key=key,
            problem=issue_of(first, location(first["loc"])),
            given=given if isinstance(given, str | int | float) else None,
            more=exc.error_count() - 1,
        ) from exc


def _unique(path: Path, key: str, codes: Iterable[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ConfigError(Code.config_code_twice, path=str(path), key=key, value=code)
        seen.add(code)


def load_config(folder: Path) -> DistrictConfig:
    """Load, validate and cross-check every file of a configuration folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(Code.config_folder_missing, path=str(folder))
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
            Code.config_shared_code, path=str(dpath), codes=sorted(set(towns) & set(villages))
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
                raise ConfigError(
                    Code.config_unknown,
                    path=str(gpath),
                    key=f"{colour}.flags_any",
                    kind="flag",
                    value=flag,
                )
        for cat in grade_rule.categories_any:
            if cat not in categories:
                raise ConfigError(
                    Code.config_unknown,
                    path=str(gpath),
                    key=f"{colour}.categories_any",
                    kind="category",
                    value=cat,
                )

    routing: RoutingFile = parsed["routing"]
    rpath = folder / "routing.yaml"
    for i, rule in enumerate(routing.rules):
        if rule.category != "*" and rule.category not in categories:
            raise ConfigError(
                Code.config_unknown,
                path=str(rpath),
                key=f"rules[{i}].category",
                kind="category",
                value=rule.category,
            )
        for key, ref in [("lead", rule.lead)] + [(f"co[{j}]", r) for j, r in enumerate(rule.co)]:
            _check_ref(ref, departments, depts_file, rpath, f"rules[{i}].{key}")
    catch_all = [i for i, r in enumerate(routing.rules) if r.category == "*" and r.tier == "*"]
    if not catch_all or catch_all[0] != len(routing.rules) - 1:
        where = f"rules[{catch_all[0]}]" if catch_all else "rules"
        raise ConfigError(Code.config_catch_all, path=str(rpath), key=where)

    deadlines: DeadlinesFile = parsed["deadlines"]
    for cat in deadlines.categories:
        if cat not in categories:
            raise ConfigError(
                Code.config_unknown,
                path=str(folder / "deadlines.yaml"),
                key=f"categories.{cat}",
                kind="category",
                value=cat,
            )

    channels: ChannelsFile = parsed["channels"]
    for i, channel in enumerate(channels.channels):
        for j, pattern in enumerate(channel.to):
            code = pattern.split("/", 1)[0]
            if not any(fnmatchcase(c, code) for c in departments):
                raise ConfigError(
                    Code.config_matches_none,
                    path=str(folder / "channels.yaml"),
                    key=f"channels[{i}].to[{j}]",
                    value=pattern,
                )

    schedules = SchedulesFile()
    if (folder / "schedules.yaml").is_file():
        schedules = _read(folder, "schedules.yaml", SchedulesFile)
    retention = RetentionFile()
    if (folder / "retention.yaml").is_file():
        retention = _read(folder, "retention.yaml", RetentionFile)
    figures = _figures(folder, categories, channels_in)
    open311 = Open311File()
    if (folder / "open311.yaml").is_file():
        open311 = _read(folder, "open311.yaml", Open311File)
    places = None
    if (folder / BOUNDARIES).is_file():
        try:
            places = load_places(folder / BOUNDARIES, towns, villages)
        except PlacesError as exc:
            raise ConfigError(
                Code.config_boundaries, path=str(folder / BOUNDARIES), problem=str(exc)
            ) from None

    return DistrictConfig(
        folder=folder,
        schedules=schedules,
        retention=retention,
        figures=figures,
        open311=open311,
        places=places,
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
                    raise ConfigError(
                        Code.config_unknown,
                        path=str(path),
                        key=f"figures[{i}].{key}[{j}]",
                        kind="code",
                        value=code,
                    )
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


def _check_ref(
    ref: str, departments: dict[str, Department], depts: DepartmentsFile, path: Path, key: str
) -> None:
    """Refuse a routing department reference that names no department or unit."""
    for tier, units in (("town", depts.town_units), ("village", depts.village_units)):
        if ref.startswith(f"@{tier}."):
            suffix = ref.removeprefix(f"@{tier}.")
            if suffix not in {u.suffix for u in units}:
                raise ConfigError(
                    Code.config_no_unit,
                    path=str(path),
                    key=key,
                    value=ref,
                    tier=tier,
                    suffix=suffix,
                    units=f"{tier}_units",
                )
            return
    if ref not in departments:
        raise ConfigError(
            Code.config_unknown, path=str(path), key=key, kind="department", value=ref
        )


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
    "Open311File",
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
