"""Conventions: every key has a binding id, help lists it, the palette offers it,
the theme is Textual's, `q` quits, and nothing outside the TUI imports Textual."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_tui_support import drive, make_store, new_app, press, screen_strips, type_text
from textual.binding import Binding

from chronicle.tui import detail, forms, keys, screens, timeline
from chronicle.tui.app import ChronicleApp

BOUND = (
    ChronicleApp, timeline.TimelineView, detail.DetailPane, detail.LinkList, forms.FormScreen,
    screens.PromptScreen, screens.HelpScreen,
)  # fmt: skip


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


def test_every_binding_has_a_unique_id() -> None:
    bindings = [b for owner in BOUND for b in owner.BINDINGS]
    assert all(isinstance(b, Binding) for b in bindings)
    ids = [b.id for b in bindings]
    assert None not in ids
    assert len(ids) == len(set(ids))


def test_help_lists_every_key(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, screens.HelpScreen)
        text = "\n".join(strip.text for strip in screen_strips(app))
        for _, bound in keys.SCOPES:
            for key in bound:
                assert f"{key.shown_keys}" in text
                assert key.description in text
        assert "Ctrl+P" in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, screens.HelpScreen)

    drive(new_app(store_file), scenario, size=(120, 80))


def test_the_palette_offers_every_action(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for _, bound in keys.SCOPES:
            for key in bound:
                assert key.description in titles
        await press(pilot, "ctrl+p")
        await type_text(pilot, "Jump to a date")
        await press(pilot, "enter")
        await press(pilot)
        assert isinstance(app.screen, screens.PromptScreen)

    drive(new_app(store_file), scenario)


def test_palette_commands_reach_the_widget_that_owns_them(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        await commands["Last event"].callback()
        await press(pilot)
        assert app.timeline.cursor == app.timeline.count - 1

    drive(new_app(store_file), scenario)


def test_the_theme_is_textuals_and_switching_it_restyles_the_timeline(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        app.theme = "textual-dark"
        await press(pilot)
        dark = [seg.style.bgcolor for seg in screen_strips(app)[5] if seg.style]
        app.theme = "textual-light"
        await press(pilot)
        light = [seg.style.bgcolor for seg in screen_strips(app)[5] if seg.style]
        assert dark != light

    drive(new_app(store_file), scenario)


def test_q_quits(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(new_app(store_file), scenario)


def test_nothing_outside_the_tui_imports_textual(store_file: Path) -> None:
    """Import every other module and run CLI commands: Textual must stay unloaded."""
    script = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        import chronicle
        for info in pkgutil.walk_packages(chronicle.__path__, "chronicle."):
            if not info.name.startswith("chronicle.tui"):
                importlib.import_module(info.name)
        from chronicle.cli import main
        for args in (["timeline"], ["show", "ev:battle"], ["disputes"]):
            try:
                main(["--store", {str(store_file)!r}, *args])
            except SystemExit as done:
                assert not done.code, done.code
        loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
        assert not loaded, loaded
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
