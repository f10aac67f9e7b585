"""The html export's map: inline SVG, one dot per place, drawn by a real browser.

The page is loaded by headless Chromium from 127.0.0.1 (the shared plumbing in
``clients``): every located place is a circle that the browser lays out with a size
growing with its events, its ``<title>`` names the place and its count, the topmost
element at a dot's centre is a dot, and nothing is refused by the page's
Content-Security-Policy. Without Chromium these tests skip, naming it; under CI=true
they fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clients import Browser, Page, serve
from test_tui_support import SEEDS, make_store

from chronicle import exports, queries
from chronicle.exporters.svgmap import map_svg
from chronicle.queries import TimelineFilter
from chronicle.store import Store

# Every dot as the browser laid it out: its title, its box and what is drawn at its centre.
_DOTS = """JSON.stringify([...document.querySelectorAll('figure.map circle')].map(c => {
  c.scrollIntoView({block: 'center', inline: 'center'});
  const box = c.getBoundingClientRect();
  const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return [c.querySelector('title').textContent, box.width, top ? top.tagName : null];
}))"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("html-map") / "seeds.db", SEEDS / "mali.ndjson")


def test_one_dot_per_place_sized_by_its_events(seeded: Path) -> None:
    with Store.open(seeded, readonly=True) as store:
        places = queries.located_places(store.conn)
    svg = map_svg(places)
    assert svg.count("<circle") == len(places) > 3
    assert "<title>Tinzaouaten: 12 events</title>" in svg
    radius = {
        p.name: float(svg.split(f"<title>{p.name}:")[0].rsplit('r="', 1)[1].split('"')[0])
        for p in places
    }
    assert radius["Tinzaouaten"] > radius["Kidal"]  # 12 events against 4
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert map_svg([]) == ""


def test_the_browser_draws_the_map(seeded: Path, tmp_path: Path) -> None:
    with Store.open(seeded, readonly=True) as store:
        places = queries.located_places(store.conn)
        exports.export_file(store.conn, "timeline", "html", tmp_path / "map.html")
        # events with no place at all: the page has no map
        exports.export_file(
            store.conn, "timeline", "html", tmp_path / "no-map.html",
            TimelineFilter(search="Prigozhin"),
        )  # fmt: skip
    with serve(tmp_path) as base, Browser() as browser:
        tab = Page(browser)
        tab.open(base + "map.html", "document.querySelectorAll('article').length")
        dots = json.loads(tab.evaluate(_DOTS))
        problems, violations = tab.problems, tab.csp_violations()
        tab.open(base + "no-map.html", "document.querySelectorAll('article').length")
        none = tab.evaluate("document.querySelectorAll('figure.map').length")
    assert problems == [] and violations == []
    titles = {f"{p.name}: {p.events} {'event' if p.events == 1 else 'events'}" for p in places}
    assert sorted(t for t, _, _ in dots) == sorted(titles)
    width = {t.split(":")[0]: w for t, w, _ in dots}
    assert width["Tinzaouaten"] > width["Kidal"] > 0  # 12 events against 4
    assert all(top in ("circle", "title") for _, _, top in dots), dots
    assert none == 0
