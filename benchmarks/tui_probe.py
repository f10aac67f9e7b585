"""The TUI on a store, headless: first paint, stepping with `j`, the map, peak memory; one
JSON line out.

    python benchmarks/tui_probe.py STORE [--steps 200] [--maps 5] [--launched EPOCH_SECONDS]

Run in a process of its own (the harness does), so that the peak memory is the app's
alone. A paint is when the timeline view draws a line: the probe wraps the view's
`render_line` to note when the first row is drawn and when the cursor's line is drawn
at its new position, which is the moment a user sees the step. The map pane is timed
the same way: from `m` to the pane drawing the counts that this opening made.
"""

from __future__ import annotations

import time

STARTED = time.time()  # before the heavy imports, which first paint includes

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

SIZE = (160, 50)  # a roomy terminal: more lines drawn per paint than a small one
READING_PAUSE = 0.1  # between steps: time for the detail pane to load, as when a user reads
WAIT_LIMIT = 120.0


class PaintWatch:
    """Notes, from inside the view's own drawing, when rows and the cursor line are drawn."""

    def __init__(self) -> None:
        self.first_row: float | None = None  # wall clock, comparable with the launch time
        self.cursor_index = -1
        self.cursor_drawn = 0.0  # perf_counter

    def install(self, view_class: Any) -> None:
        original = view_class.render_line
        watch = self

        def render_line(view: Any, y: int) -> Any:
            strip = original(view, y)
            if view.rows is not None and view.count:
                if watch.first_row is None:
                    watch.first_row = time.time()
                if round(view.scroll_y) + y == view.cursor:
                    watch.cursor_index, watch.cursor_drawn = view.cursor, time.perf_counter()
            return strip

        view_class.render_line = render_line

    def install_map(self, pane_class: Any) -> None:
        """Note when the map pane draws counts (``data`` set), on the wall clock."""
        original = pane_class.render
        watch = self
        self.map_drawn: float | None = None

        def render(pane: Any) -> Any:
            text = original(pane)
            if pane.data is not None and watch.map_drawn is None:
                watch.map_drawn = time.perf_counter()
            return text

        pane_class.render = render


async def wait_until(ready: Callable[[], bool], limit: float = WAIT_LIMIT) -> None:
    deadline = time.perf_counter() + limit
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not draw what was expected")
        await asyncio.sleep(0.0005)


async def drive(
    app: Any, watch: PaintWatch, steps: int, maps: int
) -> tuple[list[float], list[float], int]:
    """Open the app, wait for the first rows, then step and time each step to its paint;
    then open the map ``maps`` times (closing it in between) and time each to its paint.

    Returns the step and map times in ms and how many rows the timeline held.
    """
    samples, map_samples = [], []
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: watch.first_row is not None)
        await asyncio.sleep(READING_PAUSE)
        for _ in range(steps):
            target = app.timeline.cursor + 1
            start = time.perf_counter()
            await pilot.press("j")
            await wait_until(lambda target=target: watch.cursor_index == target)
            samples.append(1000 * (watch.cursor_drawn - start))
            await asyncio.sleep(READING_PAUSE)
        for _ in range(maps):
            app.map.data, watch.map_drawn = None, None  # this opening's counts, not the last
            start = time.perf_counter()
            await pilot.press("m")
            await wait_until(lambda: watch.map_drawn is not None)
            map_samples.append(1000 * (watch.map_drawn - start))
            await asyncio.sleep(READING_PAUSE)
            await pilot.press("m")
            await asyncio.sleep(READING_PAUSE)
        count = app.timeline.count
    return samples, map_samples, count


def peak_rss_mb() -> float:
    """The process's high-water resident set (VmHWM), else getrusage's maximum."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--maps", type=int, default=5)
    parser.add_argument("--launched", type=float, help="when the parent started this process")
    args = parser.parse_args(argv)
    launched = args.launched or STARTED

    from chronicle.tui.app import ChronicleApp
    from chronicle.tui.map import MapPane
    from chronicle.tui.timeline import TimelineView

    imported = time.time()
    watch = PaintWatch()
    watch.install(TimelineView)
    watch.install_map(MapPane)
    app = ChronicleApp(args.store, "benchmark")
    app_started = time.time()
    samples, map_samples, count = asyncio.run(drive(app, watch, args.steps, args.maps))
    assert watch.first_row is not None
    ordered = sorted(samples)
    result = {
        "first_paint_ms": 1000 * (watch.first_row - launched),
        "app_start_to_paint_ms": 1000 * (watch.first_row - app_started),
        "imports_ms": 1000 * (imported - launched),
        "step": {
            "samples": len(samples),
            "median_ms": statistics.median(samples) if samples else 0.0,
            "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if samples else 0.0,
            "max_ms": max(samples, default=0.0),
        },
        "map": {
            "samples": map_samples,
            "median_ms": statistics.median(map_samples) if map_samples else 0.0,
        },
        "peak_rss_mb": peak_rss_mb(),
        "rows": count,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
