"""Derive the shipped border lines from Natural Earth's countries, once.

Input: a TopoJSON topology of Natural Earth's Admin 0 countries, as the npm package
``world-atlas`` ships it (``countries-50m.json``). Natural Earth is in the public
domain. Output: ``chronicle/geodata/borders.json``, every arc of the topology once
(a border between two countries is one arc, shared; coasts are arcs too), as
integer hundredths of a degree, delta-encoded, with each arc's bounding box so a
map can skip the arcs outside its view. Run it again only to change the data:

    npm install --no-package-lock --no-save world-atlas@2.0.2
    python scripts/make_borders.py node_modules/world-atlas/countries-50m.json
"""

from __future__ import annotations

import argparse
import json
from itertools import pairwise
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "chronicle" / "geodata" / "borders.json"
SCALE = 100  # units per degree: 0.01° is about a kilometre, finer than 1:50m's detail


def decode(topology: dict) -> list[list[tuple[float, float]]]:
    """Arcs as (lon, lat) lists: TopoJSON keeps them quantized and delta-encoded."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def encode(points: list[tuple[float, float]]) -> dict | None:
    ints: list[tuple[int, int]] = []
    for lon, lat in points:
        here = (round(lon * SCALE), round(lat * SCALE))
        if not ints or here != ints[-1]:
            ints.append(here)
    if len(ints) < 2:
        return None
    deltas = [*ints[0]]
    for (x0, y0), (x1, y1) in pairwise(ints):
        deltas += [x1 - x0, y1 - y0]
    xs, ys = [p[0] for p in ints], [p[1] for p in ints]
    return {"box": [min(xs), min(ys), max(xs), max(ys)], "d": deltas}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path)
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args()
    topology = json.loads(args.topojson.read_text(encoding="utf-8"))
    arcs = [found for arc in decode(topology) if (found := encode(arc))]
    document = {
        "source": "Natural Earth Admin 0 countries, 1:50m, version 4.1.0 "
        "(public domain), through world-atlas 2.0.2",
        "scale": SCALE,
        "arcs": arcs,
    }
    args.output.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(arcs)} arcs, {args.output.stat().st_size:,} bytes -> {args.output}")


if __name__ == "__main__":
    main()
