"""From latitude and longitude to the cells of a map, in Python and in SQL alike.

A map view is a plate carrée window onto the globe: a west edge and a north edge,
the degrees it spans, and how many cells (terminal characters, or any grid) it is
cut into. The app counts the events of each cell in SQLite, grouping by an
expression this module writes, and marks the selected event by computing its cell
here; both must land every place in the very same cell. So the SQL and the Python
do the same IEEE arithmetic step for step (one subtraction, one wrap by 360, one
multiplication by a factor computed once in Python, one truncation), and a
property test holds them to it, at the antimeridian and the poles included.

Nothing here knows SQLite, Textual or click: the SQL is text with named
parameters, and the braille canvas is a grid of bits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache

# Braille dots per terminal cell. A terminal cell is about twice as tall as it is
# wide, so a dot is about square: one degree of latitude and of longitude get the
# same number of dots.
DOTS_X = 2
DOTS_Y = 4
MIN_SPAN = 2.0  # degrees: the narrowest view fitted around a single place
MARGIN = 0.08  # of the extent, on each side, so marks do not sit on the frame
MAX_LAT_SPAN = 180.0
PARAM = "map_"  # prefix of every SQL parameter this module names


def wrap_lon(lon: float) -> float:
    """Any longitude into [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def lon_offset(lon: float, west: float) -> float:
    """Degrees east of ``west``, in [0, 360): the antimeridian is only a seam.

    180° is first written -180°, so both names of the antimeridian give the very same
    number; then ``lon`` and ``west`` in [-180, 180) differ by less than 360 either
    way, and one correction suffices. Written as the SQL twin writes it.
    """
    x = (lon - 360.0 if lon >= 180.0 else lon) - west
    if x < 0:
        x = x + 360.0
    elif x >= 360.0:
        x = x - 360.0
    return x


@dataclass(frozen=True)
class View:
    """A window of ``span_lon`` by ``span_lat`` degrees from (``west``, ``north``),
    cut into ``cols`` by ``rows`` cells."""

    west: float
    north: float
    span_lon: float
    span_lat: float
    cols: int
    rows: int

    def __post_init__(self) -> None:
        if self.cols < 1 or self.rows < 1:
            raise ValueError("a map needs at least one cell")
        if not (0 < self.span_lon <= 360.0 and self.span_lat > 0):
            raise ValueError("a map spans a positive width of at most 360 degrees")

    @property
    def kx(self) -> float:
        return self.cols / self.span_lon

    @property
    def ky(self) -> float:
        return self.rows / self.span_lat

    @property
    def east(self) -> float:
        return wrap_lon(self.west + self.span_lon) if self.span_lon < 360.0 else self.west

    @property
    def south(self) -> float:
        return self.north - self.span_lat

    def resized(self, cols: int, rows: int) -> View:
        """The same centre and scale (degrees per cell) on a grid of another size."""
        d_lon, d_lat = self.span_lon / self.cols, self.span_lat / self.rows
        lat, lon = self.centre()
        return _centred(lat, lon, min(360.0, d_lon * cols), d_lat * rows, cols, rows)

    def centre(self) -> tuple[float, float]:
        return self.north - self.span_lat / 2, wrap_lon(self.west + self.span_lon / 2)

    def centred_on(self, lat: float, lon: float) -> View:
        """The same spans and grid around another point."""
        return _centred(lat, lon, self.span_lon, self.span_lat, self.cols, self.rows)

    def zoomed(self, factor: float) -> View:
        """``factor`` > 1 zooms in, around the centre."""
        lat, lon = self.centre()
        span_lon = min(360.0, self.span_lon / factor)
        span_lat = (
            span_lon * self.span_lat / self.span_lon
            if span_lon < 360.0
            else (self.span_lat / factor)
        )
        return _centred(lat, lon, span_lon, span_lat, self.cols, self.rows)

    def panned(self, cols: float, rows: float) -> View:
        """Move by whole cells: east and south are positive."""
        north = self.north - rows * self.span_lat / self.rows
        limit = 90.0 + self.span_lat / 2  # keep part of the globe in sight
        north = max(-90.0 + self.span_lat / 2, min(limit, north))
        return replace(self, west=wrap_lon(self.west + cols * self.span_lon / self.cols),
                       north=north)  # fmt: skip

    def params(self) -> dict[str, float | int]:
        """The SQL parameters of ``CELL_SQL`` and ``INSIDE_SQL`` for this view."""
        return {
            f"{PARAM}west": float(self.west),
            f"{PARAM}north": float(self.north),
            f"{PARAM}span_lon": float(self.span_lon),
            f"{PARAM}span_lat": float(self.span_lat),
            f"{PARAM}kx": self.kx,
            f"{PARAM}ky": self.ky,
            f"{PARAM}last_col": self.cols - 1,
            f"{PARAM}last_row": self.rows - 1,
        }


def _centred(lat: float, lon: float, span_lon: float, span_lat: float, cols: int, rows: int):
    west = -180.0 if span_lon >= 360.0 else wrap_lon(lon - span_lon / 2)
    return View(west, lat + span_lat / 2, min(span_lon, 360.0), span_lat, cols, rows)


def cell_of(view: View, lat: float, lon: float) -> tuple[int, int] | None:
    """The (column, row) of a point, or None when the view does not show it."""
    x = lon_offset(lon, view.west)
    y = view.north - lat
    if not (x <= view.span_lon and 0 <= y <= view.span_lat):
        return None
    return min(int(x * view.kx), view.cols - 1), min(int(y * view.ky), view.rows - 1)


def cell_centre(view: View, col: int, row: int) -> tuple[float, float]:
    """(lat, lon) of the middle of a cell."""
    south, west, north, _ = cell_bounds(view, col, row)
    return (south + north) / 2, wrap_lon(west + view.span_lon / view.cols / 2)


def cell_bounds(view: View, col: int, row: int) -> tuple[float, float, float, float]:
    """South, west, north, east of a cell (west > east when it straddles 180°)."""
    d_lon, d_lat = view.span_lon / view.cols, view.span_lat / view.rows
    west = wrap_lon(view.west + col * d_lon)
    north = view.north - row * d_lat
    return north - d_lat, west, north, wrap_lon(west + d_lon)


# --- the same, in SQL ---------------------------------------------------------------


def _offset_sql(lon: str) -> str:
    x = f"((CASE WHEN {lon} >= 180.0 THEN {lon} - 360.0 ELSE {lon} END) - :{PARAM}west)"
    return f"(CASE WHEN {x} < 0 THEN {x} + 360.0 WHEN {x} >= 360.0 THEN {x} - 360.0 ELSE {x} END)"


def cell_sql(lat: str, lon: str) -> tuple[str, str]:
    """SQL for the column and row of the point in columns ``lat`` and ``lon``.

    Only meaningful where ``inside_sql`` holds: there both operands of the
    truncation are non-negative, so CAST (which truncates) is a floor, as ``int``
    is in ``cell_of``. Built-in SQL only, so any SQLite client can run it.
    """
    col = f"min(CAST({_offset_sql(lon)} * :{PARAM}kx AS INTEGER), :{PARAM}last_col)"
    row = f"min(CAST((:{PARAM}north - {lat}) * :{PARAM}ky AS INTEGER), :{PARAM}last_row)"
    return col, row


def inside_sql(lat: str, lon: str) -> str:
    return (
        f"{lat} IS NOT NULL AND {lon} IS NOT NULL "
        f"AND {_offset_sql(lon)} <= :{PARAM}span_lon "
        f"AND :{PARAM}north - {lat} BETWEEN 0 AND :{PARAM}span_lat"
    )


# --- fitting a view to what it must show --------------------------------------------


@dataclass(frozen=True)
class Extent:
    """The smallest window holding a set of points: longitudes as an arc from ``west``."""

    south: float
    north: float
    west: float
    span_lon: float

    @classmethod
    def of(cls, points: Iterable[tuple[float, float]]) -> Extent | None:
        """(lat, lon) points; the arc of longitudes leaves out the widest empty gap,
        which is what puts Fiji and Samoa side by side rather than a world apart."""
        pts = list(points)
        if not pts:
            return None
        lons = sorted({wrap_lon(lon) for _, lon in pts})
        gaps = [(lons[0] + 360.0 - lons[-1], 0)]
        gaps += [(lons[i] - lons[i - 1], i) for i in range(1, len(lons))]
        gap, first = max(gaps)
        lats = [lat for lat, _ in pts]
        return cls(min(lats), max(lats), lons[first], 360.0 - gap)


def fit(extent: Extent | None, cols: int, rows: int) -> View:
    """A view of the extent with a margin, a dot as many degrees wide as it is tall.

    The whole world when there is nothing to fit.
    """
    if extent is None:
        return fit(Extent(-60.0, 80.0, -180.0, 360.0), cols, rows)
    span_lon = max(extent.span_lon * (1 + 2 * MARGIN), MIN_SPAN)
    needed_lat = max((extent.north - extent.south) * (1 + 2 * MARGIN), MIN_SPAN)
    per_dot = max(span_lon / (cols * DOTS_X), needed_lat / (rows * DOTS_Y))
    span_lon, span_lat = per_dot * cols * DOTS_X, per_dot * rows * DOTS_Y
    lat = (extent.north + extent.south) / 2
    lon = wrap_lon(extent.west + extent.span_lon / 2)
    if span_lon > 360.0:  # the globe is narrower than the grid: dots grow taller
        span_lat = max(needed_lat, span_lat * 360.0 / span_lon)
    return _centred(lat, lon, span_lon, span_lat, cols, rows)


# --- drawing lines in braille ---------------------------------------------------------

_BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [dy][dx]


def dot_of(view: View, lat: float, lon: float) -> tuple[float, float]:
    """Where a point falls in dots, possibly off the canvas. East of the window past
    the middle of the hidden part of the globe counts as west of it, so that a line
    entering at the west edge is drawn up to that edge."""
    offset = lon_offset(lon, view.west)
    if offset > (view.span_lon + 360.0) / 2:
        offset -= 360.0
    x = offset * view.cols * DOTS_X / view.span_lon
    y = (view.north - lat) * view.rows * DOTS_Y / view.span_lat
    return x, y


class Canvas:
    """A grid of braille dots the size of a view; lines are plotted dot by dot."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.bits = bytearray(cols * rows)

    def plot(self, x: int, y: int) -> None:
        col, row = x // DOTS_X, y // DOTS_Y
        if 0 <= col < self.cols and 0 <= row < self.rows and x >= 0 and y >= 0:
            self.bits[row * self.cols + col] |= _BRAILLE_BITS[y % DOTS_Y][x % DOTS_X]

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        steps = max(1, math.ceil(max(abs(x1 - x0), abs(y1 - y0))))
        if steps > 4 * (self.cols * DOTS_X + self.rows * DOTS_Y):
            return  # far off the canvas: nothing of it shows
        for i in range(steps + 1):
            t = i / steps
            self.plot(math.floor(x0 + (x1 - x0) * t), math.floor(y0 + (y1 - y0) * t))

    def polyline(self, view: View, points: Sequence[tuple[float, float]]) -> None:
        """(lon, lat) points; a segment that crosses the window's seam is not drawn."""
        width = self.cols * DOTS_X
        previous = None
        for lon, lat in points:
            here = dot_of(view, lat, lon)
            if previous is not None and abs(here[0] - previous[0]) < width * 180.0 / max(
                view.span_lon, 1e-9
            ):
                self.line(*previous, *here)
            previous = here

    def char(self, col: int, row: int) -> str:
        bits = self.bits[row * self.cols + col]
        return chr(0x2800 + bits) if bits else " "

    def text_rows(self) -> list[str]:
        return ["".join(self.char(c, r) for c in range(self.cols)) for r in range(self.rows)]


# --- borders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Arc:
    """One stretch of border or coast, with its bounding box in degrees."""

    west: float
    south: float
    east: float
    north: float
    points: tuple[tuple[float, float], ...]  # (lon, lat)


@cache
def border_arcs() -> tuple[Arc, ...]:
    """Natural Earth's country borders and coasts, shipped with the package."""
    from importlib.resources import files  # only the map needs it: 5 ms of every start-up

    raw = json.loads(files("chronicle.geodata").joinpath("borders.json").read_text("utf-8"))
    scale = raw["scale"]
    arcs = []
    for arc in raw["arcs"]:
        deltas = arc["d"]
        x, y, points = 0, 0, []
        for i in range(0, len(deltas), 2):
            x, y = x + deltas[i], y + deltas[i + 1]
            points.append((x / scale, y / scale))
        west, south, east, north = (v / scale for v in arc["box"])
        arcs.append(Arc(west, south, east, north, tuple(points)))
    return tuple(arcs)


def arcs_in(view: View) -> list[Arc]:
    """The arcs whose box meets the view (all of them across a seam they straddle)."""
    south, north = view.south, view.north
    found = []
    for arc in border_arcs():
        if arc.north < south or arc.south > north:
            continue
        if view.span_lon >= 360.0 or _lon_ranges_meet(view, arc.west, arc.east):
            found.append(arc)
    return found


def _lon_ranges_meet(view: View, west: float, east: float) -> bool:
    if east - west >= 360.0 - view.span_lon:
        return True
    start = lon_offset(west, view.west)
    return start <= view.span_lon or start + (east - west) >= 360.0


def draw_borders(canvas: Canvas, view: View) -> None:
    for arc in arcs_in(view):
        canvas.polyline(view, arc.points)


# --- an area of cells, as a filter ------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """A rectangle of cells of a view: "the events in these cells", exactly as counted."""

    view: View
    col0: int
    row0: int
    col1: int
    row1: int

    def params(self) -> dict[str, float | int]:
        return {
            **self.view.params(),
            f"{PARAM}col0": self.col0,
            f"{PARAM}row0": self.row0,
            f"{PARAM}col1": self.col1,
            f"{PARAM}row1": self.row1,
        }

    def contains(self, lat: float, lon: float) -> bool:
        cell = cell_of(self.view, lat, lon)
        return cell is not None and (
            self.col0 <= cell[0] <= self.col1 and self.row0 <= cell[1] <= self.row1
        )

    def describe(self) -> str:
        south, west, _, _ = cell_bounds(self.view, self.col0, self.row1)
        _, _, north, east = cell_bounds(self.view, self.col1, self.row0)
        lats, lons = (
            f"{_lat_words(south)}–{_lat_words(north)}",
            f"{_lon_words(west)}–{_lon_words(east)}",
        )
        return f"area {lats}, {lons}"


def area_sql(lat: str, lon: str) -> str:
    """SQL true for the points of ``Area.params``' cells: the counting expression itself,
    so a cell picked on the map filters to exactly the events it counted."""
    col, row = cell_sql(lat, lon)
    return (
        f"{inside_sql(lat, lon)} AND {col} BETWEEN :{PARAM}col0 AND :{PARAM}col1 "
        f"AND {row} BETWEEN :{PARAM}row0 AND :{PARAM}row1"
    )


def _lat_words(lat: float) -> str:
    return f"{abs(lat):.1f}°{'N' if lat >= 0 else 'S'}"


def _lon_words(lon: float) -> str:
    return f"{abs(lon):.1f}°{'E' if lon >= 0 else 'W'}"
