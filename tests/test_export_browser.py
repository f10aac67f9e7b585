"""The html export in a real browser engine: rendered headless, when one is installed.

Skipped cleanly on machines without Chromium or Chrome; nothing here installs one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from export_samples import TITLE, build_store

from chronicle import exports, queries

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER = next((found for name in BROWSERS if (found := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium or Chrome here")


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data) -> None:
        self.text.append(data)


def _browser(*args: str) -> subprocess.CompletedProcess:
    command = [BROWSER, "--headless", "--disable-gpu", "--no-sandbox", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("browser")
    with build_store(folder / "store.db") as store:
        path = folder / "chronology.html"
        exports.export_file(store.conn, "timeline", "html", path)
        return path, queries.timeline_ids(store.conn)


def test_the_browser_builds_the_page_we_wrote(page: tuple[Path, list[str]]) -> None:
    path, ids = page
    dom = _Dom()
    dom.feed(_browser("--dump-dom", path.as_uri()).stdout)
    assert [a["id"] for t, a in dom.tags if t == "article"] == ids
    assert not [t for t, _ in dom.tags if t in ("script", "img", "iframe")]
    text = "".join(dom.text)
    assert TITLE in text and "<img src=x onerror=alert(1)>" in text
    assert len([t for t, _ in dom.tags if t == "rect"]) > 0


def test_the_page_prints(page: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, _ = page
    pdf = tmp_path / "chronology.pdf"
    _browser(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.as_uri())
    head = pdf.read_bytes()[:8]
    assert head.startswith(b"%PDF-") and re.search(rb"/Type\s*/Page", pdf.read_bytes())
