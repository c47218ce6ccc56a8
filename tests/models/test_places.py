"""The areas' boundaries: the sample file tiles the district's box with every village, a point is
placed in the village (or town) that holds it, and a broken boundaries file is refused at load
with a message naming the file, the key and the problem."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import box

from models.config import ConfigError, load_config
from models.places import Places

SAMPLE = Path(__file__).resolve().parents[2] / "config"
BOX = box(109.80, 40.50, 110.10, 40.70)


@pytest.fixture(scope="module")
def places() -> Places:
    loaded = load_config(SAMPLE).places
    assert loaded is not None
    return loaded


def test_the_sample_tiles_the_box_with_every_village(places: Places) -> None:
    config = load_config(SAMPLE)
    assert places.placeholder is True
    assert set(places.codes) == set(config.villages) and len(places.codes) == 86
    union = shapely.union_all(list(places.shapes))
    assert union.symmetric_difference(BOX).area < 1e-9  # covered, nothing outside
    assert sum(s.area for s in places.shapes) == pytest.approx(BOX.area, abs=1e-9)  # no overlap
    for code in config.towns:  # each town a rectangle of its own villages
        mine = [places.shape_of(v) for v, (_, town) in config.villages.items() if town.code == code]
        town = shapely.union_all(mine)
        assert town.area == pytest.approx(town.envelope.area, abs=1e-9), code
    text = (SAMPLE / "boundaries.geojson").read_text(encoding="utf-8")
    assert "PLACEHOLDER" in text and "占位边界" in text


@pytest.mark.parametrize(
    ("lat", "long", "code"),
    [
        (40.699, 109.801, "T01V01"),  # north-west corner: the first town's first village
        (40.501, 110.099, "T08V08"),  # south-east corner: the last town's last village
        (40.60, 109.95, "T02V10"),  # on the edge of two towns: the smaller code, every time
        (40.70, 109.80, "T01V01"),  # the box's own corner is inside
        (40.4999, 109.90, None),  # just south
        (40.60, 110.1001, None),  # just east
        (39.9042, 116.4074, None),  # Beijing
        (40.60, -109.90, None),  # the sign of longitude lost
    ],
)
def test_a_point_is_placed_in_the_area_that_holds_it(
    places: Places, lat: float, long: float, code: str | None
) -> None:
    assert places.locate(lat, long) == code


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(SAMPLE, folder)
    return folder


def _square(west: float, south: float, size: float = 0.01) -> dict[str, Any]:
    ring = [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(code: str, geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def test_a_town_without_village_boundaries_places_in_the_town(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    document = {
        "type": "FeatureCollection",
        "features": [
            _feature("T05", _square(109.90, 40.55, 0.05)),
            _feature("T05V01", _square(109.90, 40.55, 0.01)),
        ],
    }
    (folder / "boundaries.geojson").write_text(json.dumps(document), encoding="utf-8")
    places = load_config(folder).places
    assert places is not None and places.placeholder is False
    assert places.locate(40.555, 109.905) == "T05V01"  # a village wins over its town
    assert places.locate(40.59, 109.94) == "T05"
    assert places.locate(40.61, 109.94) is None


def test_without_a_boundaries_file_nothing_is_placed_by_coordinates(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "boundaries.geojson").unlink()
    assert load_config(folder).places is None


def _edit(document: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> str:
    change(document)
    return json.dumps(document)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[109.9, 40.6], [109.95, 40.65], [109.95, 40.6], [109.9, 40.65], [109.9, 40.6]]
    ],
}

# (how the sample file is broken, what the refusal says after the file's name)
BROKEN: list[tuple[Callable[[dict[str, Any]], None] | str, str]] = [
    ("{not json", "not valid GeoJSON: Expecting property name"),
    ("[]", "(top level): expected a GeoJSON FeatureCollection object"),
    (_set(["type"], "Feature"), "type: Input should be 'FeatureCollection'"),
    (_set(["features"], []), "features: List should have at least 1 item"),
    (
        _set(["features", 3, "properties", "code"], "T09V01"),
        "features[3].properties.code: 'T09V01' is no town or village of district.yaml",
    ),
    (
        _set(["features", 3, "properties", "code"], "T01V01"),
        "features[3].properties.code: 'T01V01' has a boundary already (features[0])",
    ),
    (
        _set(["features", 2, "properties"], {"name": "x"}),
        "features[2].properties.code: Field required",
    ),
    (
        _set(["features", 1, "geometry", "type"], "Point"),
        "features[1].geometry.type: Input should be 'Polygon' or 'MultiPolygon'",
    ),
    (
        _set(["features", 1, "geometry", "coordinates"], [[[109.8, 40.6], [109.9]]]),
        "features[1].geometry.coordinates: not a Polygon",
    ),
    (
        _set(["features", 1, "geometry"], _square(40.6, 109.8)),
        "features[1].geometry.coordinates: outside the globe (40.6, 109.8, 40.61, 109.81); "
        "GeoJSON writes [longitude, latitude], is the order swapped?",
    ),
    (
        _set(["features", 4, "geometry"], BOWTIE),
        "features[4].geometry: not a valid shape (Self-intersection",
    ),
    (
        _set(["features", 5, "geometry"], _square(109.80, 40.69)),
        "features[5]: the boundary of 'T01V06' overlaps that of 'T01V01' (features[0])",
    ),
]


@pytest.mark.parametrize(("broken", "message"), BROKEN)
def test_a_broken_boundaries_file_is_refused_naming_the_key(
    tmp_path: Path, broken: Callable[[dict[str, Any]], None] | str, message: str
) -> None:
    folder = _folder(tmp_path)
    path = folder / "boundaries.geojson"
    if isinstance(broken, str):
        text = broken
    else:
        text = _edit(json.loads(path.read_text(encoding="utf-8")), broken)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)
