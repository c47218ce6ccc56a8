"""The Open311 settings: the endpoint as discovered (open311.yaml), which categories are private
and which need a description (categories.yaml); each mistake refused naming file and key."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from models.config import ConfigError, load_config

SAMPLE = Path(__file__).resolve().parents[2] / "config"
PRIVATE = {"family", "counselling", "women_children", "petition", "medical"}


def test_the_sample_endpoint_and_its_private_categories() -> None:
    config = load_config(SAMPLE)
    endpoint = config.open311
    assert endpoint.url == "https://whistle.example/open311/v2"
    assert endpoint.jurisdiction_id == "whistle.example" and endpoint.type == "production"
    assert endpoint.changeset == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert {c.code for c in config.categories.values() if not c.public} == PRIVATE
    assert [c.code for c in config.categories.values() if c.needs_description] == ["other"]


def test_without_open311_yaml_the_defaults_hold(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    shutil.copytree(SAMPLE, folder)
    (folder / "open311.yaml").unlink()
    endpoint = load_config(folder).open311
    assert (endpoint.url, endpoint.jurisdiction_id, endpoint.changeset) == ("", None, None)


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("open311.yaml", {"url": "whistle.example/open311"}, "url: does not match the pattern"),
        (
            "open311.yaml",
            {"changeset": "2026-11-01T00:00:00"},
            "changeset: give the time zone, e.g. 2026-11-01T00:00:00+08:00",
        ),
        ("open311.yaml", {"type": "staging"}, "type: must be one of: 'production' or 'test'"),
        ("open311.yaml", {"jurisdiction": "x"}, "jurisdiction: is not a known field"),
        ("open311.yaml", {"jurisdiction_id": "a b"}, "jurisdiction_id: does not match the pattern"),
    ],
)
def test_a_wrong_open311_file_is_refused(
    tmp_path: Path, file: str, change: dict[str, str], message: str
) -> None:
    folder = tmp_path / "config"
    shutil.copytree(SAMPLE, folder)
    path = folder / file
    document = yaml.safe_load(path.read_text(encoding="utf-8")) | change
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)


def test_a_misspelt_public_key_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    shutil.copytree(SAMPLE, folder)
    path = folder / "categories.yaml"
    text = path.read_text(encoding="utf-8").replace("public: false}", "pubilc: false}", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"categories\[3\]\.pubilc: is not a known field"):
        load_config(folder)
