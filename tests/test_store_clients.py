"""The store itself read by SQLite's everyday tools, with no configuration: sqlite-utils, Datasette.

Both find a table's full-text index by the ``content="…"`` its definition names,
and match hits on rowid; ``events`` is stored under its full-text keys and the
``timeline`` view carries that rowid. Figures are NUMERIC, so a whole figure is
the integer it is (50, not 50.0) to every client.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from clients import get_json, serve_datasette
from export_samples import build_store

KIDAL = "ev:2023-11-kidal-retaken"
BATTLE = "ev:2024-07-battle-of-tinzaouaten"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store-clients") / "store.db"
    build_store(path).close()
    return path


def _sqlite_utils(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sqlite_utils", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_sqlite_utils_searches_the_store(store: Path) -> None:
    """``sqlite-utils search`` takes tables only (not views): the events."""
    done = _sqlite_utils("search", str(store), "events", "Kidal", "--csv", "-c", "event_id")
    assert done.returncode == 0, done.stderr
    found = done.stdout.split()
    assert KIDAL in found and found[0] == "event_id"
    tinz = _sqlite_utils("search", str(store), "events", "Tinzaouatene", "-c", "event_id")
    assert BATTLE in {r["event_id"] for r in json.loads(tinz.stdout)}


def test_datasette_without_metadata_searches_events_and_timeline(store: Path) -> None:
    with serve_datasette(store) as base:
        for table in ("events", "timeline"):
            for word, event in (("Kidal", KIDAL), ("Tin Zaouatine", BATTLE)):
                query = urllib.parse.urlencode({"_search": word, "_shape": "array"})
                rows = get_json(f"{base}store/{table}.json?{query}")
                everything = get_json(f"{base}store/{table}.json?_shape=array&_size=max")
                found = {r["event_id"] for r in rows}
                assert event in found and len(found) < len(everything), (table, word)
        claims = get_json(f"{base}store/claims.json?_shape=array&_size=max")
    figures = [c[k] for c in claims for k in ("low", "best", "high") if c[k] is not None]
    assert 50 in figures and all(isinstance(f, int) or not f.is_integer() for f in figures)
