"""The html export's map: the view's places as dots on Natural Earth borders, in SVG.

Inline SVG only, so the page stays one self-contained file under its
Content-Security-Policy (no tiles, no script, no font): borders are paths from the
lines shipped with the package, each place a circle whose area grows with its
number of events, and its name and count a ``<title>`` that browsers show on
hover. The window and its projection are ``geo``'s, as in the terminal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from chronicle import geo
from chronicle.exporters.text import esc
from chronicle.queries import LocatedPlace
from chronicle.wording import counted

WIDTH = 720
MIN_HEIGHT, MAX_HEIGHT = 240, 540
MIN_R, MAX_R = 2.5, 14.0


def map_svg(places: Sequence[LocatedPlace], width: int = WIDTH) -> str:
    """The figure's SVG, or "" when no place of the view has coordinates."""
    extent = geo.Extent.of((p.lat, p.lon) for p in places)
    if extent is None:
        return ""
    aspect = (extent.north - extent.south + 2) / (extent.span_lon + 2)
    height = round(min(MAX_HEIGHT, max(MIN_HEIGHT, width * aspect)))
    view = geo.fit(extent, width // geo.DOTS_X, height // geo.DOTS_Y)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x, y = geo.dot_of(view, lat, lon)
        return x * width / (view.cols * geo.DOTS_X), y * height / (view.rows * geo.DOTS_Y)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Map of the events: {len(places)} places">',
    ]
    paths = [_path(arc.points, xy, width) for arc in geo.arcs_in(view)]
    parts.append(f'<path class="borders" d="{" ".join(p for p in paths if p)}"/>')
    peak = max(p.events for p in places)
    for place in sorted(places, key=lambda p: (-p.events, p.name)):  # small dots on top
        x, y = xy(place.lat, place.lon)
        r = MIN_R + (MAX_R - MIN_R) * math.sqrt(place.events / peak)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" data-place="{esc(place.place_id)}">'
            f"<title>{esc(place.name)}: {counted(place.events, 'event')}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _path(points, xy, width: int) -> str:
    """One arc as a path; a jump across the window's seam starts a new subpath, and
    points less than a unit apart are dropped (the page stays small at world scale)."""
    out: list[str] = []
    last: tuple[float, float] | None = None
    for lon, lat in points:
        x, y = xy(lat, lon)
        if last is not None and abs(x - last[0]) < 0.7 and abs(y - last[1]) < 0.7:
            continue
        command = "M" if last is None or abs(x - last[0]) > width / 2 else "L"
        out.append(f"{command}{x:.1f},{y:.1f}")
        last = (x, y)
    return "".join(out) if len(out) > 1 else ""
