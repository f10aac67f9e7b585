"""The sqlite export: a standalone projection file, read by real clients.

The file is opened by the ``sqlite3`` shell and served by Datasette, on 127.0.0.1
and through its in-process client, and compared with what the queries say about
the store it came from. Without Datasette those tests skip, naming it; under
CI=true they fail (see ``clients``).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import urllib.parse
from pathlib import Path

import pytest
from clients import datasette, get_json, serve_datasette
from export_samples import ACTOR_NAME, SUMMARY, TITLE, build_store, corrected_at

from chronicle import exports, queries
from chronicle.store import Store

BATTLE = "ev:2024-07-battle-of-tinzaouaten"
PUBLIC = {
    "timeline", "events", "event_versions", "event_actors", "event_citations", "event_links",
    "claim_versions", "claims", "disputes", "sources", "entities", "entity_aliases", "history",
    "events_fts", "export_info",
}  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = build_store(tmp_path_factory.mktemp("sqlite-export") / "store.db")
    yield store
    store.close()


@pytest.fixture(scope="module")
def exported(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("out") / "chronology.db"
    result = exports.export_file(store.conn, "timeline", "sqlite", path, title="Mali")
    assert result.metadata == path.with_name("chronology.metadata.json")
    return path


def _open(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _objects(conn: sqlite3.Connection) -> dict[str, str]:
    rows = conn.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'events_fts_%'"
    )
    return dict(rows.fetchall())


def test_file_holds_the_public_projection_and_not_the_log(store: Store, exported: Path) -> None:
    with _open(exported) as conn:
        objects = _objects(conn)
        assert set(objects) == PUBLIC
        assert objects["timeline"] == "view"
        assert objects["history"] == objects["disputes"] == "table"
        info = dict(conn.execute("SELECT key, value FROM export_info"))
    assert (info["as_of_seq"], info["log_head_hash"]) == tuple(map(str, store.head()))
    assert not list(exported.parent.glob(".*partial*"))


def test_timeline_rows_equal_the_stores(store: Store, exported: Path) -> None:
    with _open(exported) as conn:
        rows = conn.execute("SELECT event_id, title, summary, actors FROM timeline").fetchall()
    expected = [
        (r["event_id"], r["title"], r["summary"], r["actors"]) for r in queries.timeline(store.conn)
    ]
    assert rows == expected
    hostile = next(r for r in rows if r[0] == "ev:hostile")
    assert hostile[1] == TITLE + " (v2)" and hostile[2] == SUMMARY  # text kept exactly


def test_history_and_claims_are_there(store: Store, exported: Path) -> None:
    with _open(exported) as conn:
        history = conn.execute("SELECT seq, type, reason FROM history WHERE event_id = ?",
                               ("ev:hostile",)).fetchall()  # fmt: skip
        claims = conn.execute("SELECT claim_id, rank FROM claims WHERE event_id = 'ev:hostile'")
        ranks = dict(claims.fetchall())
    expected = queries.history(store.conn, "ev:hostile")
    assert history == [(h["seq"], h["type"], h["reason"]) for h in expected]
    assert ranks == {"cl:h1": "preferred", "cl:h2": "normal", "cl:h3": "normal"}


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell on this machine")
def test_the_sqlite3_shell_reads_it(store: Store, exported: Path) -> None:
    def shell(sql: str) -> str:
        done = subprocess.run(
            ["sqlite3", "-readonly", str(exported), sql], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert shell("SELECT count(*) FROM timeline") == str(len(queries.timeline_ids(store.conn)))
    assert shell("PRAGMA integrity_check") == "ok"
    hits = shell(
        "SELECT t.event_id FROM timeline t WHERE t.rowid IN "
        "(SELECT rowid FROM events_fts WHERE events_fts MATCH 'Tinzaouatene') ORDER BY 1"
    ).split()
    assert BATTLE in hits and hits == sorted(queries.search_ids(store.conn, "Tinzaouatene"))
    assert shell("SELECT count(*) FROM disputes WHERE disputed = 1") == str(
        len(queries.disputes(store.conn, disputed_only=True))
    )


def test_as_of_builds_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    seq = corrected_at(store.conn) - 1
    path = tmp_path / "then.db"
    exports.export_file(store.conn, "timeline", "sqlite", path, as_of=seq)
    with _open(path) as conn:
        titles = dict(conn.execute("SELECT event_id, title FROM timeline"))
        info = dict(conn.execute("SELECT key, value FROM export_info"))
        versions = conn.execute("SELECT max(from_seq) FROM event_versions").fetchone()[0]
    assert titles["ev:hostile"] == TITLE
    assert list(titles) == queries.timeline_ids(store.conn, None, seq)
    assert info["as_of_seq"] == str(seq) and versions <= seq


def test_filters_keep_only_their_events(store: Store, tmp_path: Path) -> None:
    flt = queries.TimelineFilter(tags=["battle"])
    path = tmp_path / "battle.db"
    exports.export_file(store.conn, "timeline", "sqlite", path, flt)
    kept = set(queries.timeline_ids(store.conn, flt))
    with _open(path) as conn:
        for table in ("events", "event_versions", "claim_versions", "history", "events_fts"):
            ids = {r[0] for r in conn.execute(f"SELECT DISTINCT event_id FROM {table}")}
            assert ids <= kept and ids, table
        assert {r[0] for r in conn.execute("SELECT event_id FROM timeline")} == kept
        links = conn.execute("SELECT event_id, target_id FROM event_links").fetchall()
    assert all(a in kept and b in kept for a, b in links)


def test_metadata_describes_every_table_view_and_column(exported: Path) -> None:
    meta = json.loads(exported.with_name("chronology.metadata.json").read_text("utf-8"))
    assert meta["title"] == "Mali"
    tables = meta["databases"]["chronology"]["tables"]
    with _open(exported) as conn:
        for name in _objects(conn):
            assert tables[name]["description"], name
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
            assert list(tables[name]["columns"]) == columns
            assert all(tables[name]["columns"].values()), name
    assert tables["timeline"]["fts_table"] == "events_fts"
    assert tables["events"]["fts_table"] == "events_fts"


def test_an_unwritable_target_leaves_nothing_behind(store: Store, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "x.db"
    with pytest.raises(exports.ExportError, match="no directory"):
        exports.export_file(store.conn, "timeline", "sqlite", missing)
    assert not missing.exists() and list(tmp_path.iterdir()) == []


# --- Datasette -------------------------------------------------------------------------------


SPELLINGS = ("Tin Zaouatine", "Tinzaouaten", "Tinzaouatene")


def _datasette(path: Path):
    meta = json.loads(path.with_name(path.stem + ".metadata.json").read_text("utf-8"))
    return datasette().Datasette([str(path)], metadata=meta)


def test_datasette_serving_the_file_finds_the_battle_under_each_spelling(exported: Path) -> None:
    metadata = exported.with_name("chronology.metadata.json")
    with serve_datasette(exported, metadata) as base:
        for spelling in SPELLINGS:
            for table in ("timeline", "events"):
                query = urllib.parse.urlencode({"_search": spelling, "_shape": "array"})
                hits = get_json(f"{base}chronology/{table}.json?{query}")
                assert BATTLE in {r["event_id"] for r in hits}, (table, spelling)
        disputes = get_json(f"{base}chronology/disputes.json?_shape=array&event_id={BATTLE}")
    figures = [r[k] for r in disputes for k in ("low", "high") if r[k] is not None]
    assert figures and all(isinstance(f, int) for f in figures)  # 3, not 3.0


def test_datasette_serves_the_timeline_and_searches_it(store: Store, exported: Path) -> None:
    ds = _datasette(exported)

    async def fetch(url: str):
        response = await ds.client.get(url)
        assert response.status_code == 200, response.text
        return response.json()

    rows = asyncio.run(fetch("/chronology/timeline.json?_shape=array&_size=max"))
    assert [r["event_id"] for r in rows] == queries.timeline_ids(store.conn)
    for spelling in SPELLINGS:
        hits = asyncio.run(fetch(f"/chronology/timeline.json?_shape=array&_search={spelling}"))
        assert BATTLE in {r["event_id"] for r in hits}
    alpha = asyncio.run(fetch("/chronology/timeline.json?_shape=array&_search=Alpha"))
    assert [r["event_id"] for r in alpha] == ["ev:hostile"]
    assert alpha[0]["actors"] == f"{ACTOR_NAME}; Beta"


def test_datasette_shows_the_descriptions(exported: Path) -> None:
    ds = _datasette(exported)

    async def page(url: str) -> str:
        response = await ds.client.get(url)
        assert response.status_code == 200
        return response.text

    html = asyncio.run(page("/chronology/timeline"))
    assert "Active events in chronological order" in html
    assert "The date in EDTF, as asserted" in html
    assert "<script>alert" not in asyncio.run(page("/chronology/timeline?_search=Alpha"))
