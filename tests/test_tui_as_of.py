"""Time travel: step through the log entry by entry or by days; the view is the past."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import (
    drive,
    make_store,
    new_app,
    press,
    screen_text,
    selected,
    shown_detail,
    status,
    type_text,
)

HEAD = 31  # the fixture's last seq: a retraction; 30 a merge; 29 a correction


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


def test_comma_steps_back_one_entry_and_the_status_names_it(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        assert app.timeline.count == 10
        await press(pilot, "comma")
        assert app.as_of == HEAD - 1
        assert "as of seq 30 of 31 (2025-01-03 09:00:00, analyst-b, event.merged)" in status(app)
        assert app.timeline.count == 11  # the rumour is not retracted yet
        await press(pilot, "comma")
        assert app.timeline.count == 12  # nor the duplicate merged
        await press(pilot, "full_stop")
        assert app.as_of == 30
        assert app.timeline.count == 11

    drive(new_app(store_file), scenario)


def test_the_detail_shows_the_event_as_it_was(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:ambush")
        await press(pilot)
        assert app.detail.detail.event["display"] == "26–27 Jul 2024"
        await press(pilot, "comma", "comma", "comma")  # as of 28: before the correction
        assert app.as_of == 28
        assert selected(app) == "ev:ambush"
        detail = app.detail.detail
        assert detail.as_of == 28
        assert detail.event["display"] == "27 Jul 2024"
        assert [h["type"] for h in detail.history] == ["event.asserted", "event.linked"]

    drive(new_app(store_file), scenario)


def test_claims_and_disputes_appear_when_they_were_recorded(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:battle")
        await press(pilot, "at")
        await press(pilot, "ctrl+u")
        await type_text(pilot, "25")
        await press(pilot, "enter")
        assert app.as_of == 25
        assert shown_detail(app) == "ev:battle"
        assert len(app.detail.detail.claims) == 1
        assert not any(d["disputed"] for d in app.detail.detail.disputes)
        await press(pilot, "full_stop")
        assert any(d["disputed"] for d in app.detail.detail.disputes)

    drive(new_app(store_file), scenario)


def test_angle_brackets_jump_by_a_day_of_recording(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "comma", "comma")  # seq 29, recorded 2025-01-02 09:00
        await press(pilot, "less_than_sign")  # the last entry a day before: 28 (1 Jan)
        assert app.as_of == 28
        await press(pilot, "less_than_sign")  # a day before 1 Jan: before the first entry
        assert app.as_of == 0
        await press(pilot, "greater_than_sign")  # a day after the first entry: 28 again
        assert app.as_of == 28
        await press(pilot, "greater_than_sign")  # 2 Jan 00:28 holds nothing new: one step
        assert app.as_of == 29

    drive(new_app(store_file), scenario)


def test_at_takes_a_time_or_a_seq_and_shows_what_it_means(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "at", "ctrl+u")
        await type_text(pilot, "2025-01-03")
        hint = str(app.screen.query_one("#prompt-hint").render())
        assert "seq 30" in hint and "event.merged" in hint
        await press(pilot, "enter")
        assert app.as_of == 30
        await press(pilot, "at", "ctrl+u")
        await type_text(pilot, "99")
        assert app.screen.query_one("#prompt-hint").has_class("-invalid")  # past the end
        await press(pilot, "ctrl+u")
        await type_text(pilot, "12")
        await press(pilot, "enter")
        assert app.as_of == 12
        assert app.timeline.count == 2  # only the first two events existed then
        await press(pilot, "at", "ctrl+u")
        await type_text(pilot, "now")
        await press(pilot, "enter")
        assert app.as_of is None
        assert app.timeline.count == 10

    drive(new_app(store_file), scenario)


def test_before_the_first_event_the_view_is_empty(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "at", "ctrl+u")
        await type_text(pilot, "3")
        await press(pilot, "enter")
        assert app.timeline.count == 0
        assert selected(app) is None
        assert "No events yet as of seq 3" in screen_text(app)

    drive(new_app(store_file), scenario)


def test_escape_returns_to_now_keeping_the_selection(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:battle")
        await press(pilot, "comma", "comma", "comma")
        assert selected(app) == "ev:battle"
        await press(pilot, "escape")
        assert app.as_of is None
        assert "as of" not in status(app)
        assert selected(app) == "ev:battle"
        assert app.detail.detail.as_of is None

    drive(new_app(store_file), scenario)


def test_writing_is_refused_while_travelling(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "comma", "e")
        assert "leave time travel first" in status(app)
        assert app.screen is app.screen_stack[0]

    drive(new_app(store_file), scenario)
