"""The app opens a store whose views disagree with its log: it says so and offers a rebuild."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from test_tui_support import drive, make_store, new_app, press, settle, status

from chronicle import audit
from chronicle.store import Store
from chronicle.tui.screens import ConfirmScreen


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "app.db")


def edit(path: Path, *statements: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def make_stale(path: Path) -> None:
    edit(path, "UPDATE projection_meta SET value = value - 1 WHERE key = 'checkpoint'")


def problem_of(path: Path) -> audit.Disagreement | None:
    with Store.open(path, readonly=True) as store:
        return audit.quick_check(store.conn)


def test_a_sound_store_opens_without_a_word(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        assert app.views_problem is None
        assert not isinstance(app.screen, ConfirmScreen)
        assert "disagree" not in status(app)

    drive(new_app(store_file), scenario)


def test_stale_views_are_named_in_one_line_and_rebuilt_on_yes(store_file: Path) -> None:
    make_stale(store_file)

    async def scenario(app, pilot) -> None:
        assert isinstance(app.screen, ConfirmScreen)
        line = status(app)
        assert "the views disagree with the log: projection projection_meta is stale" in line
        assert "\n" not in line
        await press(pilot, "y")
        assert not isinstance(app.screen, ConfirmScreen)
        assert "views rebuilt from" in status(app)
        assert app.views_problem is None
        assert app.timeline.count > 0

    drive(new_app(store_file), scenario)
    assert problem_of(store_file) is None


def test_the_rebuild_refreshes_the_view_once(store_file: Path) -> None:
    """The rebuild's commit is not taken for another process's change by the poll."""
    make_stale(store_file)
    refreshes: list[int] = []

    async def scenario(app, pilot) -> None:
        rebuild = app._rebuild
        app._rebuild = lambda *a, **k: refreshes.append(1) or rebuild(*a, **k)
        await press(pilot, "y")
        app._poll()  # what the app's timer would do next
        await settle(pilot)

    drive(new_app(store_file), scenario)
    assert refreshes == [1]


def test_a_replaced_view_is_named_and_left_alone_on_no(store_file: Path) -> None:
    edit(store_file, "DROP VIEW timeline", "CREATE VIEW timeline AS SELECT 'FORGED' AS title")

    async def scenario(app, pilot) -> None:
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert not isinstance(app.screen, ConfirmScreen)
        assert "projection timeline is not chronicle's" in status(app)

    drive(new_app(store_file), scenario)
    found = problem_of(store_file)
    assert found is not None and found.table == "timeline"


def test_the_palette_rebuilds_later(store_file: Path) -> None:
    """Declined at first, the rebuild is one palette command away."""
    make_stale(store_file)

    async def scenario(app, pilot) -> None:
        await press(pilot, "escape")
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        await commands["Rebuild the views"].callback()
        await press(pilot)
        assert "views rebuilt from" in status(app)

    drive(new_app(store_file), scenario)
    assert problem_of(store_file) is None


def test_a_broken_chain_is_not_rebuilt_from(store_file: Path) -> None:
    """The rebuild walks the chain first: the app shows the refusal, the views stay."""
    make_stale(store_file)
    edit(store_file, "DROP TRIGGER log_no_update",
         "UPDATE log SET author = 'mallory' WHERE seq = 3")  # fmt: skip

    async def scenario(app, pilot) -> None:
        await press(pilot, "y")
        assert "error: the log's chain is broken at seq 3" in status(app)

    drive(new_app(store_file), scenario)
    assert problem_of(store_file) is not None
