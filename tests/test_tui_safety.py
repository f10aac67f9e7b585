"""Text from the store is shown literally: markup stays text, escapes stay visible.

The fixture's event ``ev:markup`` has Rich markup (``[bold]``, ``[link=…]``) and ANSI
and OSC 8 escape sequences in its title, summary, quote and source title. Whatever
screen shows it, the terminal must receive no escape character from the data and
no style the data asked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import drive, make_store, new_app, press, screen_strips, screen_text

CONTROL = {chr(c) for c in range(32)} | {chr(0x7F)}


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


def assert_inert(app) -> None:
    """No control character and no link or data-made style reaches the terminal."""
    for strip in screen_strips(app):
        for segment in strip:
            assert not CONTROL & set(segment.text), repr(segment.text)
            style = segment.style
            assert style is None or not style.link, style


def test_markup_and_escapes_in_the_timeline_and_detail_are_literal(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "G")
        assert app.detail.detail.event["event_id"] == "ev:markup"
        text = screen_text(app)
        assert text.count("[bold]Markup[/bold] [link=https://evil.example]title[/link]") == 2
        assert "\\x1b[31mred\\x1b[0m" in text  # the end of the title, in the detail
        assert "Summary with [red]markup[/red] and \\x1b[2J an escape." in text
        assert "[bold]Loud[/bold]" in text  # the source's title
        assert "[link=https://evil.example]click[/link] \\x1b[31mred" in text
        assert "quote [i]x[/i] \\x1b]8;;https://evil.example\\x1b\\link" in text
        assert_inert(app)

    drive(new_app(store_file), scenario, size=(160, 50))


def test_a_form_filled_from_the_store_shows_it_literally_too(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "G", "e")
        text = screen_text(app)
        assert "[bold]Markup[/bold]" in text
        assert_inert(app)
        await press(pilot, "escape")

    drive(new_app(store_file), scenario, size=(160, 50))


def test_search_words_with_markup_are_shown_as_typed(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "slash")
        for key in ("left_square_bracket", "b", "right_square_bracket", "m", "a", "r", "k"):
            await pilot.press(key)
        await press(pilot, "enter")
        assert "search “[b]mark”" in screen_text(app)
        assert_inert(app)

    drive(new_app(store_file), scenario)
