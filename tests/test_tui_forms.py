"""The writing forms: add an event or claim; correct, retract or merge the selection."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import drive, fill, make_store, new_app, press, selected, status

from chronicle import queries
from chronicle.commands import Commands
from chronicle.store import Store

HEAD = 31


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


def hint(app, field: str) -> str:
    return str(app.screen.query_one(f"#hint-{field}").render())


def form_error(app) -> str:
    return str(app.screen.query_one("#form-error").render())


def head(path: Path) -> int:
    with Store.open(path, readonly=True) as store:
        return queries.head_seq(store.conn)


def history(path: Path, event_id: str) -> list[dict]:
    with Store.open(path, readonly=True) as store:
        return queries.history(store.conn, event_id)


def test_add_event_previews_the_date_and_selects_the_new_event(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "a")
        await fill(pilot, "title", "Drone strike near the border")
        await fill(pilot, "when", "c. 3 Aug 2024")
        assert "c. 3 Aug 2024 · 2024-08-03 → 2024-08-03 · day · approximate" in hint(app, "when")
        await fill(pilot, "place", "Tin Zaouatine")
        assert "Tinzaouaten (place:tinz)" in hint(app, "place")
        await fill(pilot, "actors", "Malian armed forces:attacker")
        assert "FAMa (attacker)" in hint(app, "actors")
        await fill(pilot, "source", "Sahel Observer report on Tinzaouaten")
        await press(pilot, "ctrl+s")
        row = app.timeline.current
        assert row["title"] == "Drone strike near the border"
        assert row["display"] == "c. 3 Aug 2024"
        assert row["place"] == "Tinzaouaten"
        assert f"seq {HEAD + 1}: added {row['event_id']}" in status(app)
        (entry,) = history(store_file, row["event_id"])
        assert (entry["author"], entry["type"]) == ("tester", "event.asserted")

    drive(new_app(store_file), scenario)


def test_add_event_refuses_an_invalid_date_with_the_reason(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "a")
        await fill(pilot, "title", "Something")
        await fill(pilot, "when", "2024-02-30")
        assert app.screen.query_one("#hint-when").has_class("-invalid")
        assert "2024-02-30" in hint(app, "when")
        await press(pilot, "ctrl+s")
        assert form_error(app).startswith("When:")
        assert app.focused is app.screen.query_one("#field-when")
        await fill(pilot, "when", "")
        await fill(pilot, "title", "")
        await press(pilot, "ctrl+s")
        assert "Title is required" in form_error(app)
        await press(pilot, "escape")
        assert head(store_file) == HEAD

    drive(new_app(store_file), scenario)


def test_add_claim_to_the_selected_event(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:battle")
        await press(pilot, "c")
        await fill(pilot, "claimant", "Malian armed forces")
        app.screen.query_one("#field-property").value = "wounded"
        await fill(pilot, "source", "src:fama")
        await press(pilot, "ctrl+s")
        assert "give a figure" in form_error(app)
        await fill(pilot, "best", "ten")
        assert "not a number" in hint(app, "best")
        await fill(pilot, "best", "10")
        await press(pilot, "ctrl+s")
        assert selected(app) == "ev:battle"
        claims = [c for c in app.detail.detail.claims if c["property"] == "wounded"]
        assert [(c["claimant"], c["best"], c["source_id"]) for c in claims] == [
            ("actor:fama", 10, "src:fama")
        ]

    drive(new_app(store_file), scenario)


def test_correct_writes_only_what_changed_with_the_reason(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:kidal")
        await press(pilot, "e")
        assert app.screen.query_one("#field-when").value == "2023-11"
        await press(pilot, "ctrl+s")
        assert "Reason is required" in form_error(app)
        await fill(pilot, "reason", "the army entered on the 14th")
        await press(pilot, "ctrl+s")
        assert "nothing changed" in form_error(app)
        await fill(pilot, "when", "2023-11-14")
        await fill(pilot, "source", "src:fama")
        await press(pilot, "ctrl+s")
        assert app.detail.detail.event["display"] == "14 Nov 2023"
        last = history(store_file, "ev:kidal")[-1]
        assert last["type"] == "event.corrected"
        assert last["data"]["changes"].keys() == {"when", "when_bounds"}
        assert (last["author"], last["reason"]) == ("tester", "the army entered on the 14th")
        assert last["data"]["citations"] == [{"source": "src:fama"}]

    drive(new_app(store_file), scenario)


def test_a_stale_correction_is_reported_not_written(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:kidal")
        await press(pilot, "e")
        await fill(pilot, "title", "Kidal falls to the army")
        await fill(pilot, "reason", "clearer title")
        with Store.open(store_file) as other:  # someone else, meanwhile
            Commands(other, "rival").correct("ev:kidal", {"summary": "x"}, "their change")
        await press(pilot, "ctrl+s")
        assert "someone else changed this event meanwhile" in form_error(app)
        assert app.screen.query("#form-error")  # the form stays open with the user's work
        await press(pilot, "escape")
        authors = [h["author"] for h in history(store_file, "ev:kidal")]
        assert authors == ["analyst-a", "rival"]

    drive(new_app(store_file), scenario)


def test_retract_removes_the_event_from_the_view(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:coup2")
        await press(pilot, "R")
        await press(pilot, "ctrl+s")
        assert "Reason is required" in form_error(app)
        await fill(pilot, "reason", "a duplicate of the first coup")
        await press(pilot, "ctrl+s")
        assert app.timeline.rows.index_of("ev:coup2") is None
        assert app.timeline.count == 9
        assert selected(app) == "ev:un"  # the next event, by date
        assert history(store_file, "ev:coup2")[-1]["type"] == "event.retracted"

    drive(new_app(store_file), scenario)


def test_merge_checks_the_target_and_moves_to_it(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:helicopter")
        await press(pilot, "M")
        await fill(pilot, "into", "ev:nothing")
        assert "unknown event 'ev:nothing'" in hint(app, "into")
        await fill(pilot, "into", "ev:helicopter")
        await fill(pilot, "reason", "same")
        await press(pilot, "ctrl+s")
        assert "cannot be merged into itself" in form_error(app)
        await fill(pilot, "into", "ev:battle")
        assert "Battle of Tinzaouaten" in hint(app, "into")
        await press(pilot, "ctrl+s")
        assert selected(app) == "ev:battle"
        assert app.timeline.rows.index_of("ev:helicopter") is None

    drive(new_app(store_file), scenario)
