"""Snapshots of the main screens (pytest-textual-snapshot; Textual is pinned exactly).

Everything is driven in ``run_before`` and settled there, so the picture is taken
once the workers have finished: the same picture on every run.
Update with ``pytest tests/test_tui_snapshots.py --snapshot-update`` after checking
the difference by eye.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import make_store, new_app, press, settle, type_text
from textual.widgets import Input


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


def steady(pilot) -> None:
    """No blinking cursor in a picture."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def test_main_screen(snap_compare, store_file: Path) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)

    assert snap_compare(new_app(store_file), terminal_size=(120, 40), run_before=run_before)


def test_main_screen_small_terminal(snap_compare, store_file: Path) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, "j", "j")

    assert snap_compare(new_app(store_file), terminal_size=(80, 24), run_before=run_before)


def test_detail_with_a_dispute(snap_compare, store_file: Path) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.go_to_event("ev:battle")
        await settle(pilot)

    assert snap_compare(new_app(store_file), terminal_size=(120, 50), run_before=run_before)


def test_help(snap_compare, store_file: Path) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, "question_mark")

    assert snap_compare(new_app(store_file), terminal_size=(100, 60), run_before=run_before)


def test_add_event_form_with_a_date_preview(snap_compare, store_file: Path) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, "a")
        steady(pilot)
        await type_text(pilot, "Convoy leaves Kidal")
        await press(pilot, "down")
        await type_text(pilot, "c. 24 Jul 2024")
        await press(pilot, "down")
        await type_text(pilot, "Nowhere")

    assert snap_compare(new_app(store_file), terminal_size=(120, 40), run_before=run_before)


def test_as_of_mode(snap_compare, store_file: Path) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.go_to_event("ev:ambush")
        await settle(pilot)
        await press(pilot, "comma", "comma", "comma")

    assert snap_compare(new_app(store_file), terminal_size=(120, 40), run_before=run_before)
