"""Where a point lies in the district: the areas' boundaries (config/boundaries.geojson).

Open311 apps send coordinates, not town names; this turns a point into the village (or town)
that contains it. The file is GeoJSON (RFC 7946: [longitude, latitude], WGS 84), one feature per
area, its `properties.code` a town or village code of district.yaml. Shapely does the geometry;
an STR tree keeps a lookup fast whatever the number of areas.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree
from shapely.validation import explain_validity

FILENAME = "boundaries.geojson"
# Two villages may share an edge; an overlap larger than this (in square degrees, about
# 100 m²) means two areas claim the same ground.
OVERLAP = 1e-8


class PlacesError(ValueError):
    """The boundaries file is wrong; the message names the key and the problem."""


# --- the file's schema (GIS exports add keys of their own: extra keys are allowed) ------------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class _Geometry(_Open):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any] = Field(min_length=1)


class _Properties(_Open):
    code: str = Field(min_length=1, description="a town or village code from district.yaml")
    name: str = ""


class _Feature(_Open):
    type: Literal["Feature"]
    properties: _Properties
    geometry: _Geometry


class BoundariesFile(_Open):
    type: Literal["FeatureCollection"]
    placeholder: bool = Field(default=False, description="true: invented shapes, not survey")
    description: str = ""
    features: list[_Feature] = Field(min_length=1)


# --- the loaded boundaries --------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    """Each area's shape, and a lookup from a point to the area that contains it."""

    path: Path
    placeholder: bool
    codes: tuple[str, ...]
    shapes: tuple[BaseGeometry, ...]
    villages: frozenset[str]
    tree: STRtree = field(repr=False)

    def locate(self, lat: float, long: float) -> str | None:
        """The village containing the point, else the town; None outside every area.

        A point on a shared edge belongs to both; the smaller code wins, so the answer is the
        same every time.
        """
        hits = [self.codes[int(i)] for i in self.tree.query(Point(long, lat), "intersects")]
        villages = sorted(c for c in hits if c in self.villages)
        towns = sorted(c for c in hits if c not in self.villages)
        found = villages or towns
        return found[0] if found else None

    def shape_of(self, code: str) -> BaseGeometry | None:
        return self.shapes[self.codes.index(code)] if code in self.codes else None


def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _geometry(index: int, feature: _Feature) -> BaseGeometry:
    key = f"features[{index}].geometry"
    try:
        geometry = shape(feature.geometry.model_dump())
    except (ValueError, TypeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise PlacesError(f"{key}.coordinates: not a {feature.geometry.type} ({exc})") from None
    if geometry.is_empty:
        raise PlacesError(f"{key}.coordinates: the shape is empty")
    west, south, east, north = geometry.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise PlacesError(
            f"{key}.coordinates: outside the globe ({west}, {south}, {east}, {north}); GeoJSON "
            "writes [longitude, latitude], is the order swapped?"
        )
    if not geometry.is_valid:
        raise PlacesError(f"{key}: not a valid shape ({explain_validity(geometry)})")
    return geometry


def parse_places(path: Path, raw: Any, towns: Iterable[str], villages: Iterable[str]) -> Places:
    """Check a parsed boundaries document against the district's areas and build the lookup."""
    if not isinstance(raw, dict):
        raise PlacesError("(top level): expected a GeoJSON FeatureCollection object")
    try:
        document = BoundariesFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        raise PlacesError(f"{_loc(first['loc'])}: {message}") from None
    village_codes = set(villages)
    known = set(towns) | village_codes
    codes: list[str] = []
    shapes: list[BaseGeometry] = []
    for index, feature in enumerate(document.features):
        code = feature.properties.code
        if code not in known:
            raise PlacesError(
                f"features[{index}].properties.code: '{code}' is no town or village of "
                "district.yaml"
            )
        if code in codes:
            raise PlacesError(
                f"features[{index}].properties.code: '{code}' has a boundary already "
                f"(features[{codes.index(code)}]); merge them into one MultiPolygon"
            )
        codes.append(code)
        shapes.append(_geometry(index, feature))
    tree = STRtree(shapes)
    _no_overlaps(codes, shapes, tree, village_codes)
    return Places(
        path=path,
        placeholder=document.placeholder,
        codes=tuple(codes),
        shapes=tuple(shapes),
        villages=frozenset(c for c in codes if c in village_codes),
        tree=tree,
    )


def _no_overlaps(
    codes: list[str], shapes: list[BaseGeometry], tree: STRtree, villages: set[str]
) -> None:
    """Two villages, or two towns, claiming the same ground would place a point at random."""
    for i, geometry in enumerate(shapes):
        for j in (int(k) for k in tree.query(geometry, "intersects")):
            if j <= i or (codes[i] in villages) != (codes[j] in villages):
                continue
            if geometry.intersection(shapes[j]).area > OVERLAP:
                raise PlacesError(
                    f"features[{j}]: the boundary of '{codes[j]}' overlaps that of '{codes[i]}' "
                    f"(features[{i}])"
                )


def load_places(path: Path, towns: Iterable[str], villages: Iterable[str]) -> Places:
    """Read and check the boundaries file; PlacesError says what is wrong (the caller adds the
    file's name)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlacesError(f"not valid GeoJSON: {exc}") from None
    return parse_places(path, raw, towns, villages)
