"""What the projector stores so that readers need not compute it equals what it stands for.

Dispute groups, actor names, source counts and the full-text key table are kept up
to date batch by batch, for speed; each must equal what SQL computes afresh from the
rows it summarises, whatever the history and wherever the batch edges fall.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import FLUSH_SIZES, SETTINGS, Op, _history, flushing_every, ops

from chronicle import queries
from chronicle.cli import seed_files
from chronicle.schema import CLAIMS_CURRENT, disputes_sql
from chronicle.store import Store

_GROUP_COLUMNS = "event_id, property, about, n_claims, n_claimants, low, high, claimants, disputed"


def _rows(conn: sqlite3.Connection, sql: str) -> list[tuple]:
    return sorted(conn.execute(sql).fetchall(), key=repr)


def _fresh_actor_names(conn: sqlite3.Connection) -> list[tuple]:
    return _rows(
        conn,
        "SELECT e.event_id, (SELECT group_concat(a.name, '; ') FROM "
        "(SELECT name FROM event_actors WHERE event_id = e.event_id ORDER BY rowid) a) "
        "FROM events e",
    )


def _fresh_source_counts(conn: sqlite3.Connection) -> list[tuple]:
    return _rows(
        conn,
        "SELECT e.event_id, (SELECT count(DISTINCT source_id) FROM event_citations c "
        "WHERE c.event_id = e.event_id) FROM events e",
    )


def _version_source_counts(conn: sqlite3.Connection) -> list[tuple]:
    return _rows(
        conn,
        "SELECT v.event_id, v.version, v.n_sources, (SELECT count(DISTINCT "
        "json_extract(j.value, '$.source')) FROM json_each(v.citations) j) FROM event_versions v",
    )


def assert_index_matches_documents(conn: sqlite3.Connection) -> None:
    """The full-text index holds exactly the words of the documents its view composes now.

    It keeps no copy of them, so a document taken out with other words than it was
    put in with (an input changed before it was taken out) leaves stray entries. An
    index made afresh from every document must hold the same words at the same
    places. (FTS5's own integrity check cannot read a view that uses json_each.)
    """
    (ddl,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events_fts'").fetchone()
    fresh = ddl.replace("CREATE VIRTUAL TABLE events_fts", "CREATE VIRTUAL TABLE temp.fresh_fts")
    conn.execute(fresh.replace("content = 'events_fts_docs',", ""))
    try:
        conn.execute(
            "INSERT INTO temp.fresh_fts (rowid, event_id, title, summary, quotes, places, actors) "
            "SELECT rowid, event_id, title, summary, quotes, places, actors FROM events_fts_docs"
        )
        for db, table in (("main", "events_fts"), ("temp", "fresh_fts")):
            conn.execute(
                f"CREATE VIRTUAL TABLE temp.words_{table} USING fts5vocab({db}, {table}, instance)"
            )
        words = "SELECT term, doc, col, offset FROM temp.words_{}"
        assert _rows(conn, words.format("events_fts")) == _rows(conn, words.format("fresh_fts"))
    finally:
        for table in ("temp.words_events_fts", "temp.words_fresh_fts", "temp.fresh_fts"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    indexed = _rows(conn, "SELECT id FROM events_fts_docsize")
    assert indexed == _rows(conn, "SELECT rowid FROM events")


def assert_aggregates_fresh(conn: sqlite3.Connection) -> None:
    stored = _rows(conn, f"SELECT {_GROUP_COLUMNS} FROM dispute_groups")
    fresh = _rows(conn, f"SELECT {_GROUP_COLUMNS} FROM ({disputes_sql(CLAIMS_CURRENT)})")
    assert stored == fresh
    names = _rows(
        conn,
        "SELECT d.title = e.title, d.about_name IS (SELECT name FROM entities WHERE "
        "entity_id = d.about) FROM dispute_groups d JOIN events e ON e.event_id = d.event_id",
    )
    assert all(a and b for a, b in names) and len(names) == len(stored)
    flags = _rows(conn, "SELECT event_id, disputed FROM events")
    disputed = {r[0] for r in fresh if r[-1]}
    assert flags == sorted(((e, int(e in disputed)) for e, _ in flags), key=repr)
    assert _rows(conn, "SELECT event_id, actor_names FROM events") == _fresh_actor_names(conn)
    assert _rows(conn, "SELECT event_id, n_sources FROM events") == _fresh_source_counts(conn)
    assert all(row[2] == row[3] for row in _version_source_counts(conn))
    assert_index_matches_documents(conn)
    keys = _rows(conn, "SELECT key, event_id FROM event_keys")
    assert keys == _rows(conn, "SELECT rowid, event_id FROM events")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    (path,) = (p for p in seed_files() if p.name == "mali.ndjson")
    with Store.open(tmp_path_factory.mktemp("seeded") / "s.db", create=True) as store:
        with path.open("rb") as handle:
            store.import_lines(handle, name=path.name)
        yield store


@SETTINGS
@given(op_list=ops, step=st.sampled_from([1, 2, 7, 1000]), flush=FLUSH_SIZES)
def test_stored_aggregates_equal_fresh_ones(
    tmp_path_factory, op_list: list[Op], step: int, flush: int
) -> None:
    """Appended ``step`` entries a transaction: one by one, as a user appends, or in bulk."""
    entries = _history(op_list)
    path = tmp_path_factory.mktemp("agg") / "s.db"
    with flushing_every(flush), Store.open(path, create=True) as store:
        for start in range(0, len(entries), step):
            store.append(entries[start : start + step])
            assert_aggregates_fresh(store.conn)


def test_full_text_hits_map_to_their_events(seeded: Store) -> None:
    conn = seeded.conn
    found = queries.search_ids(conn, "Kidal")
    expected = {
        r[0]
        for r in conn.execute(
            "SELECT event_id FROM events WHERE rowid IN "
            "(SELECT rowid FROM events_fts WHERE events_fts MATCH '\"Kidal\"*')"
        )
    }
    assert found == expected and len(found) >= 5
    assert_aggregates_fresh(conn)


@pytest.mark.parametrize("words", ["Kidal", "withdrawal", "MINUSMA", "Wagner", "coup", "Algiers"])
def test_a_searched_timeline_now_and_as_of_the_head_agree(seeded: Store, words: str) -> None:
    """Now the search goes from full-text keys to event rows; as of a seq, through ids."""
    conn, head = seeded.conn, seeded.head()[0]
    now = queries.timeline_ids(conn, queries.TimelineFilter(search=words))
    found = queries.search_ids(conn, words)
    assert now == [e for e in queries.timeline_ids(conn) if e in found]
    assert now == queries.timeline_ids(conn, queries.TimelineFilter(search=words), as_of=head)
    assert now, words


def test_seeded_timeline_lists_actor_names(seeded: Store) -> None:
    rows = list(queries.timeline(seeded.conn))
    assert any(r["actors"] and "; " in r["actors"] for r in rows)
    assert all(r["actors"] is None or r["actors"].strip() for r in rows)


def test_disputes_can_leave_claimants_as_the_views_json(seeded: Store) -> None:
    decoded = queries.disputes(seeded.conn)
    raw = queries.disputes(seeded.conn, decode=False)
    assert decoded and [{**r, "claimants": json.loads(r["claimants"])} for r in raw] == decoded
    view = seeded.conn.execute("SELECT claimants FROM disputes ORDER BY event_id, property, about")
    assert [r["claimants"] for r in raw] == [c for (c,) in view]


def test_full_text_index_merges_only_full_levels(seeded: Store, tmp_path) -> None:
    """No incremental merging inside single appends, after a create or a rebuild."""
    config = "SELECT v FROM events_fts_config WHERE k = 'automerge'"
    assert seeded.conn.execute(config).fetchone() == (0,)
    with Store.open(tmp_path / "r.db", create=True) as store:
        store.append(list(seeded.entries()))
        store.rebuild()
        assert store.conn.execute(config).fetchone() == (0,)
