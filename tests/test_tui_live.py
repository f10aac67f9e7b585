"""Another process appends: the app notices, re-reads, and keeps the selection."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import drive, make_store, new_app, selected, settle, status

from chronicle.commands import Commands
from chronicle.store import Store


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


async def wait_for(pilot, done) -> None:
    """Poll the app's state the way a user would watch the screen: a few times a second."""
    for _ in range(50):
        await pilot.pause(0.05)
        await settle(pilot)
        if done():
            return
    raise AssertionError("the app did not catch up")


def test_an_append_elsewhere_refreshes_the_view_around_the_selection(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:battle")
        await settle(pilot)
        index = app.timeline.cursor
        with Store.open(store_file) as other:
            Commands(other, "elsewhere").add(
                "event.asserted",
                {"event_id": "ev:new", "title": "Earlier event from elsewhere", "when": "2013",
                 "actors": [], "tags": [], "summary": "", "citations": []},
            )  # fmt: skip
        await wait_for(pilot, lambda: app.timeline.count == 11)
        assert selected(app) == "ev:battle"
        assert app.timeline.cursor == index + 1  # an event sorted in before it
        assert "1 new entry in the store: refreshed" in status(app)
        assert app.timeline.rows.index_of("ev:new") == 1

    drive(new_app(store_file, poll_seconds=0.05), scenario)


def test_a_correction_elsewhere_reloads_the_detail(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:kidal")
        await settle(pilot)
        with Store.open(store_file) as other:
            Commands(other, "elsewhere").correct(
                "ev:kidal", {"title": "Kidal retaken (corrected elsewhere)"}, "better title"
            )
        await wait_for(pilot, lambda: app.detail.detail.event["version"] == 2)
        assert app.detail.detail.event["title"] == "Kidal retaken (corrected elsewhere)"
        assert app.timeline.current["title"] == "Kidal retaken (corrected elsewhere)"
        assert selected(app) == "ev:kidal"

    drive(new_app(store_file, poll_seconds=0.05), scenario)
