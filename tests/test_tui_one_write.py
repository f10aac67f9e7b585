"""One correction in the app: one write on the app's own connection, one refresh.

The app keeps a single writable connection: its forms write through it and the
timeline's ordinal is renumbered through it, so no second writer opens and no
commit of its own comes back through the poll as "the store changed".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import drive, fill, make_store, new_app, press, settle

from chronicle import queries
from chronicle.store import Store


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """How the store is opened from now on: "write" or "read", in order."""
    modes: list[str] = []
    real = Store.open.__func__  # type: ignore[attr-defined]  # a classmethod's function

    def counting(cls, path, *, create: bool = False, readonly: bool = False) -> Store:
        modes.append("read" if readonly else "write")
        return real(cls, path, create=create, readonly=readonly)

    monkeypatch.setattr(Store, "open", classmethod(counting))
    return modes


def test_a_correction_is_one_write_and_one_refresh(store_file: Path, opened: list[str]) -> None:
    appends: list[int] = []
    refreshes: list[int] = []

    async def scenario(app, pilot) -> None:
        app.go_to_event("ev:kidal")
        await settle(pilot)
        append, rebuild = app.store.append, app._rebuild
        app.store.append = lambda *a, **k: appends.append(1) or append(*a, **k)
        app._rebuild = lambda *a, **k: refreshes.append(1) or rebuild(*a, **k)
        opened.clear()
        await press(pilot, "e")
        await fill(pilot, "when", "2011")  # first in the timeline: the ordinal is renumbered
        await fill(pilot, "reason", "an earlier start")
        await press(pilot, "ctrl+s")
        app._poll()  # what the app's timer would do next
        await settle(pilot)
        assert app.timeline.current["event_id"] == "ev:kidal"
        assert app.timeline.cursor == 0
        assert queries.timeline_page(app.conn, 1, 1)[0]["event_id"] == "ev:kidal"

    drive(new_app(store_file), scenario)
    assert appends == [1]
    assert refreshes == [1]
    assert "write" not in opened
    assert len(opened) <= 3  # the view, the density strip and the detail, each read once
