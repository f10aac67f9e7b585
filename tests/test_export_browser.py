"""The html export in a real browser engine: headless Chromium, served from 127.0.0.1.

Chromium builds the page we wrote, prints it, and loads it with no console error
and nothing refused by the page's own Content-Security-Policy. Without Chromium
these tests skip, naming it; under CI=true they fail (see ``clients``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from clients import Browser, Page, run_browser, serve
from export_samples import TITLE, build_store

from chronicle import exports, queries


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data) -> None:
        self.text.append(data)


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
    dom.feed(run_browser("--dump-dom", path.as_uri()).stdout)
    assert [a["id"] for t, a in dom.tags if t == "article"] == ids
    assert not [t for t, _ in dom.tags if t in ("script", "img", "iframe")]
    text = "".join(dom.text)
    assert TITLE in text and "<img src=x onerror=alert(1)>" in text
    assert len([t for t, _ in dom.tags if t == "rect"]) > 0


def test_the_page_prints(page: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, _ = page
    pdf = tmp_path / "chronology.pdf"
    run_browser(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.as_uri())
    head = pdf.read_bytes()[:8]
    assert head.startswith(b"%PDF-") and re.search(rb"/Type\s*/Page", pdf.read_bytes())


def _load(folder: Path, name: str) -> tuple[list[str], list[str], int]:
    """Problems, CSP violations and article count of ``name`` served from ``folder``."""
    with serve(folder) as base, Browser() as browser:
        tab = Page(browser)
        tab.open(base + name, "document.querySelectorAll('article').length")
        return tab.problems, tab.csp_violations(), tab.evaluate("document.images.length")


def test_the_page_loads_without_an_error_or_a_csp_violation(
    page: tuple[Path, list[str]],
) -> None:
    path, _ = page
    problems, violations, images = _load(path.parent, path.name)
    assert problems == [] and violations == [] and images == 0


def test_a_violation_would_be_heard(page: tuple[Path, list[str]]) -> None:
    """The same page with a script and an outside image added: its CSP refuses both, audibly."""
    path, _ = page
    spoiled = path.with_name("spoiled.html")
    extra = '<script>document.title = "ran"</script><img src="http://127.0.0.1:9/x.png">'
    spoiled.write_text(path.read_text("utf-8").replace("</body>", extra + "</body>"), "utf-8")
    problems, violations, _ = _load(path.parent, spoiled.name)
    assert any(v.startswith("script-src") for v in violations), violations
    assert any(v.startswith("img-src") for v in violations), violations
    assert problems  # the console shows the refusals too
