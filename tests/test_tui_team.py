"""The app on a replica: another analyst's append shows up without a keypress."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_live import wait_for
from test_tui_support import drive, make_store, new_app, selected, settle, status

from chronicle.commands import Commands
from chronicle.replica import Replica, clone, share
from chronicle.store import Store


@pytest.fixture
def replicas(tmp_path: Path, team_url: str) -> tuple[Path, Path]:
    origin = make_store(tmp_path / "origin.db")
    with Store.open(origin) as store:
        share(store, team_url)
    clone(tmp_path / "mine.db", team_url)
    return origin, tmp_path / "mine.db"


@pytest.mark.parametrize("follow_seconds", [0.3, 600.0], ids=["polling", "notified"])
def test_another_analysts_append_appears_keeping_the_selection(
    replicas: tuple[Path, Path], follow_seconds: float
) -> None:
    """With a long poll only the server's notification can wake the app in time."""
    theirs, mine = replicas

    async def scenario(app, pilot) -> None:
        await wait_for(pilot, lambda: "team log: connected" in status(app))
        app.go_to_event("ev:battle")
        await settle(pilot)
        index = app.timeline.cursor
        with Store.open(theirs) as other:
            Commands(other, "colleague").add(
                "event.asserted",
                {"event_id": "ev:new", "title": "Earlier event from a colleague", "when": "2013",
                 "actors": [], "tags": [], "summary": "", "citations": []},
            )  # fmt: skip
        await wait_for(pilot, lambda: app.timeline.rows.index_of("ev:new") is not None)
        assert selected(app) == "ev:battle"
        assert app.timeline.cursor == index + 1
        assert "team log: connected" in status(app)

    drive(new_app(mine, poll_seconds=0.05, follow_seconds=follow_seconds), scenario)


def test_a_write_in_the_app_goes_to_the_team_log(replicas: tuple[Path, Path]) -> None:
    theirs, mine = replicas

    async def scenario(app, pilot) -> None:
        app.commands.correct("ev:kidal", {"title": "Kidal, November 2023"}, "precise", None, 1)
        await settle(pilot)

    drive(new_app(mine, poll_seconds=0.05), scenario)
    with Store.open(theirs) as store:
        with Replica(store) as replica:
            replica.pull()
        title = store.conn.execute("SELECT title FROM events WHERE event_id = 'ev:kidal'")
        assert title.fetchone() == ("Kidal, November 2023",)
