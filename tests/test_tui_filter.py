"""`f` narrows the timeline by date, actor, place, tag, text and status; `x` clears it."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import (
    drive,
    fill,
    make_store,
    new_app,
    press,
    screen_text,
    selected,
)


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


def ids(app) -> list[str]:
    return [app.timeline.rows.row(i)["event_id"] for i in range(app.timeline.count)]


def test_filter_by_place_alias_shows_only_its_events_and_stays_visible(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "f")
        await fill(pilot, "places", "Tin Zaouatine")
        await press(pilot, "ctrl+s")
        assert ids(app) == ["ev:battle", "ev:helicopter", "ev:ambush"]
        bar = app.query_one("#filter-bar")
        assert bar.display
        assert "place Tin Zaouatine" in screen_text(app)
        await press(pilot, "x")
        assert len(ids(app)) == 10
        assert not bar.display

    drive(new_app(store_file), scenario)


def test_filter_by_dates_actor_and_tag(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "f")
        await fill(pilot, "start", "2020")
        await fill(pilot, "end", "May 2021")
        await press(pilot, "ctrl+s")
        assert ids(app) == ["ev:coup1", "ev:coup2"]
        await press(pilot, "f")  # the form reopens with the same words
        assert app.screen.query_one("#field-start").value == "2020"
        await fill(pilot, "start", "")
        await fill(pilot, "end", "")
        await fill(pilot, "actors", "JNIM")
        await fill(pilot, "tags", "ambush")
        await press(pilot, "ctrl+s")
        assert ids(app) == ["ev:ambush"]

    drive(new_app(store_file), scenario)


def test_filter_can_show_retracted_and_merged_events(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "f")
        app.screen.query_one("#field-retracted").value = True
        await press(pilot, "ctrl+s")
        assert {"ev:rumour", "ev:dup"} <= set(ids(app))
        assert len(ids(app)) == 12

    drive(new_app(store_file), scenario)


def test_filter_keeps_the_selection_when_it_can(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:helicopter")
        await press(pilot, "f")
        await fill(pilot, "places", "Tinzaouaten")
        await press(pilot, "ctrl+s")
        assert selected(app) == "ev:helicopter"
        await press(pilot, "x")
        assert selected(app) == "ev:helicopter"

    drive(new_app(store_file), scenario)


def test_filter_refuses_unknown_names_and_bad_dates(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "f")
        await fill(pilot, "actors", "Nobody at all")
        await press(pilot, "ctrl+s")
        error = str(app.screen.query_one("#form-error").render())
        assert "no entity is called 'Nobody at all'" in error
        await fill(pilot, "start", "31 Febtember")
        assert app.screen.query_one("#hint-start").has_class("-invalid")
        await press(pilot, "escape")
        assert not app.flt.active
        assert len(ids(app)) == 10

    drive(new_app(store_file), scenario)
