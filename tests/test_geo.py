"""The projection from latitude and longitude to map cells, in Python and in SQL.

The app counts events per cell in SQLite and marks the selected event by computing
its cell in Python: both must put every point in the same cell, or the mark sits
beside its count. The properties are checked over the whole globe, with the
antimeridian and the poles drawn on purpose.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chronicle import geo

EDGE_LONS = st.sampled_from([-180.0, 180.0, -179.9999, 179.9999, 0.0, -0.0])
EDGE_LATS = st.sampled_from([-90.0, 90.0, -89.9999, 89.9999, 0.0])
lons = st.one_of(EDGE_LONS, st.floats(-180, 180, allow_nan=False))
lats = st.one_of(EDGE_LATS, st.floats(-90, 90, allow_nan=False))


@st.composite
def views(draw) -> geo.View:
    span_lon = draw(st.one_of(st.just(360.0), st.floats(0.01, 360.0)))
    span_lat = draw(st.one_of(st.just(180.0), st.floats(0.01, 200.0)))
    west = draw(st.one_of(st.sampled_from([-180.0, 179.5, -0.25]), st.floats(-180, 179.999)))
    north = draw(st.one_of(st.sampled_from([90.0, 45.0, -89.0]), st.floats(-90, 90)))
    return geo.View(
        geo.wrap_lon(west), north, span_lon, span_lat,
        draw(st.integers(1, 300)), draw(st.integers(1, 120)),
    )  # fmt: skip


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", check_same_thread=False)


def sql_cell(db: sqlite3.Connection, view: geo.View, lat: float, lon: float):
    col, row = geo.cell_sql(":lat", ":lon")
    sql = f"SELECT {geo.inside_sql(':lat', ':lon')}, {col}, {row}"
    inside, c, r = db.execute(sql, {**view.params(), "lat": lat, "lon": lon}).fetchone()
    return (c, r) if inside else None


@settings(max_examples=400, deadline=None)
@given(views(), lats, lons)
def test_sql_and_python_put_a_point_in_the_same_cell(db, view, lat, lon) -> None:
    assert sql_cell(db, view, lat, lon) == geo.cell_of(view, lat, lon)


@settings(max_examples=300, deadline=None)
@given(views(), lats, lons)
def test_a_shown_point_is_in_a_cell_of_the_grid(view, lat, lon) -> None:
    cell = geo.cell_of(view, lat, lon)
    if cell is not None:
        assert 0 <= cell[0] < view.cols and 0 <= cell[1] < view.rows


@settings(max_examples=300, deadline=None)
@given(views(), lats)
def test_the_antimeridian_is_one_meridian(view, lat) -> None:
    assert geo.cell_of(view, lat, -180.0) == geo.cell_of(view, lat, 180.0)


@settings(max_examples=200, deadline=None)
@given(views(), lats, lons)
def test_a_world_wide_view_shows_every_longitude(view, lat, lon) -> None:
    world = geo.View(view.west, 90.0, 360.0, 180.0, view.cols, view.rows)
    assert geo.cell_of(world, lat, lon) is not None


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 200), st.integers(1, 100), lons)
def test_the_poles_are_the_first_and_last_rows(cols, rows, lon) -> None:
    world = geo.View(-180.0, 90.0, 360.0, 180.0, cols, rows)
    assert geo.cell_of(world, 90.0, lon)[1] == 0
    assert geo.cell_of(world, -90.0, lon)[1] == rows - 1


points = st.lists(st.tuples(lats, lons), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(points, st.integers(4, 200), st.integers(2, 60))
def test_a_fitted_view_shows_every_point(pts, cols, rows) -> None:
    view = geo.fit(geo.Extent.of(pts), cols, rows)
    for lat, lon in pts:
        assert geo.cell_of(view, lat, lon) is not None, (lat, lon, view)


@settings(max_examples=200, deadline=None)
@given(st.floats(-60, 60), st.floats(170, 180), st.floats(-180, -170), st.integers(10, 100))
def test_a_fit_across_the_antimeridian_stays_narrow(lat, east_lon, west_lon, cols) -> None:
    """Fiji and Samoa side by side, not a world apart."""
    view = geo.fit(geo.Extent.of([(lat, east_lon), (lat, west_lon)]), cols, 20)
    assert view.span_lon < 40


@settings(max_examples=200, deadline=None)
@given(views(), st.integers(0, 299), st.integers(0, 119))
def test_an_area_holds_the_points_of_its_cells(view, col, row) -> None:
    col, row = min(col, view.cols - 1), min(row, view.rows - 1)
    south, west, north, east = geo.cell_bounds(view, col, row)
    lat, lon = (south + north) / 2, geo.wrap_lon(west + geo.lon_offset(east, west) / 2)
    assume(view.span_lon < 360.0 or geo.lon_offset(east, west) > 0)
    area = geo.Area(view, col, row, col, row)
    if geo.cell_of(view, lat, lon) == (col, row):
        assert area.contains(lat, lon)


def test_zoom_and_pan_keep_the_grid() -> None:
    view = geo.fit(geo.Extent.of([(18.44, 1.41), (12.65, -8.0)]), 40, 18)
    closer = view.zoomed(2)
    assert (closer.cols, closer.rows) == (40, 18)
    assert closer.span_lon == pytest.approx(view.span_lon / 2)
    assert closer.centre() == pytest.approx(view.centre())
    east = view.panned(4, 0)
    assert east.west == pytest.approx(geo.wrap_lon(view.west + 4 * view.span_lon / 40))
    assert view.zoomed(0.001).span_lon == 360.0


def test_borders_draw_mali_from_the_shipped_data() -> None:
    view = geo.fit(geo.Extent.of([(25.0, -12.5), (10.0, 4.5)]), 40, 18)
    canvas = geo.Canvas(view.cols, view.rows)
    geo.draw_borders(canvas, view)
    drawn = sum(ch != " " for line in canvas.text_rows() for ch in line)
    assert 60 < drawn < view.cols * view.rows / 2  # lines, not an empty or filled box
    chars = {ch for line in canvas.text_rows() for ch in line} - {" "}
    assert all(0x2800 < ord(ch) <= 0x28FF for ch in chars)
