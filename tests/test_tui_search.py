"""`/` searches titles, summaries, quotes and names with their aliases; n and N step."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import drive, make_store, new_app, press, selected, status, type_text


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


async def search(pilot, words: str) -> None:
    await press(pilot, "slash")
    await type_text(pilot, words)
    await press(pilot, "enter")


def test_search_jumps_to_the_first_match_and_n_N_step(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await search(pilot, "coup")
        assert selected(app) == "ev:coup1"
        assert "search “coup”: 1/2 matches" in status(app)
        await press(pilot, "n")
        assert selected(app) == "ev:coup2"
        assert "2/2" in status(app)
        await press(pilot, "n")  # wraps around
        assert selected(app) == "ev:coup1"
        await press(pilot, "N")  # and back
        assert selected(app) == "ev:coup2"

    drive(new_app(store_file), scenario)


def test_search_finds_aliases_and_the_spelling_a_source_used(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await search(pilot, "Tin Zaouatine")  # an alias of the place, and a quote's spelling
        assert app.search is not None
        assert set(app.search.ids) == {"ev:battle", "ev:helicopter", "ev:ambush"}
        assert selected(app) == "ev:battle"
        await search(pilot, "Malian armed forces")  # an alias of FAMa, an actor
        assert app.search.ids == ["ev:kidal", "ev:battle"]

    drive(new_app(store_file), scenario)


def test_n_starts_from_the_cursor(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await search(pilot, "Tinzaouaten")
        assert selected(app) == "ev:battle"
        await press(pilot, "g")  # back to 2012: the next match is the first one again
        await press(pilot, "n")
        assert selected(app) == "ev:battle"
        await press(pilot, "G")  # past every match: N goes to the last one
        await press(pilot, "N")
        assert selected(app) == "ev:ambush"

    drive(new_app(store_file), scenario)


def test_matches_are_marked_and_escape_clears_them(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await search(pilot, "coup")
        assert app.timeline.matches == {"ev:coup1", "ev:coup2"}
        await press(pilot, "escape")
        assert app.search is None
        assert app.timeline.matches == frozenset()
        await press(pilot, "n")
        assert "press / to search" in status(app)

    drive(new_app(store_file), scenario)


def test_a_search_without_a_match_or_without_words_says_so(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await search(pilot, "zeppelin")
        assert "no match for “zeppelin”" in status(app)
        assert selected(app) == "ev:uprising"
        await press(pilot, "slash")
        await type_text(pilot, "!!")
        assert app.screen.query_one("#prompt-hint").has_class("-invalid")
        await press(pilot, "escape")

    drive(new_app(store_file), scenario)
