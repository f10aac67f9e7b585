"""A timeline as of a seq is read in order from an index, and every filter still holds.

The as-of timeline used to gather every claim and dispute of the store and sort the
whole result before its first row (3.3 s at a million entries). Now each event's
version is read in timeline order from ``event_versions_order`` and its counts are
looked up for that row alone. The plans are checked here for a sort or a gathering
before the first row; the rows, filter by filter, against a store of the first N
entries, which is what "as of N" means.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import generated_store

from chronicle import exports, queries
from chronicle.queries import TimelineFilter
from chronicle.queries.timeline import _T_COLUMNS, timeline_sql
from chronicle.store import Store

ENTRIES = 3000


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = generated_store(tmp_path_factory.mktemp("asof") / "full.db", ENTRIES)
    with Store.open(path) as store:
        yield store


@pytest.fixture(scope="module", params=[ENTRIES // 3, 2 * ENTRIES // 3, ENTRIES])
def cut(request, full: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A seq and a store holding the log up to it: the full store as of it, made directly."""
    n = request.param
    log = io.StringIO()
    exports.write_export(full.conn, "log", "ndjson", log, as_of=n)
    path = tmp_path_factory.mktemp("prefix") / f"first-{n}.db"
    with Store.open(path, create=True) as prefix:
        prefix.import_lines(io.StringIO(log.getvalue()), name="first.ndjson")
        yield n, prefix


def _filters(prefix: Store) -> dict[str, TimelineFilter]:
    """One filter of each kind, on values the first N entries know, and a few together."""
    conn = prefix.conn
    actor = conn.execute(
        "SELECT entity_id FROM event_actors GROUP BY entity_id ORDER BY count(*) DESC"
    ).fetchone()[0]
    place = conn.execute(
        "SELECT place_id FROM events WHERE place_id IS NOT NULL "
        "GROUP BY place_id ORDER BY count(*) DESC"
    ).fetchone()[0]
    tag = conn.execute(
        "SELECT j.value FROM events, json_each(events.tags) j GROUP BY j.value "
        "ORDER BY count(*) DESC"
    ).fetchone()[0]
    word = conn.execute("SELECT title FROM events ORDER BY rowid LIMIT 1").fetchone()[0]
    return {
        "none": TimelineFilter(),
        "retracted": TimelineFilter(include_retracted=True),
        "dates": TimelineFilter.from_words("1990", "2010"),
        "from": TimelineFilter.from_words("2015"),
        "actor": TimelineFilter(actors=[actor]),
        "place": TimelineFilter(places=[place]),
        "tag": TimelineFilter(tags=[tag]),
        "search": TimelineFilter(search=word.split()[0]),
        "together": TimelineFilter.from_words("1980", None, places=[place], include_retracted=True),
    }


def test_each_filter_as_of_n_equals_it_on_the_first_n(full: Store, cut: tuple) -> None:
    n, prefix = cut
    for name, flt in _filters(prefix).items():
        past = list(queries.timeline(full.conn, flt, n))
        if flt.search:  # the full-text index is of today's text: it picks among the past rows
            found = queries.search_ids(full.conn, flt.search)
            unfiltered = queries.timeline(full.conn, None, n)
            assert past == [r for r in unfiltered if r["event_id"] in found]
        else:
            assert past == list(queries.timeline(prefix.conn, flt)), name
        assert [r["event_id"] for r in past] == queries.timeline_ids(full.conn, flt, n), name
        assert past, name  # every filter keeps something here


def _plan(store: Store, sql: str, params: dict) -> list[str]:
    return [row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_an_as_of_timeline_streams_from_the_order_index(full: Store, cut: tuple) -> None:
    """No sort of the result and nothing gathered for the whole store before the first row."""
    n, prefix = cut
    for name, flt in _filters(prefix).items():
        for columns in (_T_COLUMNS, "t.event_id"):  # the rows, and the TUI's id array
            plan = _plan(full, *timeline_sql(full.conn, flt, n, columns))
            walk = [step for step in plan if step.split(" USING")[0] in ("SCAN v", "SEARCH v")]
            assert walk and "INDEX event_versions_order" in walk[0], (name, plan)
            assert not [step for step in plan if "TEMP B-TREE FOR ORDER BY" in step], name
            assert not [step for step in plan if "MATERIALIZE" in step], name


def test_a_page_of_a_past_timeline_reads_its_own_events_only(full: Store) -> None:
    """The TUI's page of rows as of a seq looks its events up by key, not by a scan."""
    ids = queries.timeline_ids(full.conn, TimelineFilter(), ENTRIES // 2)[:5]
    rows = queries.events_by_id(full.conn, ids, ENTRIES // 2)
    assert list(rows) and set(rows) == set(ids)
    by_walk = {r["event_id"]: r for r in queries.timeline(full.conn, None, ENTRIES // 2)}
    assert all(rows[e] == by_walk[e] for e in ids)


def test_the_as_of_command_prints_in_order(full: Store, tmp_path: Path, capsys) -> None:
    from support import main_on

    n = ENTRIES // 2
    out, _ = main_on(capsys, full.path, "timeline", "--as-of", str(n), "--format", "csv")
    lines = out.splitlines()
    ids = [line.split(",", 1)[0] for line in lines[1:]]
    assert ids == queries.timeline_ids(full.conn, TimelineFilter(), n)
