"""The log: numbering, idempotency, optimistic concurrency, atomicity, the hash chain."""

from __future__ import annotations

import gc
import json
import sqlite3

import pytest
from support import actor, entry, event, place, source

from chronicle import intake
from chronicle import store as store_module
from chronicle.errors import EntryError, StoreError
from chronicle.store import Store


def test_import_error_names_the_line_and_writes_nothing(store: Store) -> None:
    lines = [json.dumps(source()), json.dumps(event("ev:a", "2024")), "{not json"]
    with pytest.raises(EntryError, match=r"in.ndjson, line 3: not valid JSON"):
        store.import_lines(lines, name="in.ndjson")
    assert store.head()[0] == 0


def test_invalid_utf8_is_named(store: Store) -> None:
    with pytest.raises(EntryError, match="line 1: not valid UTF-8"):
        store.import_lines([b"\xff\xfe{}"], name="bad")


@pytest.mark.parametrize(
    ("tamper", "first_bad"),
    [
        ("UPDATE log SET data = replace(data, 'ev:b', 'ev:B') WHERE seq = 3", 3),
        ("UPDATE log SET hash = 'x' || substr(hash, 2) WHERE seq = 2", 2),
        ("DELETE FROM log WHERE seq = 2", 2),
    ],
)
def test_verify_names_the_first_bad_seq(store: Store, tamper: str, first_bad: int) -> None:
    store.append([source(), event("ev:a", "2024"), event("ev:b", "2023"), event("ev:c", "2022")])
    assert store.verify().ok
    store.conn.execute("DROP TRIGGER log_no_update")
    store.conn.execute("DROP TRIGGER log_no_delete")
    store.conn.execute(tamper)
    result = store.verify()
    assert (result.ok, result.first_bad) == (False, first_bad)


def test_verify_against_a_head(store: Store) -> None:
    store.append([source()])
    head = store.head()[1]
    assert store.verify(head).ok
    assert not store.verify("0" * 64).ok


def test_dates_are_parsed_once_and_kept_in_the_entry(store: Store, monkeypatch) -> None:
    store.append([source(), event("ev:a", "2024-07-25/2024-07-27")])
    data = json.loads(store.conn.execute("SELECT data FROM log WHERE seq = 2").fetchone()[0])
    assert data["when_bounds"] == {
        "earliest": "2024-07-25", "latest": "2024-07-27", "precision": "days",
        "approximate": False, "uncertain": False, "display": "25–27 Jul 2024",
    }  # fmt: skip

    def refuse(_text: str) -> None:
        raise AssertionError("replay must not parse dates")

    monkeypatch.setattr(intake, "parse_edtf", refuse)
    store.rebuild()
    assert store.conn.execute("SELECT earliest FROM events").fetchone() == ("2024-07-25",)


def test_store_uses_wal_and_full_sync(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store.conn.execute("PRAGMA synchronous").fetchone() == (2,)


def test_opening_what_is_not_a_store(tmp_path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        Store.open(tmp_path / "missing.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a chronicle store"):
        Store.open(junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a chronicle store"):
        Store.open(other)
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path)


def test_references_must_exist(store: Store) -> None:
    store.append([source(), place("place:k", "Kidal"), actor("actor:x", "X")])
    cases = [
        (event("ev:a", "2024", place="actor:x"), "is an actor, not a place"),
        (event("ev:a", "2024", actors=[{"entity": "actor:none"}]), "unknown entity"),
        (event("ev:a", "2024", citations=[{"source": "src:none"}]), "unknown source"),
        (entry("event.retracted", {"event_id": "ev:none", "reason": "r"}), "unknown event"),
        (entry("claim.ranked", {"claim_id": "cl:none", "rank": "preferred", "reason": "r"}),
         "unknown claim"),
    ]  # fmt: skip
    for item, message in cases:
        with pytest.raises(EntryError, match=message):
            store.append([item])
    assert store.head()[0] == 3


def test_a_retracted_event_cannot_be_corrected(store: Store) -> None:
    store.append([source(), event("ev:a", "2024")])
    store.append([entry("event.retracted", {"event_id": "ev:a", "reason": "duplicate"})])
    fix = entry("event.corrected", {"event_id": "ev:a", "changes": {"title": "x"}, "reason": "r"})
    with pytest.raises(EntryError, match="is retracted"):
        store.append([fix])


def test_read_only_open_refuses_writes(mini_store: Store) -> None:
    with Store.open(mini_store.path, readonly=True) as reader:
        with pytest.raises(StoreError, match="read-only"):
            reader.append([source("src:b")])
        assert reader.head() == mini_store.head()


def test_projections_from_another_version_are_rebuilt_on_open(mini_store: Store) -> None:
    path = mini_store.path
    mini_store.conn.execute("UPDATE projection_meta SET value = 1 WHERE key = 'version'")
    mini_store.conn.execute("DELETE FROM events_fts")  # what an older chronicle left
    mini_store.close()
    with Store.open(path) as reopened:
        version = reopened.conn.execute(
            "SELECT value FROM projection_meta WHERE key = 'version'"
        ).fetchone()
        assert version == (store_module.PROJECTION_VERSION,)
        assert reopened.conn.execute("SELECT count(*) FROM events_fts").fetchone() == (2,)


@pytest.mark.parametrize("enabled_before", [True, False])
def test_an_import_runs_without_the_cycle_collector(store: Store, enabled_before: bool) -> None:
    """A bulk write is where the collector cost most and found nothing to collect."""
    seen = []

    def lines():
        for item in (source(), event("ev:a", "2024")):
            seen.append(gc.isenabled())
            yield json.dumps(item)

    was = gc.isenabled()
    try:
        (gc.enable if enabled_before else gc.disable)()
        store.import_lines(lines())
        assert seen == [False, False]
        assert gc.isenabled() is enabled_before
        with pytest.raises(EntryError):
            store.import_lines(["{not json"])
        assert gc.isenabled() is enabled_before
    finally:
        (gc.enable if was else gc.disable)()
