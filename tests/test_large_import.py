"""Large imports: written through a rollback journal when the store is the importer's alone.

The journal mode is an implementation choice, so what is checked is what a user
relies on: the same projections as an import through the WAL, the store back in
WAL afterwards (readers are never blocked by a later writer), an import that keeps
the WAL when another connection has the store open, nothing left of a failed one,
and a store a read-only `verify` can open after a large import was killed.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from support import event, snapshot, source

from chronicle import store as store_module
from chronicle.errors import EntryError
from chronicle.projector import Projector
from chronicle.store import Store, _input_size

FIXTURES = Path(__file__).parent / "fixtures"
FORK = multiprocessing.get_context("fork")
WAIT_LIMIT_S = 120


def _log_file(path: Path, events: int, tag: str = "big", *, with_source: bool = True) -> Path:
    """An NDJSON file of a source and ``events`` events, each in its own entry."""
    entries = [{**source(), "id": f"{tag}-src"}] if with_source else []
    entries += [
        {**event(f"ev:{tag}-{i}", f"{2000 + i % 20}-0{1 + i % 9}", f"Event {i} in Kidal"),
         "id": f"{tag}-{i}"}
        for i in range(events)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


def _import(path: Path, log: Path) -> tuple[dict, str]:
    """Import ``log`` into a new store; its projections and the journal mode it is left in."""
    with Store.open(path, create=True) as store, log.open("rb") as lines:
        store.import_lines(lines, name=log.name)
        return snapshot(store.conn), store.conn.execute("PRAGMA journal_mode").fetchone()[0]


def _store_with_a_source(path: Path) -> dict:
    """A new store holding one source; its projections."""
    with Store.open(path, create=True) as store:
        store.append([source("src:first")])
        return snapshot(store.conn)


def _modes_seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The journal mode in force each time the projector flushes, filled in as it runs."""
    seen: list[str] = []
    flush = Projector.flush

    def noting(self: Projector) -> None:
        seen.append(self.conn.execute("PRAGMA journal_mode").fetchone()[0])
        flush(self)

    monkeypatch.setattr(Projector, "flush", noting)
    return seen


def test_a_large_import_projects_as_one_through_the_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log_file(tmp_path / "big.ndjson", 300)
    through_wal, _ = _import(tmp_path / "wal.db", log)
    seen = _modes_seen(monkeypatch)
    monkeypatch.setattr(store_module, "LARGE_WRITE_BYTES", log.stat().st_size)
    through_journal, mode_after = _import(tmp_path / "journal.db", log)
    assert "delete" in seen  # it did go through the rollback journal
    assert through_journal == through_wal
    assert mode_after == "wal"


def test_a_smaller_import_stays_in_the_wal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _log_file(tmp_path / "small.ndjson", 20)
    seen = _modes_seen(monkeypatch)
    monkeypatch.setattr(store_module, "LARGE_WRITE_BYTES", log.stat().st_size + 1)
    _import(tmp_path / "s.db", log)
    assert seen and set(seen) == {"wal"}


def test_another_connection_keeps_the_import_in_the_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader with the store open (the app, say) keeps its snapshot: the WAL stays."""
    path = tmp_path / "shared.db"
    _store_with_a_source(path)
    log = _log_file(tmp_path / "big.ndjson", 100)
    seen = _modes_seen(monkeypatch)
    monkeypatch.setattr(store_module, "LARGE_WRITE_BYTES", 0)
    with Store.open(path, readonly=True) as reader:
        reader.conn.execute("SELECT count(*) FROM log").fetchone()
        _, mode_after = _import(path, log)
        assert reader.conn.execute("SELECT count(*) FROM log").fetchone()[0] == 102
    assert seen and set(seen) == {"wal"}
    assert mode_after == "wal"


def test_a_failed_large_import_leaves_nothing_and_the_wal_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "failed.db"
    before = _store_with_a_source(path)
    log = _log_file(tmp_path / "bad.ndjson", 200)
    with log.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "broken", "type": "event.asserted"}\n')
    monkeypatch.setattr(store_module, "LARGE_WRITE_BYTES", 0)
    with Store.open(path) as store, log.open("rb") as lines:
        with pytest.raises(EntryError, match="line 202"):
            store.import_lines(lines, name=log.name)
        assert snapshot(store.conn) == before
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _import_in_child(path: Path, log: Path) -> None:
    store_module.LARGE_WRITE_BYTES = 0
    with Store.open(path) as store, log.open("rb") as lines:
        store.import_lines(lines, name=log.name)


def test_a_killed_large_import_is_undone_for_a_read_only_open(tmp_path: Path) -> None:
    """A read-only connection cannot roll back a hot journal: the open does it first."""
    path = tmp_path / "killed.db"
    with Store.open(path, create=True) as store, (FIXTURES / "mini.ndjson").open("rb") as f:
        store.import_lines(f, name="mini.ndjson")
        before = snapshot(store.conn)
    log = _log_file(tmp_path / "big.ndjson", 20_000, with_source=False)
    journal, size_before = Path(f"{path}-journal"), path.stat().st_size
    child = FORK.Process(target=_import_in_child, args=(path, log), daemon=True)
    child.start()
    deadline = time.monotonic() + WAIT_LIMIT_S
    # Killed once the import has written pages into the store file itself, their
    # old content in the journal: what a read-only connection could not undo.
    while not (journal.exists() and path.stat().st_size > size_before):
        if child.exitcode is not None or time.monotonic() > deadline:
            pytest.fail("the import never wrote through its journal")
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    with Store.open(path, readonly=True) as reader:
        result = reader.verify()
        assert result.ok and result.entries == 8
        assert snapshot(reader.conn) == before
    assert not journal.exists()


def test_the_size_is_read_from_a_regular_file_only(tmp_path: Path) -> None:
    log = _log_file(tmp_path / "f.ndjson", 3)
    with log.open("rb") as handle:
        assert _input_size(handle) == log.stat().st_size
        handle.readline()
        assert _input_size(handle) == log.stat().st_size - len(log.read_bytes().split(b"\n")[0]) - 1
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as pipe:
        os.close(write_end)
        assert _input_size(pipe) is None
    assert _input_size([b"{}"]) is None
    assert _input_size(io.BytesIO(b"{}\n")) is None


def test_the_store_is_in_wal_after_a_large_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer opening afterwards finds WAL, so its readers never wait for it."""
    monkeypatch.setattr(store_module, "LARGE_WRITE_BYTES", 0)
    path = tmp_path / "after.db"
    _import(path, _log_file(tmp_path / "big.ndjson", 50))
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_a_rebuild_of_a_large_store_goes_through_the_journal_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rebuilt.db"
    projections, _ = _import(path, _log_file(tmp_path / "big.ndjson", 200))
    seen = _modes_seen(monkeypatch)
    monkeypatch.setattr(store_module, "LARGE_WRITE_BYTES", path.stat().st_size)
    with Store.open(path) as store:
        store.rebuild()
        assert snapshot(store.conn) == projections
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "delete" in seen
