"""A large write drops the projections' secondary indexes and makes them again at its end.

Whatever the history, where the bulk switch falls and where the batch edges fall,
a store written that way must hold exactly what entry-by-entry appends make, with
every index back; and a bulk write that fails must leave the indexes as they were.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import snapshot
from test_properties import FLUSH_SIZES, SETTINGS, Op, _history, flushing_every, ops

from chronicle import appender
from chronicle.errors import EntryError
from chronicle.projector import Projector
from chronicle.schema import projection_indexes
from chronicle.store import Store


@contextmanager
def bulk_after(n: int) -> Iterator[list[int]]:
    """Go bulk after n entries; yields a list that grows by one at each switch."""
    switches: list[int] = []
    saved_after, saved_go = appender.BULK_AFTER, Projector.go_bulk

    def spy(self: Projector) -> None:
        switches.append(1)
        saved_go(self)

    appender.BULK_AFTER, Projector.go_bulk = n, spy
    try:
        yield switches
    finally:
        appender.BULK_AFTER, Projector.go_bulk = saved_after, saved_go


def _indexes(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    ).fetchall()


def _state(store: Store) -> tuple:
    store.ensure_order()
    order = store.conn.execute("SELECT ord, event_id FROM timeline_order ORDER BY ord")
    return snapshot(store.conn), order.fetchall(), _indexes(store.conn)


@SETTINGS
@given(
    op_list=ops,
    cut=st.integers(0, 60),
    after=st.sampled_from([0, 2, 7]),
    flush=FLUSH_SIZES,
)
def test_bulk_import_equals_entry_by_entry(
    tmp_path_factory, op_list: list[Op], cut: int, after: int, flush: int
) -> None:
    entries = _history(op_list)
    root = tmp_path_factory.mktemp("bulk")
    with flushing_every(flush):
        with Store.open(root / "one.db", create=True) as single:
            for entry in entries:
                single.append([entry])
            expected = _state(single)
        with Store.open(root / "bulk.db", create=True) as bulk:
            bulk.append(entries[:cut])
            with bulk_after(after) as switches:
                bulk.append(entries[cut:])
            assert switches == ([1] if len(entries[cut:]) > max(after, cut) else [])
            assert _state(bulk) == expected
            assert bulk.verify().ok


def test_every_projection_index_is_back_after_a_bulk_write(tmp_path) -> None:
    entries = _history([(i, i + 1, i + 2, i + 3) for i in range(40)])
    with Store.open(tmp_path / "s.db", create=True) as store, bulk_after(0) as switches:
        store.append(entries)
        store.rebuild()
        assert len(switches) == 2
        names = {row[0] for row in _indexes(store.conn)}
    assert set(projection_indexes()) <= names


def test_a_failed_bulk_write_leaves_store_and_indexes_as_they_were(tmp_path) -> None:
    entries = _history([(i, 2 * i, i + 5, 3 * i) for i in range(30)])
    half = len(entries) // 2
    # More than a chunk, so that the write has gone bulk when it meets the bad entry.
    sources = [
        {"id": f"more-{n}", "type": "source.registered", "author": "a",
         "data": {"source_id": f"src:more-{n}", "title": f"More {n}", "kind": "news"}}
        for n in range(appender.CHUNK)
    ]  # fmt: skip
    bad = {"id": "bad-1", "type": "event.retracted", "author": "a",
           "data": {"event_id": "ev:nowhere", "reason": "never there"}}  # fmt: skip
    with Store.open(tmp_path / "s.db", create=True) as store:
        store.append(entries[:half])
        before = _state(store)
        with bulk_after(0) as switches, pytest.raises(EntryError, match="ev:nowhere"):
            store.append([*entries[half:], *sources, bad])
        assert switches == [1]
        assert _state(store) == before
