"""The html export's map: inline SVG, one dot per place, drawn by a real browser.

The page is rendered by headless Chromium: its DOM must hold one circle per
located place with the place's name and count as the circle's ``<title>``, and its
screenshot must show the dots (pixels of the dots' colour where the page is
painted). Skipped with the reason where no Chromium is installed, except under
``CI=true``, where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_tui_support import SEEDS, make_store

from chronicle import exports, queries
from chronicle.exporters.svgmap import map_svg
from chronicle.queries import TimelineFilter
from chronicle.store import Store

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER = next((found for name in BROWSERS if (found := shutil.which(name))), None)
DOT = (186, 143, 121)  # the accent at the dots' opacity over the sea, as painted


def need_browser() -> str:
    if BROWSER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no headless Chromium: .ci/run installs it (apt-get install chromium)")
        pytest.skip("no headless Chromium or Chrome here")
    return BROWSER


def browser(*args: str) -> subprocess.CompletedProcess:
    command = [need_browser(), "--headless", "--disable-gpu", "--no-sandbox", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


class Dom(HTMLParser):
    """Circles and the text of their titles, as the browser serialised them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.circles: list[dict] = []
        self.titles: list[str] = []
        self.scripts = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "circle":
            self.circles.append(dict(attrs))
        self._in_title = tag == "title" and bool(self.circles)
        self.scripts += tag in ("script", "img", "iframe", "link")

    def handle_data(self, data) -> None:
        if self._in_title:
            self.titles.append(data)
            self._in_title = False


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) bytes of an 8-bit non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    raw, stride, rows = zlib.decompress(idat), width * bpp, []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, bpp, rows


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def dot_pixels(png: Path) -> int:
    width, bpp, rows = png_pixels(png.read_bytes())
    return sum(
        all(abs(row[x * bpp + k] - DOT[k]) <= 14 for k in range(3))
        for row in rows
        for x in range(width)
    )


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
    page, empty = tmp_path / "map.html", tmp_path / "no-map.html"
    with Store.open(seeded, readonly=True) as store:
        places = queries.located_places(store.conn)
        exports.export_file(store.conn, "timeline", "html", page)
        # events with no place at all: the page has no map
        exports.export_file(
            store.conn, "timeline", "html", empty, TimelineFilter(search="Prigozhin")
        )
    dom = Dom()
    dom.feed(browser("--dump-dom", page.as_uri()).stdout)
    assert len(dom.circles) == len(places)
    assert sorted(dom.titles) == sorted(
        f"{p.name}: {p.events} {'event' if p.events == 1 else 'events'}" for p in places
    )
    assert dom.scripts == 0
    shots = []
    for html in (page, empty):
        shot = tmp_path / f"{html.stem}.png"
        browser(f"--screenshot={shot}", "--window-size=900,800", "--hide-scrollbars", html.as_uri())
        shots.append(dot_pixels(shot))
    assert shots[0] > 200 and shots[1] == 0, shots
