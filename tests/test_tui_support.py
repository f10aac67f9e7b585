"""Helpers shared by the terminal app's tests (this module holds no tests itself).

Each test drives a real ``ChronicleApp`` on a real store file through Textual's
Pilot. The debounce delays are set to zero and the workers are awaited, so a test
sees the screen as a user would once the app has caught up, with no sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.strip import Strip

from chronicle.store import Store
from chronicle.tui.app import ChronicleApp

FIXTURE = Path(__file__).parent / "fixtures" / "tui_chronicle.ndjson"
SEEDS = Path(__file__).parent.parent / "seeds"
SIZE = (120, 40)


def make_store(path: Path, fixture: Path = FIXTURE) -> Path:
    """A store file loaded with a fixture log (fixed times, ids and authors)."""
    with Store.open(path, create=True) as store, fixture.open("rb") as handle:
        store.import_lines(handle, name=fixture.name)
    return path


def new_app(path: Path, **options: float) -> ChronicleApp:
    timing = {"poll_seconds": 60.0, "detail_delay": 0.0, "as_of_delay": 0.0} | options
    return ChronicleApp(str(path), "tester", **timing)


async def settle(pilot: Pilot) -> None:
    """Let the app finish what the last keys started: workers, then their callbacks
    (which may start more workers: a new view loads its selected event's detail)."""
    for _ in range(10):
        await pilot.pause()
        if all(worker.is_finished for worker in pilot.app.workers):
            break
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def type_text(pilot: Pilot, text: str) -> None:
    """Type into the focused input; characters Textual names (space, '[') as keys."""
    names = {" ": "space", "[": "left_square_bracket", "]": "right_square_bracket"}
    await pilot.press(*(names.get(c, c) for c in text))
    await settle(pilot)


async def fill(pilot: Pilot, field: str, text: str) -> None:
    """Put text in a form field as if typed (its live check runs), and focus it."""
    widget = pilot.app.screen.query_one(f"#field-{field}")
    widget.focus()
    widget.value = text  # type: ignore[attr-defined]
    await settle(pilot)


Scenario = Callable[[ChronicleApp, Pilot], Awaitable[None]]


def drive(app: ChronicleApp, scenario: Scenario, size: tuple[int, int] = SIZE) -> None:
    """Run the app headless, settle it, and play ``scenario`` against it."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(app, pilot)

    asyncio.run(main())


def selected(app: ChronicleApp) -> str | None:
    row = app.timeline.current
    return row["event_id"] if row else None


def shown_detail(app: ChronicleApp) -> str | None:
    detail = app.detail.detail
    return detail.event["event_id"] if detail else None


def status(app: ChronicleApp) -> str:
    return app._status_text().plain


def screen_strips(app: ChronicleApp) -> list[Strip]:
    """The screen as the compositor hands it to the terminal, line by line."""
    return app.screen._compositor.render_strips()


def screen_text(app: ChronicleApp) -> str:
    """Every character on the screen, as the terminal would show it."""
    return "\n".join(strip.text for strip in screen_strips(app))
