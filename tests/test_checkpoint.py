"""Checkpoints: the WAL is copied back off the commit path, stays bounded, and is gone at close.

Waiting for the background checkpoint is a wait for an event with a generous
limit, never a timing check: the limit only keeps a broken build from hanging.
"""

from __future__ import annotations

import gc
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from support import entry, event, source

from chronicle import store as store_module
from chronicle.store import Store

WAIT_LIMIT_S = 60


def _corrections(count: int) -> list[dict]:
    return [
        entry("event.corrected", {"event_id": "ev:a", "changes": {"title": f"A{n}"}, "reason": "x"})
        for n in range(count)
    ]


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _wait_for_checkpoint(store: Store) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while store._checkpointer is None or store._checkpointer.runs == 0:
        if time.monotonic() > deadline:
            pytest.fail(f"no background checkpoint in {WAIT_LIMIT_S} s")
        time.sleep(0.01)


def _log_rows_in_file_alone(path: Path, tmp_path: Path) -> int:
    """How many log rows the store file holds without its WAL."""
    alone = tmp_path / "alone.db"
    shutil.copyfile(path, alone)
    conn = sqlite3.connect(alone)
    try:
        return conn.execute("SELECT count(*) FROM log").fetchone()[0]
    finally:
        conn.close()


def test_a_quiet_writer_has_its_wal_copied_into_the_store_file(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "CHECKPOINT_QUIET_S", 0.01)
    with Store.open(store_path, create=True) as store:
        store.append([source(), event("ev:a", "2024")])
        for correction in _corrections(5):
            store.append([correction])
        _wait_for_checkpoint(store)
        # A round may have run between two appends (the writer paused for 10 ms on a
        # busy machine): wait for the one after the last, which copies all seven.
        deadline = time.monotonic() + WAIT_LIMIT_S
        while _log_rows_in_file_alone(store_path, tmp_path) < 7 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _log_rows_in_file_alone(store_path, tmp_path) == 7


def test_a_loop_of_appends_keeps_the_wal_bounded(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Appends that never pause leave the checkpoint to the commits, which bound the WAL."""
    monkeypatch.setattr(store_module, "CHECKPOINT_QUIET_S", 3600)
    monkeypatch.setattr(store_module, "WAL_CHECKPOINT_PAGES", 50)
    with Store.open(store_path, create=True) as store:
        store.append([source(), event("ev:a", "2024")])
        page = store.conn.execute("PRAGMA page_size").fetchone()[0]
        largest = 0
        for correction in _corrections(300):
            store.append([correction])
            largest = max(largest, _wal(store_path).stat().st_size)
        assert store._checkpointer is not None and store._checkpointer.runs == 0
    assert largest < 2 * 50 * (page + 24)  # a frame is a page and its 24-byte header


def test_close_stops_the_thread_and_leaves_no_wal(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Close never waits for a quiet moment: a CLI append does not pay for the thread."""
    monkeypatch.setattr(store_module, "CHECKPOINT_QUIET_S", 3600)
    store = Store.open(store_path, create=True)
    store.append([source(), event("ev:a", "2024")])
    checkpointer = store._checkpointer
    assert checkpointer is not None and checkpointer.running
    store.close()
    assert not checkpointer.running
    assert not _wal(store_path).exists() or _wal(store_path).stat().st_size == 0
    conn = sqlite3.connect(store_path, timeout=0)
    try:
        conn.execute("BEGIN EXCLUSIVE")  # nothing is left holding the store
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_a_store_dropped_unclosed_stops_its_thread(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "CHECKPOINT_QUIET_S", 3600)
    store = Store.open(store_path, create=True)
    store.append([source()])
    checkpointer = store._checkpointer
    assert checkpointer is not None
    del store
    gc.collect()
    assert not checkpointer.running
    assert checkpointer._thread.daemon  # and never one that keeps a process alive


def test_reading_never_starts_the_thread(mini_store: Store) -> None:
    with Store.open(mini_store.path, readonly=True) as reader:
        reader.verify()
        assert reader._checkpointer is None
