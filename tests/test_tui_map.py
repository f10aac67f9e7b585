"""The map: per-cell counts made in SQL, and the pane that draws them in the app.

The counts are checked against a count made the slow way in Python (every event
of the view, its place's coordinates, ``geo.cell_of``), and the very SQL the app
runs is run again in the ``sqlite3`` shell, which has no function of ours. The
pane is driven through Textual's Pilot on the seed chronology.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from test_tui_support import SEEDS, drive, make_store, new_app, press, screen_text, settle

from chronicle import geo, queries
from chronicle.queries import TimelineFilter
from chronicle.store import Store

TINZAOUATEN = (19.9628, 2.8828)
KIDAL = (18.4411, 1.4078)
BATTLE = "ev:2024-07-battle-of-tinzaouaten"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("map") / "seeds.db", SEEDS / "mali.ndjson")


def slow_cells(conn, view: geo.View, flt=None, as_of=None) -> Counter:
    """Every event of the view, placed one by one in Python."""
    counts: Counter = Counter()
    for event_id in queries.timeline_ids(conn, flt, as_of):
        _, point = queries.event_place(conn, event_id, as_of)
        cell = geo.cell_of(view, *point) if point else None
        if cell is not None:
            counts[cell] += 1
    return counts


def test_cells_count_what_python_counts(seeded: Path) -> None:
    with Store.open(seeded, readonly=True) as store:
        conn = store.conn
        summary = queries.place_summary(conn)
        for view in (
            geo.fit(summary.extent, 38, 18),
            geo.fit(summary.extent, 38, 18).zoomed(4),
            geo.View(-180.0, 90.0, 360.0, 180.0, 80, 20),
            geo.View(170.0, 40.0, 60.0, 40.0, 30, 10),  # across the antimeridian, empty
        ):
            found = {(c.col, c.row): c.events for c in queries.place_cells(conn, view)}
            assert found == dict(slow_cells(conn, view)), view


def test_the_summary_says_how_many_have_no_coordinates(seeded: Path) -> None:
    with Store.open(seeded, readonly=True) as store:
        conn = store.conn
        ids = queries.timeline_ids(conn)
        unplaced = [e for e in ids if queries.event_place(conn, e)[1] is None]
        summary = queries.place_summary(conn)
        assert (summary.events, summary.unlocated) == (len(ids), len(unplaced))
        assert summary.unlocated > 0  # events with no place at all count as unlocated
        assert summary.extent is not None
        view = geo.fit(summary.extent, 38, 18)
        for point in (TINZAOUATEN, KIDAL, (9.0, 39.5)):
            assert geo.cell_of(view, *point) is not None


def test_filter_search_and_as_of_apply(seeded: Path) -> None:
    with Store.open(seeded, readonly=True) as store:
        conn = store.conn
        view = geo.fit(queries.place_summary(conn).extent, 38, 18)
        battle_seq = conn.execute("SELECT seq FROM log WHERE subject = ?", (BATTLE,)).fetchone()[0]
        for flt, as_of in (
            (TimelineFilter(tags=["battle"]), None),
            (TimelineFilter(search="Tinzaouaten"), None),
            (None, battle_seq - 1),
            (TimelineFilter(places=["Kidal"]), battle_seq),
        ):
            found = {(c.col, c.row): c.events for c in queries.place_cells(conn, view, flt, as_of)}
            assert found == dict(slow_cells(conn, view, flt, as_of)), (flt, as_of)
            assert queries.place_summary(conn, flt, as_of).events == len(
                queries.timeline_ids(conn, flt, as_of)
            )


def test_an_area_filters_the_timeline_to_the_cell_counted(seeded: Path) -> None:
    with Store.open(seeded, readonly=True) as store:
        conn = store.conn
        view = geo.fit(queries.place_summary(conn).extent, 38, 18).zoomed(4)
        for cell in queries.place_cells(conn, view):
            area = geo.Area(view, cell.col, cell.row, cell.col, cell.row)
            ids = queries.timeline_ids(conn, TimelineFilter(area=area))
            assert len(ids) == cell.events
            assert "area" in TimelineFilter(area=area).describe()


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell here")
def test_the_cell_sql_runs_in_the_sqlite3_shell(seeded: Path) -> None:
    """No function registered from Python: any SQLite client counts the same cells."""
    view = geo.View(-12.0, 26.0, 24.0, 16.0, 20, 8)
    col, row = geo.cell_sql("lat", "lon")
    sql = (
        f"SELECT {col}, {row}, count(*) FROM events e JOIN entities n "
        f"ON n.entity_id = e.place_id WHERE e.status = 'active' AND "
        f"{geo.inside_sql('lat', 'lon')} GROUP BY 1, 2 ORDER BY 1, 2;"
    )
    for name, value in view.params().items():
        sql = sql.replace(f":{name}", repr(value))
    out = subprocess.run(
        ["sqlite3", "-readonly", str(seeded), sql], capture_output=True, text=True, check=True
    ).stdout
    shell = {tuple(map(int, line.split("|")[:2])): int(line.split("|")[2]) for line in out.split()}
    with Store.open(seeded, readonly=True) as store:
        assert shell == {(c.col, c.row): c.events for c in queries.place_cells(store.conn, view)}


# --- the pane ----------------------------------------------------------------------------


def test_the_map_opens_marks_the_selection_and_follows_it(seeded: Path) -> None:
    app = new_app(seeded)

    async def scenario(app, pilot) -> None:
        app.go_to_event(BATTLE)
        await settle(pilot)
        await press(pilot, "m")
        assert app.map.display and not app.detail.display
        data = app.map.data
        assert data.summary.events == app.timeline.count
        assert app.map._selected_cell() == geo.cell_of(data.view, *TINZAOUATEN)
        text = screen_text(app)
        assert "◆" in text and "without coordinates" in text
        kidal_event = "ev:2023-11-kidal-retaken"
        app.go_to_event(kidal_event)
        await settle(pilot)
        assert app.map.point == KIDAL
        await press(pilot, "m")
        assert not app.map.display and app.detail.display

    drive(app, scenario)


def test_zoom_pan_and_pick_a_cell(seeded: Path) -> None:
    app = new_app(seeded)

    async def scenario(app, pilot) -> None:
        app.go_to_event(BATTLE)
        await settle(pilot)
        await press(pilot, "m", "enter")
        assert app.map.has_focus
        before = app.map.data.view
        await press(pilot, "plus")
        zoomed = app.map.data.view
        assert zoomed.span_lon == pytest.approx(before.span_lon / 2)
        await press(pilot, "L")
        panned = app.map.data.view
        assert geo.lon_offset(panned.west, zoomed.west) == pytest.approx(zoomed.span_lon / 4, 0.1)
        await press(pilot, "0")
        assert app.map.data.view == before
        cell = geo.cell_of(before, *TINZAOUATEN)
        assert app.map.cursor == cell
        counted = next(c.events for c in app.map.data.cells if (c.col, c.row) == cell)
        await press(pilot, "enter")
        assert app.flt.area is not None
        assert app.timeline.count == counted
        # the pick narrows the timeline, not the map (one row less: the filter bar shows)
        after = app.map.data.view
        assert (after.span_lon, after.centre()) == (before.span_lon, pytest.approx(before.centre()))
        assert "area" in screen_text(app)
        await press(pilot, "escape", "x")
        assert app.flt.area is None and app.timeline.count == app.map.data.summary.events

    drive(app, scenario)


def test_time_travel_and_search_recount_the_map(seeded: Path) -> None:
    app = new_app(seeded)

    async def scenario(app, pilot) -> None:
        await press(pilot, "m")
        everything = app.map.data.summary.events
        app._set_as_of(60)
        await settle(pilot)
        await settle(pilot)
        assert app.map.data.summary.events == app.timeline.count < everything
        app._set_as_of(None)
        await settle(pilot)
        app.search_for("Kidal")
        await settle(pilot)
        assert app.map.data.summary.events == len(app.search.ids) < everything

    drive(app, scenario)


def test_map_snapshot_on_the_seeds(snap_compare, seeded: Path) -> None:
    """Mali at 80×24, zoomed in once on the battle: Kidal and Tinzaouaten marked."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.go_to_event(BATTLE)
        await settle(pilot)
        await press(pilot, "m", "enter", "plus")

    assert snap_compare(new_app(seeded), terminal_size=(80, 24), run_before=run_before)


def test_the_map_pans_to_a_selection_out_of_sight(seeded: Path) -> None:
    app = new_app(seeded)

    async def scenario(app, pilot) -> None:
        app.go_to_event(BATTLE)
        await settle(pilot)
        await press(pilot, "m", "enter", "plus", "plus", "plus", "escape")
        close = app.map.data.view
        assert geo.cell_of(close, 9.0, 39.5) is None  # Ethiopia is far out of this view
        app.go_to_event("ev:198x-ethiopia-rebels-cede-towns")
        await settle(pilot)
        moved = app.map.data.view
        assert moved.span_lon == pytest.approx(close.span_lon)  # same zoom, panned
        assert app.map._selected_cell() == geo.cell_of(moved, 9.0, 39.5) is not None
        assert "◆" in screen_text(app)

    drive(app, scenario)
