"""A dataset import's memory does not grow with the rows of its file.

The import keeps nothing per row: the ids it has written are asked of the log, the
events it has seen live in a temp table, the projector's dirty events go to temp
tables at each flush. These tests import files of a few thousand rows, and then
their next release, and compare the peak of what Python allocated (``tracemalloc``,
which sees the interpreter's objects and not SQLite's page cache) at two sizes:
anything kept per row raises the peak by a hundred bytes or more for each row
added; flat, it stays where it was.

The cast (two actors, three places) is fixed, so that what is cached per entity
does not pass for growth, and the projector flushes every 256 entries, so that its
bounded buffer is full at both sizes.
"""

from __future__ import annotations

import csv
import gc
import json
import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from chronicle import projector, vocabulary
from chronicle.errors import EntryError
from chronicle.importers import acled, release
from chronicle.store import Store

PLACES = (
    ("Mali", "466", "Kidal", "Tinzaouaten", "19.9522", "2.9619"),
    ("Mali", "466", "Gao", "Gao", "16.2717", "-0.0447"),
    ("Niger", "562", "Tillaberi", "Tillaberi", "14.2117", "1.4531"),
)
ACTORS = ("Military Forces of Mali (2021-)", "JNIM: Group for Support of Islam and Muslims")
SMALL, LARGE = 1_000, 4_000


def _row(key: int, *, revised: bool) -> dict[str, str]:
    country, iso, admin1, location, lat, lon = PLACES[key % len(PLACES)]
    # The dates of the events a next release drops lie within those it keeps.
    day = date(2020, 1, 1) + timedelta(days=75 if key % 50 == 0 else key * 7 % 150)
    changed = revised and key % 2 == 1  # dense enough to fill the appender's chunks
    row = dict.fromkeys(acled.COLUMNS, "")
    row.update({
        "event_id_cnty": f"{iso}{key}", "event_date": f"{day:%d %B %Y}", "year": str(day.year),
        "time_precision": "1", "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1": ACTORS[0], "actor2": ACTORS[1], "country": country, "admin1": admin1,
        "location": location, "latitude": lat, "longitude": lon, "geo_precision": "1",
        "notes": f"Clash number {key} near {location}.", "fatalities": str(key % 7 + changed),
        "timestamp": "1730000000" if changed else "1722470400",
    })  # fmt: skip
    return row


def _write(path: Path, rows: int, *, revised: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, acled.COLUMNS, lineterminator="\n")
        writer.writeheader()
        for key in range(1, rows + 1):
            if revised and key % 50 == 0:
                continue  # dropped by the next release
            writer.writerow(_row(key, revised=revised))
    return path


def _peak(store_path: Path, path: Path, **options: bool) -> tuple[int, release.Summary]:
    """Bytes Python allocated at the import's peak, above what it held before.

    Tracing is on from before the warm-up: a cached object made untraced and then
    replaced would count the new one and not the one it freed."""
    assert tracemalloc.is_tracing()
    with Store.open(store_path) as store:
        gc.collect()
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        summary = release.import_dataset(store, path, author="tests", **options)
        peak = tracemalloc.get_traced_memory()[1] - before
    return peak, summary


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tracing on, bounded caches full, and a projector that flushes every 256 entries."""
    monkeypatch.setattr(projector, "FLUSH_EVERY", 256)
    tracemalloc.start()
    try:
        _fill_json_string_cache()
        yield
    finally:
        tracemalloc.stop()


def _both_releases(tmp_path: Path, rows: int) -> tuple[int, int]:
    first = _write(tmp_path / f"first-{rows}.csv", rows)
    second = _write(tmp_path / f"next-{rows}.csv", rows, revised=True)
    store_path = tmp_path / f"store-{rows}.db"
    Store.open(store_path, create=True).close()
    first_peak, summary = _peak(store_path, first)
    assert (summary.rows, summary.added) == (rows, rows)
    next_peak, summary = _peak(store_path, second, retract_missing=True)
    assert summary.retracted == rows // 50 and summary.corrected > 0
    return first_peak, next_peak


def _fill_json_string_cache() -> None:
    """Fill the cache of short strings that pydantic keeps between JSON validations.

    It holds at most 16,384 strings (about 1.4 MB here), so it is bounded; but a few
    thousand rows fill it only partly, and its filling would pass for growth per row.
    """
    for i in range(50_000):
        line = {"id": f"warm-{i}", "type": "source.registered", "author": f"tests {i}", "data": {}}
        vocabulary.validate_envelope_json(json.dumps(line))


def test_peak_memory_does_not_grow_with_the_rows(tmp_path: Path, traced: None) -> None:
    _both_releases(tmp_path, 200)  # warm: lazy imports, compiled statements, every date
    small = _both_releases(tmp_path, SMALL)
    large = _both_releases(tmp_path, LARGE)
    extra = LARGE - SMALL
    for name, low, high in zip(("first", "next"), small, large, strict=True):
        per_row = (high - low) / extra
        # The import that kept sets of ids added about 650 bytes a row here; flat, it
        # adds 30 to 120 (what a chunk or a flush holds varies with where they end).
        assert per_row < 250, f"{name} release: {low:,} -> {high:,} bytes, {per_row:.0f} a row"


def test_a_repeated_event_far_apart_is_refused_by_row(tmp_path: Path) -> None:
    """The seen events live in SQL: a repeat thousands of rows later is still caught."""
    path = _write(tmp_path / "repeat.csv", 1_500)
    with path.open("a", newline="", encoding="utf-8") as out:
        csv.DictWriter(out, acled.COLUMNS, lineterminator="\n").writerow(_row(3, revised=False))
    store_path = tmp_path / "store.db"
    Store.open(store_path, create=True).close()
    with Store.open(store_path) as store, pytest.raises(EntryError) as refused:
        release.import_dataset(store, path, author="tests")
    assert str(refused.value) == "repeat.csv, row 1502: event 4663 appears twice in this file"
    with Store.open(store_path) as store:
        assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_retract_missing_pages_through_the_missing_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropped events are found a page at a time; every one of them, and only those."""
    monkeypatch.setattr(release, "MISSING_PAGE", 3)
    store_path = tmp_path / "store.db"
    Store.open(store_path, create=True).close()
    with Store.open(store_path) as store:
        release.import_dataset(store, _write(tmp_path / "first.csv", 600), author="tests")
        second = _write(tmp_path / "next.csv", 600, revised=True)
        summary = release.import_dataset(store, second, author="tests", retract_missing=True)
        retracted = {
            r[0]
            for r in store.conn.execute("SELECT event_id FROM events WHERE status = 'retracted'")
        }
    assert summary.retracted == 12
    assert retracted == {f"ev:acled:{PLACES[k % 3][1]}{k}" for k in range(50, 601, 50)}


def test_a_repeated_entry_id_in_a_later_chunk_is_refused(tmp_path: Path) -> None:
    """An id the input wrote chunks ago is found in the log, not in a set of every id."""
    lines = [
        f'{{"id": "s-{i}", "type": "source.registered", "author": "tests", "data": '
        f'{{"source_id": "src:s{i}", "title": "Source {i}", "kind": "report"}}}}'
        for i in range(1_200)
    ]
    lines.append(lines[5])
    store_path = tmp_path / "store.db"
    Store.open(store_path, create=True).close()
    with Store.open(store_path) as store:
        head = store.head()
        with pytest.raises(EntryError, match=r"^dup.ndjson, line 1201: entry id 's-5' appears"):
            store.import_lines(lines, name="dup.ndjson")
        assert store.head() == head
        again = store.import_lines(lines[:1_200], name="dup.ndjson")
        assert (len(again.added), again.skipped) == (1_200, 0)
        assert store.import_lines(lines, name="dup.ndjson").skipped == 1_201
