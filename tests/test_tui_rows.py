"""The timeline's row sources: paging, and positions found by binary search.

Both sources must agree with the store's own ordered list of ids, whatever the
dates (NULL bounds first, ties broken by id) and wherever the page edges fall.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronicle import queries
from chronicle.store import Store
from chronicle.tui import rows as rows_module
from chronicle.tui.rows import (
    ListedRows,
    OrderedRows,
    Rows,
    next_match,
    sort_key,
    stepped_ids,
    touched_events,
)

DATES = st.one_of(
    st.integers(2010, 2014).map(str),
    st.tuples(st.integers(2010, 2014), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
    st.tuples(st.integers(2010, 2014), st.integers(1, 12), st.integers(1, 28)).map(
        lambda t: f"{t[0]}-{t[1]:02d}-{t[2]:02d}"
    ),
    st.integers(2010, 2014).map(lambda y: f"../{y}"),  # an open start: NULL earliest
    st.integers(2010, 2014).map(lambda y: f"{y}/.."),  # an open end: NULL latest
)


def build(path: Path, dates: list[str]) -> Store:
    store = Store.open(path, create=True)
    store.append(
        [{"id": "s", "type": "source.registered", "author": "t",
          "data": {"source_id": "src:s", "title": "S", "kind": "news"}}]
        + [{"id": f"e{i}", "type": "event.asserted", "author": "t",
            "data": {"event_id": f"ev:{i:03d}", "title": f"Event {i}", "when": when,
                     "actors": [], "tags": [], "summary": "", "citations": []}}
           for i, when in enumerate(dates)]
    )  # fmt: skip
    store.ensure_order()
    return store


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of three rows and a cache of two, so every test crosses page edges."""
    monkeypatch.setattr(rows_module, "PAGE_SIZE", 3)
    monkeypatch.setattr(rows_module, "CACHED_PAGES", 2)


def sources(conn: sqlite3.Connection) -> Iterator[Rows]:
    yield OrderedRows(conn)
    yield ListedRows(conn, queries.timeline_ids(conn))


def all_ids(rows: Rows) -> list[str]:
    return [rows.row(i)["event_id"] for i in range(rows.count)]


PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(dates=st.lists(DATES, min_size=1, max_size=20), probe=DATES)
def test_rows_positions_and_dates_agree_with_the_store(
    tmp_path_factory: pytest.TempPathFactory, small_pages: None, dates: list[str], probe: str
) -> None:
    path = tmp_path_factory.mktemp("rows") / "c.db"
    with build(path, dates) as store:
        expected = queries.timeline_ids(store.conn)
        day = probe.replace("..", "").strip("/")
        iso = {4: f"{day}-01-01", 7: f"{day}-01"}.get(len(day), day)
        for rows in sources(store.conn):
            assert all_ids(rows) == expected
            for position, event_id in enumerate(expected):
                assert rows.index_of(event_id) == position
            firsts = [
                i for i in range(rows.count) if rows_module.starts_on_or_after(rows.row(i), iso)
            ]
            assert rows.index_at_date(iso) == (firsts[0] if firsts else rows.count - 1)


@PROPERTY
@given(
    dates=st.lists(DATES, min_size=1, max_size=15),
    picks=st.lists(st.integers(0, 14), min_size=1, max_size=6),
    cursor=st.integers(0, 14),
    direction=st.sampled_from([1, -1]),
)
def test_next_match_is_the_first_match_past_the_cursor(
    tmp_path_factory: pytest.TempPathFactory,
    small_pages: None,
    dates: list[str],
    picks: list[int],
    cursor: int,
    direction: int,
) -> None:
    path = tmp_path_factory.mktemp("match") / "c.db"
    with build(path, dates) as store:
        rows = OrderedRows(store.conn)
        order = all_ids(rows)
        matches = sorted({order[p % len(order)] for p in picks}, key=order.index)
        here = order[cursor % len(order)]
        key = sort_key(rows.row(order.index(here)))
        if direction > 0:
            after = [m for m in matches if order.index(m) > order.index(here)]
            expected = after[0] if after else matches[0]
        else:
            before = [m for m in matches if order.index(m) < order.index(here)]
            expected = before[-1] if before else matches[-1]
        assert matches[next_match(rows, matches, key, direction)] == expected


def test_year_steps_land_on_the_first_event_of_a_year(tmp_path: Path, small_pages: None) -> None:
    dates = ["2010-05", "2010-07", "2011-02-03", "2011-09", "2013", "2013-04-01"]
    with build(tmp_path / "c.db", dates) as store:
        for rows in sources(store.conn):
            years = [rows.row(i)["earliest"][:4] for i in range(rows.count)]
            assert years == ["2010", "2010", "2011", "2011", "2013", "2013"]
            assert rows.year_step(0, 1) == 2  # 2010 -> first of 2011
            assert rows.year_step(2, 1) == 4  # 2011 -> 2013 (no 2012)
            assert rows.year_step(5, 1) == 5  # nothing later: the last row
            assert rows.year_step(3, -1) == 2  # mid-2011 -> start of 2011
            assert rows.year_step(2, -1) == 0  # start of 2011 -> start of 2010


def test_pages_stay_few_and_rows_out_of_range_are_none(tmp_path: Path, small_pages: None) -> None:
    with build(tmp_path / "c.db", [f"2012-01-{d:02d}" for d in range(1, 20)]) as store:
        rows = OrderedRows(store.conn)
        for i in range(rows.count):
            assert rows.row(i)["event_id"] == f"ev:{i:03d}"
            assert len(rows._pages) <= 2
        assert rows.row(-1) is None
        assert rows.row(rows.count) is None


def test_corrected_events_are_marked(tmp_path: Path) -> None:
    with build(tmp_path / "c.db", ["2012", "2013"]) as store:
        store.append(
            [{"id": "c1", "type": "event.corrected", "author": "t",
              "data": {"event_id": "ev:001", "changes": {"title": "New"}, "reason": "r"}}]
        )  # fmt: skip
        for rows in sources(store.conn):
            assert [rows.row(i)["corrected"] for i in range(2)] == [False, True]
        past = ListedRows(store.conn, queries.timeline_ids(store.conn, None, 3), as_of=3)
        assert [past.row(i)["corrected"] for i in range(2)] == [False, False]


OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["add", "correct", "retract", "merge"]), st.integers(0, 9), DATES),
    min_size=1,
    max_size=25,
)


def history_entries(operations: list[tuple[str, int, str]]) -> list[dict]:
    """A log of adds, date corrections, retractions and merges over ten possible events."""
    entries, alive = [], []
    for n, (kind, pick, when) in enumerate(operations):
        if kind == "add" or not alive:
            event_id = f"ev:{n:03d}"
            alive.append(event_id)
            data = {"event_id": event_id, "title": "E", "when": when, "actors": [], "tags": [],
                    "summary": "", "citations": []}  # fmt: skip
            entries.append({"id": f"o{n}", "type": "event.asserted", "author": "t", "data": data})
            continue
        target = alive[pick % len(alive)]
        if kind == "correct":
            data = {"event_id": target, "changes": {"when": when}, "reason": "r"}
            entries.append({"id": f"o{n}", "type": "event.corrected", "author": "t", "data": data})
        elif kind == "retract" or len(alive) == 1:
            alive.remove(target)
            data = {"event_id": target, "reason": "r"}
            entries.append({"id": f"o{n}", "type": "event.retracted", "author": "t", "data": data})
        else:
            alive.remove(target)
            data = {"event_id": target, "into": alive[0], "reason": "r"}
            entries.append({"id": f"o{n}", "type": "event.merged", "author": "t", "data": data})
    return entries


@PROPERTY
@given(operations=OPERATIONS, data=st.data())
def test_stepping_the_past_view_equals_rebuilding_it(
    tmp_path_factory: pytest.TempPathFactory, operations: list, data: st.DataObject
) -> None:
    path = tmp_path_factory.mktemp("step") / "c.db"
    with Store.open(path, create=True) as store:
        store.append(history_entries(operations))
        head = queries.head_seq(store.conn)
        before = data.draw(st.integers(0, head), label="from")
        after = data.draw(st.integers(0, head), label="to")
        ids = queries.timeline_ids(store.conn, None, before)
        touched = touched_events(store.conn, min(before, after), max(before, after))
        stepped = stepped_ids(store.conn, ids, touched, after)
        assert stepped == queries.timeline_ids(store.conn, None, after)
