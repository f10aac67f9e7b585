"""The ``timelinejs`` export rendered by the real TimelineJS (npm) in headless Chromium.

The page, the export and TimelineJS itself are served from 127.0.0.1, as a reader
would host them. TimelineJS builds one slide per event plus the title slide, with
no JavaScript error; a title, a place or a tag holding HTML shows as its text and
runs nothing (an ``onerror`` that would count in ``window.ran``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clients import Browser, Page, serve, timelinejs
from export_samples import build_store

from chronicle import exports

RUN = "window.ran = (window.ran || 0) + 1"
TITLE = f"<img src=x onerror='{RUN}'> Raid on the <b>market</b> & the road"
PLACE = f"Gao & Ménaka <north> <img src=x onerror='{RUN}'>"
TAG = f"<img src=x onerror='{RUN}'>"
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>chronology</title>
<link rel="stylesheet" href="timelinejs/css/timeline.css">
<script src="timelinejs/js/timeline.js"></script></head>
<body><div id="timeline" style="width: 1200px; height: 700px"></div>
<script>
  // Self-hosted: anything else comes from beside the script, and no web font is fetched.
  const options = {script_path: new URL("timelinejs/js/", location.href).href, font: false};
  window.timeline = new TL.Timeline("timeline", "{data}", options);
</script>
</body></html>
"""
READY = "window.timeline && window.timeline.ready && document.querySelectorAll('.tl-slide').length"


def _entries() -> list[dict]:
    def entry(n: int, entry_type: str, data: dict) -> dict:
        return {"id": f"tljs-{n}", "type": entry_type, "author": "render tests", "data": data}

    return [
        entry(1, "entity.registered", {"entity_id": "place:gao-menaka", "kind": "place",
                                       "name": PLACE, "aliases": []}),
        entry(2, "event.asserted", {
            "event_id": "ev:tljs-raid", "title": TITLE, "when": "2031-02-03",
            "place": "place:gao-menaka", "actors": [], "tags": [TAG, "test"],
            "summary": f"A summary with <script>{RUN}</script>", "citations": []}),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = timelinejs()
    folder = tmp_path_factory.mktemp("timelinejs-site")
    (folder / "timelinejs").symlink_to(dist, target_is_directory=True)
    with build_store(folder / "store.db") as store:
        store.append(_entries())
        exports.export_file(store.conn, "timeline", "timelinejs", folder / "by-place.json")
        exports.export_file(
            store.conn, "timeline", "timelinejs", folder / "by-tag.json", group_by="tag"
        )
    for name in ("by-place", "by-tag"):
        (folder / f"{name}.html").write_text(PAGE.replace("{data}", f"{name}.json"), "utf-8")
    return folder


@pytest.fixture(scope="module")
def rendered(site: Path):
    """Each page rendered once: its slides' headlines, its groups, what ran and what went wrong."""
    found = {}
    with serve(site) as base, Browser() as browser:
        for name in ("by-place", "by-tag"):
            page = Page(browser)
            page.open(f"{base}{name}.html", READY)
            found[name] = {
                "slides": page.evaluate("document.querySelectorAll('.tl-slide').length"),
                "headlines": page.evaluate(
                    "[...document.querySelectorAll('.tl-slide .tl-headline')]"
                    ".map(h => h.textContent)"
                ),
                "groups": page.evaluate(
                    "[...document.querySelectorAll('.tl-timegroup-message')]"
                    ".map(g => g.textContent)"
                ),
                "ran": page.evaluate("window.ran || 0"),
                "images": page.evaluate("document.querySelectorAll('img[src=\"x\"]').length"),
                "problems": page.problems,
            }
    return found


@pytest.mark.parametrize("name", ["by-place", "by-tag"])
def test_every_event_is_a_slide_after_the_title(site: Path, rendered: dict, name: str) -> None:
    data = json.loads((site / f"{name}.json").read_text("utf-8"))
    assert rendered[name]["problems"] == []
    assert rendered[name]["slides"] == len(data["events"]) + 1 > 40


@pytest.mark.parametrize("name", ["by-place", "by-tag"])
def test_html_in_titles_places_and_tags_shows_as_text_and_runs_nothing(
    rendered: dict, name: str
) -> None:
    assert rendered[name]["ran"] == 0 and rendered[name]["images"] == 0
    assert TITLE in rendered[name]["headlines"]
    assert (PLACE if name == "by-place" else TAG) in rendered[name]["groups"]


def test_the_places_are_the_groups(rendered: dict) -> None:
    groups = rendered["by-place"]["groups"]
    assert {"Kidal", "Tinzaouaten", PLACE} <= set(groups)
