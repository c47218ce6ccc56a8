"""Write placeholder boundaries for the sample district: config/boundaries.geojson.

The sample district's places are invented, so are their shapes: the box 40.50–40.70 N,
109.80–110.10 E (where the real district lies) is cut into its 8 towns (2 rows of 4), and each
town into its villages (rows of nearly equal cells). A real district replaces the file with
its surveyed boundaries (exported from its GIS as GeoJSON, one feature per town or village,
`properties.code` the area's code).

    .venv/bin/python scripts/make_boundaries.py [CONFIG_FOLDER]
"""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

SOUTH, NORTH = Fraction("40.50"), Fraction("40.70")
WEST, EAST = Fraction("109.80"), Fraction("110.10")
TOWN_ROWS, TOWN_COLUMNS = 2, 4
DESCRIPTION = (
    "占位边界（示例数据，非测绘成果）：示例区各镇街、村社区的边界是按方格虚构的，"
    "仅供演示按坐标定位。PLACEHOLDER boundaries (sample data, not a survey): the towns and "
    "villages of the sample district are invented rectangles tiling 40.50–40.70 N, "
    "109.80–110.10 E. Replace this file with the district's own (scripts/make_boundaries.py "
    "wrote it)."
)


def _ring(west: Fraction, south: Fraction, east: Fraction, north: Fraction) -> list[list[float]]:
    """A rectangle's outer ring, anticlockwise as RFC 7946 asks, 6 decimals (about 0.1 m)."""
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return [[round(float(x), 6), round(float(y), 6)] for x, y in corners]


def _rows(count: int) -> list[int]:
    """How many cells each row of a town gets: about square, the larger rows first."""
    rows = max(1, round(math.sqrt(count)))
    base, extra = divmod(count, rows)
    return [base + (1 if i < extra else 0) for i in range(rows)]


def features(district: dict[str, Any]) -> list[dict[str, Any]]:
    towns = district["towns"]
    if len(towns) > TOWN_ROWS * TOWN_COLUMNS:
        raise SystemExit(f"{len(towns)} towns do not fit {TOWN_ROWS}×{TOWN_COLUMNS} cells")
    width, height = (EAST - WEST) / TOWN_COLUMNS, (NORTH - SOUTH) / TOWN_ROWS
    out = []
    for index, town in enumerate(towns):
        row, column = divmod(index, TOWN_COLUMNS)
        top = NORTH - height * row
        left = WEST + width * column
        villages = town["villages"]
        cells = _rows(len(villages))
        row_height = height / len(cells)
        placed = 0
        for r, across in enumerate(cells):
            north, south = top - row_height * r, top - row_height * (r + 1)
            for c in range(across):
                village = villages[placed]
                placed += 1
                west = left + width * c / across
                east = left + width * (c + 1) / across
                out.append(
                    {
                        "type": "Feature",
                        "properties": {
                            "code": village["code"],
                            "name": village["name"],
                            "name_en": village.get("name_en", ""),
                            "town": town["code"],
                        },
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [_ring(west, south, east, north)],
                        },
                    }
                )
    return out


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "config"
    district = yaml.safe_load((folder / "district.yaml").read_text(encoding="utf-8"))
    head = json.dumps(
        {"type": "FeatureCollection", "placeholder": True, "description": DESCRIPTION},
        ensure_ascii=False,
        indent=1,
    )[:-2]
    target = folder / "boundaries.geojson"
    # One feature a line: a reviewer sees which area changed.
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features(district))
    target.write_text(f'{head},\n "features": [\n{lines}\n ]\n}}\n', encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")


if __name__ == "__main__":
    main()
