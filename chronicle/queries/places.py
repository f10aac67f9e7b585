"""Where the events of a view happened: counts per map cell, per place, and the rest.

Every count is made in SQLite. The view's events (its filter and as-of applied)
are first grouped by place, which leaves at most one row per place however many
events there are; those rows are joined to the places' coordinates, and grouped
again by the cell expression that ``geo`` writes. No function registered from
Python is involved, so the same SQL runs in any SQLite client, and nothing here
reads one row per event into Python.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from chronicle import geo
from chronicle.queries.timeline import TimelineFilter, timeline_sql
from chronicle.schema import as_of_span


@dataclass(frozen=True)
class PlaceSummary:
    """How many events the view holds, how many of them have no coordinates, and the
    smallest window that shows all the others."""

    events: int
    unlocated: int
    extent: geo.Extent | None


@dataclass(frozen=True)
class PlaceCell:
    col: int
    row: int
    events: int
    places: int
    top_place: str  # the name of the place with most events in the cell


@dataclass(frozen=True)
class LocatedPlace:
    place_id: str
    name: str
    lat: float
    lon: float
    events: int


def _per_place(
    conn: sqlite3.Connection, flt: TimelineFilter | None, as_of: int | None
) -> tuple[str, dict[str, Any]]:
    inner, params = timeline_sql(conn, flt or TimelineFilter(), as_of, "t.place_id", ordered=False)
    sql = (
        f"WITH per_place AS MATERIALIZED (SELECT place_id, count(*) AS n FROM ({inner}) "
        "GROUP BY place_id) "
    )
    return sql, params


def place_summary(
    conn: sqlite3.Connection, flt: TimelineFilter | None = None, as_of: int | None = None
) -> PlaceSummary:
    """One pass over the view: located places grouped by whole degree of longitude
    (at most 361 rows), with the unlocated events in the group of no longitude."""
    head, params = _per_place(conn, flt, as_of)
    sql = (
        f"{head}SELECT CASE WHEN e.lat IS NULL OR e.lon IS NULL THEN NULL "
        "ELSE CAST(e.lon + 180 AS INTEGER) END AS band, sum(p.n), "
        "min(e.lat), max(e.lat), min(e.lon), max(e.lon) "
        "FROM per_place p LEFT JOIN entities e ON e.entity_id = p.place_id GROUP BY band"
    )
    events = unlocated = 0
    corners: list[tuple[float, float]] = []
    for band, n, south, north, west, east in conn.execute(sql, params):
        events += n
        if band is None:
            unlocated += n
        else:
            corners += [(south, west), (north, east)]
    return PlaceSummary(events, unlocated, geo.Extent.of(corners))


def place_cells(
    conn: sqlite3.Connection,
    view: geo.View,
    flt: TimelineFilter | None = None,
    as_of: int | None = None,
) -> list[PlaceCell]:
    """Events per cell of ``view``; the grouping key is ``geo.cell_sql`` itself."""
    head, params = _per_place(conn, flt, as_of)
    params.update(view.params())
    col, row = geo.cell_sql("e.lat", "e.lon")
    sql = (
        f"{head}SELECT col, row, sum(n), count(*), name, max(n) FROM ("
        f"SELECT {col} AS col, {row} AS row, p.n AS n, e.name AS name "
        "FROM per_place p JOIN entities e ON e.entity_id = p.place_id "
        f"WHERE {geo.inside_sql('e.lat', 'e.lon')}) GROUP BY col, row"
    )
    return [PlaceCell(c, r, n, k, name) for c, r, n, k, name, _ in conn.execute(sql, params)]


def located_places(
    conn: sqlite3.Connection, flt: TimelineFilter | None = None, as_of: int | None = None
) -> list[LocatedPlace]:
    """Every located place of the view with its number of events, most events first."""
    head, params = _per_place(conn, flt, as_of)
    sql = (
        f"{head}SELECT e.entity_id, e.name, e.lat, e.lon, p.n FROM per_place p "
        "JOIN entities e ON e.entity_id = p.place_id "
        "WHERE e.lat IS NOT NULL AND e.lon IS NOT NULL ORDER BY p.n DESC, e.name"
    )
    return [LocatedPlace(*row) for row in conn.execute(sql, params)]


def event_place(
    conn: sqlite3.Connection, event_id: str, as_of: int | None = None
) -> tuple[str | None, tuple[float, float] | None]:
    """The name of an event's place (as of a seq) and its coordinates, when it has them."""
    params: dict[str, Any] = {"event_id": event_id, "as_of": as_of}
    if as_of is None:
        source = "SELECT place_id, place FROM events WHERE event_id = :event_id"
    else:
        source = (
            "SELECT place_id, place FROM event_versions WHERE event_id = :event_id "
            f"AND {as_of_span()}"
        )
    row = conn.execute(
        f"SELECT v.place, n.lat, n.lon FROM ({source}) v "
        "LEFT JOIN entities n ON n.entity_id = v.place_id",
        params,
    ).fetchone()
    if row is None:
        return None, None
    name, lat, lon = row
    return name, (lat, lon) if lat is not None and lon is not None else None
