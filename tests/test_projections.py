"""Projections: current state, versions for as-of, disputes, full text, order, rebuild."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from support import actor, entry, event, snapshot, source

from chronicle import projector, queries
from chronicle.store import Store
from chronicle.terms import ENTRY_TYPES


def _correct(event_id: str, reason: str = "r", **changes) -> dict:
    return entry("event.corrected", {"event_id": event_id, "changes": changes, "reason": reason})


def test_correction_round_trip(mini_store: Store) -> None:
    conn = mini_store.conn
    before = mini_store.head()[0]
    mini_store.append([_correct("ev:kidal", "exact day reported", when="2023-11-14")])
    assert mini_store.head()[0] == before + 1
    now = queries.show(conn, "ev:kidal")
    then = queries.show(conn, "ev:kidal", as_of=before)
    assert (now.event["earliest"], now.event["precision"]) == ("2023-11-14", "day")
    assert (then.event["earliest"], then.event["precision"]) == ("2023-11-01", "month")
    assert [h["type"] for h in now.history] == ["event.asserted", "event.corrected"]
    assert now.history[1]["reason"] == "exact day reported"
    assert [h["type"] for h in then.history] == ["event.asserted"]
    assert mini_store.verify().ok


def test_event_versions_close_and_open_ranges(mini_store: Store) -> None:
    mini_store.append([_correct("ev:kidal", title="Kidal taken back")])
    rows = mini_store.conn.execute(
        "SELECT version, from_seq, to_seq, title FROM event_versions "
        "WHERE event_id = 'ev:kidal' ORDER BY version"
    ).fetchall()
    head = mini_store.head()[0]
    assert rows == [(1, 6, head, "Kidal retaken"), (2, head, None, "Kidal taken back")]


def test_disputes_show_every_claimant(mini_store: Store) -> None:
    (row,) = queries.disputes(mini_store.conn, disputed_only=True)
    assert (row["event_id"], row["property"], row["about"]) == ("ev:battle", "killed", "actor:fama")
    assert {c["claimant"] for c in row["claimants"]} == {"actor:jnim", "actor:fama"}
    assert (row["low"], row["high"], row["disputed"]) == (2, 10, 1)
    flags = mini_store.conn.execute("SELECT event_id, disputed FROM events ORDER BY 1").fetchall()
    assert flags == [("ev:battle", 1), ("ev:kidal", 0)]


def test_overlapping_ranges_are_not_a_dispute(store: Store) -> None:
    store.append([source(), actor("a:x", "X"), actor("a:y", "Y"), event("ev:a", "2024")])
    claim = {"event_id": "ev:a", "property": "killed", "source": "src:a"}
    store.append([
        entry("claim.asserted", {**claim, "claim_id": "c1", "claimant": "a:x", "low": 20,
                                 "high": 80}),
        entry("claim.asserted", {**claim, "claim_id": "c2", "claimant": "a:y", "best": 50}),
    ])  # fmt: skip
    (row,) = queries.disputes(store.conn)
    assert (row["n_claimants"], row["disputed"]) == (2, 0)


def test_deprecating_a_claim_ends_the_dispute(mini_store: Store) -> None:
    mini_store.append([entry("claim.ranked", {"claim_id": "cl:1", "rank": "deprecated",
                                              "reason": "withdrawn by its claimant"})])  # fmt: skip
    assert queries.disputes(mini_store.conn, disputed_only=True) == []
    assert len(queries.disputes(mini_store.conn, mini_store.head()[0] - 1, disputed_only=True)) == 1


@pytest.mark.parametrize("spelling", ["Tinzaouaten", "Tin Zaouatine", "tinzaouatene", "zaouat"])
def test_search_finds_every_spelling(mini_store: Store, spelling: str) -> None:
    assert queries.search_ids(mini_store.conn, spelling) == {"ev:battle"}


def test_a_new_alias_is_searchable_at_once(mini_store: Store) -> None:
    mini_store.append([entry("entity.aliased", {"entity_id": "actor:jnim", "alias": "GSIM"})])
    assert queries.search_ids(mini_store.conn, "GSIM") == {"ev:battle"}
    found = queries.timeline_ids(mini_store.conn, queries.TimelineFilter(actors=["gsim"]))
    assert found == ["ev:battle"]


def test_search_text_is_never_fts_syntax(mini_store: Store) -> None:
    """Operators, column filters and quotes stay words: no FTS5 syntax error escapes."""
    assert queries.search_ids(mini_store.conn, "title:Kidal") == set()
    assert queries.search_ids(mini_store.conn, 'Kidal OR "x') == set()
    assert queries.search_ids(mini_store.conn, "NEAR(Kidal retaken)") == set()
    assert queries.search_ids(mini_store.conn, "-Kidal") == {"ev:kidal"}
    with pytest.raises(queries.QueryError, match="nothing to search"):
        queries.search_ids(mini_store.conn, "*")


def test_retract_and_merge_leave_the_timeline(mini_store: Store) -> None:
    mini_store.append([event("ev:dup", "2023-11", "Kidal retaken (again)")])
    mini_store.append([
        entry("event.merged", {"event_id": "ev:dup", "into": "ev:kidal", "reason": "same event"}),
        entry("event.retracted", {"event_id": "ev:battle", "reason": "test"}),
    ])  # fmt: skip
    ids = queries.timeline_ids(mini_store.conn)
    assert ids == ["ev:kidal"]
    every = queries.timeline_ids(mini_store.conn, queries.TimelineFilter(include_retracted=True))
    assert set(every) == {"ev:kidal", "ev:dup", "ev:battle"}
    detail = queries.show(mini_store.conn, "ev:dup")
    assert (detail.event["status"], detail.event["merged_into"]) == ("merged", "ev:kidal")


def test_links_are_navigable_both_ways(mini_store: Store) -> None:
    mini_store.append([entry("event.linked", {"event_id": "ev:battle", "relation": "follows",
                                              "target": "ev:kidal"})])  # fmt: skip
    out = queries.show(mini_store.conn, "ev:battle").links
    into = queries.show(mini_store.conn, "ev:kidal").links
    assert out == [{"direction": "out", "relation": "follows", "event_id": "ev:kidal",
                    "title": "Kidal retaken"}]  # fmt: skip
    assert into[0]["direction"] == "in" and into[0]["event_id"] == "ev:battle"
    assert [h["type"] for h in queries.show(mini_store.conn, "ev:kidal").history][-1] == (
        "event.linked"
    )


def test_timeline_filters(mini_store: Store) -> None:
    conn = mini_store.conn

    def ids(**kw) -> list[str]:
        return queries.timeline_ids(conn, queries.TimelineFilter.from_words(**kw))

    assert ids(start="2024") == ["ev:battle"]
    assert ids(end="Dec 2023") == ["ev:kidal"]
    assert ids(start="27 July 2024") == ["ev:battle"]
    assert ids(places=["Tin Zaouatine"]) == ["ev:battle"]
    assert ids(tags=["battle"]) == ["ev:battle"]
    assert ids(search="enters") == ["ev:kidal"]
    with pytest.raises(queries.QueryError, match="no entity is called"):
        ids(actors=["nobody"])


def test_timeline_order_is_dense_and_chronological(mini_store: Store) -> None:
    mini_store.ensure_order()
    conn = mini_store.conn
    mini_store.append([event("ev:late", "2025"), event("ev:early", "2012~")])
    mini_store.ensure_order()
    page = queries.timeline_page(conn, 1, 10)
    assert [r["ord"] for r in page] == [1, 2, 3, 4]
    assert [r["event_id"] for r in page] == queries.timeline_ids(conn)
    assert queries.timeline_count(conn) == 4


def test_rebuild_equals_incremental(mini_store: Store) -> None:
    mini_store.append(
        [
            _correct("ev:kidal", when="2023-11-14", tags=["city"]),
            entry("entity.aliased", {"entity_id": "place:tinz", "alias": "TZ"}),
        ]
    )
    before = snapshot(mini_store.conn)
    assert mini_store.rebuild() == mini_store.head()[0]
    assert snapshot(mini_store.conn) == before


def test_views_need_no_python_functions(mini_store: Store) -> None:
    """A plain sqlite3 connection (no functions registered) reads every public view."""
    conn = sqlite3.connect(mini_store.path)
    for view in ("timeline", "claims", "disputes", "history", "events", "event_versions",
                 "event_actors", "event_citations", "event_links", "sources", "entities",
                 "entity_aliases", "events_fts"):  # fmt: skip
        conn.execute(f"SELECT * FROM {view}").fetchall()
    titles = [r[0] for r in conn.execute("SELECT title FROM timeline")]
    assert titles == ["Kidal retaken", "Battle of Tinzaouaten"]


def test_sqlite3_shell_reads_the_timeline(mini_store: Store) -> None:
    shell = subprocess.run(["which", "sqlite3"], capture_output=True, text=True).stdout.strip()
    if not shell:
        pytest.skip("no sqlite3 shell on this machine")
    out = subprocess.run([shell, str(mini_store.path), "SELECT event_id FROM timeline"],
                         capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    assert out == ["ev:kidal", "ev:battle"]


def test_as_of_a_time_means_the_last_entry_recorded_by_then(store: Store) -> None:
    stamped = [
        {**source(), "recorded_at": "2026-01-01T10:00:00Z"},
        {**event("ev:a", "2024"), "recorded_at": "2026-01-02T10:00:00Z"},
        {**_correct("ev:a", title="A2"), "recorded_at": "2026-01-03T10:00:00+02:00"},
    ]
    store.append(stamped)
    conn = store.conn
    assert queries.resolve_as_of(conn, "2026-01-01") == 1
    assert queries.resolve_as_of(conn, "2026-01-02T10:00:00Z") == 2
    assert queries.resolve_as_of(conn, "2025-12-31") == 0
    assert queries.resolve_as_of(conn, "3") == 3
    with pytest.raises(queries.QueryError, match="neither a seq number nor an ISO time"):
        queries.resolve_as_of(conn, "last tuesday")
    assert (
        queries.show(conn, "ev:a", queries.resolve_as_of(conn, "2026-01-02")).event["title"]
        == "ev:a"
    )


def test_every_entry_type_has_exactly_one_projector_handler(monkeypatch) -> None:
    assert set(projector.HANDLERS) == set(ENTRY_TYPES)
    monkeypatch.delitem(projector.HANDLERS, "claim.ranked")
    with pytest.raises(ImportError, match=r"missing \['claim.ranked'\]"):
        projector._check_handlers()


def _full_scans(conn: sqlite3.Connection, sql: str, args: object = ()) -> list[str]:
    """The steps of a statement's plan that read a whole stored table (json_each aside)."""
    plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args)]
    return [step for step in plan if step.startswith("SCAN") and "VIRTUAL TABLE" not in step]


def test_full_text_and_actor_key_upkeep_read_through_keys(mini_store: Store) -> None:
    """What each append runs to keep the index and the actor keys reads only the events
    it is about: a scan of every event or version would cost each append the store's size."""
    conn = mini_store.conn
    for table in ("dirty_text", "unindexing"):
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (event_id TEXT PRIMARY KEY)")
    assert _full_scans(conn, projector._FTS_UNINDEX) == []
    assert _full_scans(conn, projector._DROP_ACTOR_KEYS, ('["ev:kidal"]',)) == []
    assert _full_scans(conn, projector._FTS_INDEX) == []
    sql, params = queries.filtered_events_sql(conn, queries.TimelineFilter(actors=["JNIM"]))
    assert _full_scans(conn, sql, params) == []
    assert "event_actor_keys" in sql
