"""Configuration files with every kind of mistake: the loader refuses each one with a message that
names the file and the key, never a traceback and never a silent default.

tests/models/test_config.py already covers a list of single mistakes (unknown keys in a village
or a department, duplicate town/village/department/category codes, unknown routing and grading
references, bad deadline durations, channels without recipients) and missing district, routing
and channels files. This module adds what it does not: every required file missing, a YAML
syntax error and an unknown top-level key in every file, duplicate keys inside one mapping,
duplicate flag and intake-channel codes, wrong types, a channel pattern no department matches,
bad delivery and schedule durations, bad times of day, and random mutations of the whole sample
folder (hypothesis), each of which must load or be refused naming a file and a key.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given
from hypothesis import strategies as st

from models.config import FILES, ConfigError, load_config
from tests.properties.conftest import examples

SAMPLE = Path(__file__).resolve().parents[2] / "config"
REQUIRED = sorted(name for name, _schema in FILES.values())
OPTIONAL = sorted(p.name for p in SAMPLE.glob("*.yaml") if p.name not in REQUIRED)
ALL_FILES = REQUIRED + OPTIONAL
# Messages about a whole file rather than one key in it.
WHOLE_FILE = ("file is missing", "not valid YAML", "expected a mapping")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SAMPLE, tmp_path / "config"))


def refused(folder: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    return str(caught.value)


def names_file_and_key(message: str, folder: Path) -> tuple[str, str]:
    """The file and the key a refusal names: '<folder>/<file>.yaml: <key>: <what is wrong>'."""
    match = re.match(
        rf"^{re.escape(str(folder))}/([a-z0-9_]+\.(?:yaml|geojson)): (.+)$", message, re.DOTALL
    )
    assert match, f"the message does not start with a file of the folder: {message[:300]}"
    filename, rest = match.groups()
    if rest.startswith(WHOLE_FILE):
        return filename, ""
    key = rest.split(": ", 1)[0]
    assert key and " " not in key.strip("'"), f"no key named in: {message[:300]}"
    return filename, key


def edit(folder: Path, filename: str, change: Callable[[Any], Any]) -> None:
    path = folder / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = change(data) or data
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --- each kind of mistake in each file -------------------------------------------------------


@pytest.mark.parametrize("filename", REQUIRED)
def test_every_required_file_missing_is_named(folder: Path, filename: str) -> None:
    (folder / filename).unlink()
    assert refused(folder) == f"{folder / filename}: file is missing"


@pytest.mark.parametrize("filename", OPTIONAL)
def test_an_optional_file_may_be_left_out(folder: Path, filename: str) -> None:
    (folder / filename).unlink()
    load_config(folder)


@pytest.mark.parametrize("filename", [f for f in ALL_FILES if f != "holidays.yaml"])
def test_a_yaml_syntax_error_names_the_file_and_line(folder: Path, filename: str) -> None:
    path = folder / filename
    path.write_text(path.read_text(encoding="utf-8") + "\nbroken: [unclosed\n", encoding="utf-8")
    message = refused(folder)
    assert message.startswith(f"{path}: not valid YAML") and "line" in message


@pytest.mark.parametrize("filename", [f for f in ALL_FILES if f != "holidays.yaml"])
def test_an_unknown_top_level_key_is_named(folder: Path, filename: str) -> None:
    edit(folder, filename, lambda data: data.update(colour_typo=1))
    message = refused(folder)
    assert names_file_and_key(message, folder) == (filename, "colour_typo"), message


def test_holidays_file_mistakes_are_named(folder: Path) -> None:
    from service.app import build_app
    from service.settings import Settings

    path = folder / "holidays.yaml"
    for text, key in [
        ("workdays: [2026-02-30]\n", "workdays[0]"),
        ("holiday: []\n", "holiday"),
        ("workdays: [2026-11-28]\ndays_off: [2026-11-28]\n", "days_off[0]"),
        ("workdays: 2026-11-28\n", "workdays"),
        ("workdays: [\n", ""),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            build_app(Settings(config=folder, database_url="sqlite://"))
        assert names_file_and_key(str(caught.value), folder) == ("holidays.yaml", key), text


@pytest.mark.parametrize("filename", [f for f in ALL_FILES if f != "holidays.yaml"])
def test_a_top_level_key_written_twice_is_refused_in_every_file(
    folder: Path, filename: str
) -> None:
    path = folder / filename
    first = next(iter(yaml.safe_load(path.read_text(encoding="utf-8"))))
    again = yaml.safe_dump({first: None}, allow_unicode=True)
    path.write_text(path.read_text(encoding="utf-8") + "\n" + again, encoding="utf-8")
    message = refused(folder)
    assert names_file_and_key(message, folder) == (filename, first), message


@pytest.mark.parametrize(
    ("filename", "text", "key"),
    [
        ("grading.yaml", "red:\n  people_at_least: 50\nred:\n  people_at_least: 5\n", "red"),
        ("deadlines.yaml", "feedback: 7d\nfeedback: 3d\n", "feedback"),
        ("schedules.yaml", "digest_at: '08:00'\ndigest_at: '09:00'\n", "digest_at"),
    ],
)
def test_a_key_written_twice_is_refused_not_silently_overwritten(
    folder: Path, filename: str, text: str, key: str
) -> None:
    path = folder / filename
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    message = refused(folder)
    assert names_file_and_key(message, folder) == (filename, key), message
    assert "twice" in message


def test_a_key_written_twice_deep_inside_is_refused_with_its_line(folder: Path) -> None:
    path = folder / "deadlines.yaml"
    text = path.read_text(encoding="utf-8")
    doubled = text.replace("resolve: 3wd,", "resolve: 3wd, resolve: 5wd,", 1)
    assert doubled != text
    path.write_text(doubled, encoding="utf-8")
    message = refused(folder)
    assert names_file_and_key(message, folder) == ("deadlines.yaml", "resolve"), message
    assert "again on line" in message


@pytest.mark.parametrize(
    ("filename", "change", "key", "words"),
    [
        # duplicate codes the older tests do not cover
        (
            "categories.yaml",
            lambda d: d["flags"].append(dict(d["flags"][0])),
            "flags",
            "twice",
        ),
        (
            "categories.yaml",
            lambda d: d["channels"].append(dict(d["channels"][0])),
            "channels",
            "twice",
        ),
        (
            "departments.yaml",
            lambda d: d["town_units"].append(dict(d["town_units"][0])),
            "town_units",
            "twice",
        ),
        # wrong types
        ("district.yaml", lambda d: d.update(towns="T01"), "towns", "list"),
        ("district.yaml", lambda d: d.update(sample="perhaps"), "sample", "boolean"),
        (
            "grading.yaml",
            lambda d: d["red"].update(people_at_least="many"),
            "red.people_at_least",
            "integer",
        ),
        ("routing.yaml", lambda d: d.update(rules={"lead": "hrss"}), "rules", "list"),
        ("deadlines.yaml", lambda d: d.update(feedback=7), "feedback", "'7' is not a duration"),
        ("channels.yaml", lambda d: d.update(channels="json://x"), "channels", "list"),
        (
            "channels.yaml",
            lambda d: d.setdefault("delivery", {}).update(connect_timeout="fast"),
            "delivery.connect_timeout",
            "number",
        ),
        # unknown references
        (
            "channels.yaml",
            lambda d: d["channels"][0].update(to=["nobody"]),
            "channels[0].to[0]",
            "matches no department",
        ),
        (
            "routing.yaml",
            lambda d: d["rules"][0].update(lead="@village.nowhere"),
            "rules[0].lead",
            "village_units",
        ),
        # durations and times of day
        (
            "channels.yaml",
            lambda d: d.setdefault("delivery", {}).update(retry=["1m", "soon"]),
            "delivery.retry",
            "'soon' is not a duration",
        ),
        (
            "channels.yaml",
            lambda d: d.setdefault("delivery", {}).update(give_up_after="2wd"),
            "delivery.give_up_after",
            "working days",
        ),
        (
            "channels.yaml",
            lambda d: d.setdefault("delivery", {}).update(retry="1m"),
            "delivery.retry",
            "list of durations",
        ),
        ("schedules.yaml", lambda d: d.update(sweep_every="1d"), "sweep_every", "minutes or hours"),
        ("schedules.yaml", lambda d: d.update(sweep_every="0m"), "sweep_every", "longer than zero"),
        ("schedules.yaml", lambda d: d.update(digest_at="25:00"), "digest_at", "25:00"),
        ("schedules.yaml", lambda d: d.update(digest_at="8am"), "digest_at", "8am"),
        ("schedules.yaml", lambda d: d.update(digest_at="*/5 * * * *"), "digest_at", "*/5"),
    ],
)
def test_each_mistake_names_file_key_and_what_is_wrong(
    folder: Path, filename: str, change: Callable[[Any], Any], key: str, words: str
) -> None:
    edit(folder, filename, change)
    message = refused(folder)
    assert names_file_and_key(message, folder) == (filename, key), message
    assert words in message, message


# --- random mutations of the sample folder ----------------------------------------------------

ODD_VALUES: list[Any] = [
    None,
    0,
    -1,
    10**12,
    1.5,
    True,
    "",
    " ",
    "?",
    "3 weeks",
    "0d",
    "25:00",
    "@town.nowhere",
    "T99V99",
    "{{ 7*7 }}",
    "x" * 300,
    [],
    ["?"],
    {},
    {"unknown": 1},
]


def leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the document (mappings and lists included)."""
    found = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += leaves(value, (*path, index))
    return found


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, tuple[Any, ...], Any]:
    filename = draw(st.sampled_from([f for f in ALL_FILES if f != "holidays.yaml"]))
    data = yaml.safe_load((SAMPLE / filename).read_text(encoding="utf-8"))
    path = draw(st.sampled_from(leaves(data)))
    kind = draw(st.sampled_from(["replace", "delete", "add key", "duplicate"]))
    value = draw(st.sampled_from(ODD_VALUES))
    return filename, kind, path, value


def mutate(data: Any, kind: str, path: tuple[Any, ...], value: Any) -> None:
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if kind == "replace":
        parent[last] = value
    elif kind == "delete":
        del parent[last]
    elif kind == "add key" and isinstance(parent[last], dict):
        parent[last]["surprise"] = value
    elif kind == "duplicate" and isinstance(parent, list):
        parent.append(parent[last])
    else:
        parent[last] = value


@examples(60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
def test_any_mutation_loads_or_is_refused_naming_a_file_and_key(
    tmp_path: Path, mutation: tuple[str, str, tuple[Any, ...], Any]
) -> None:
    filename, kind, path, value = mutation
    folder = tmp_path / f"config-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(SAMPLE, folder)
    edit(folder, filename, lambda data: mutate(data, kind, path, value))
    try:
        load_config(folder)
    except ConfigError as exc:
        event("refused")
        named_file, key = names_file_and_key(str(exc), folder)
        if named_file == filename and key:  # a mistake in this file names where it is
            first = key.split(".")[0].split("[")[0]
            steps = {str(step) for step in path} | {"(top level)", "surprise"}
            assert first in steps, f"{filename} {kind} {path}: {exc}"
        return
    except Exception as exc:  # anything else is a crash a district would see as a traceback
        raise AssertionError(f"{filename} {kind} {path} = {value!r}: {exc!r}") from exc
    event("loaded")
