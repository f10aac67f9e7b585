"""The views are the log's: ``verify`` finds any projection row that the log does not say.

A store is seeded once; each test edits a copy of it behind chronicle's back, as
anyone who can write the file can (``sqlite3 S "update events …"``), and checks that
``verify --projections`` names the first table and key that differ, that plain
``verify`` catches what its cheap check can see (stale views, a replaced view or
index, a foreign trigger), and that ``rebuild`` repairs it. ``rebuild`` itself walks
the chain first and refuses a broken one.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from fixtures.rel_support import run_cli
from support import snapshot

from chronicle import audit, projector
from chronicle.cli import load_seeds
from chronicle.errors import StoreError
from chronicle.schema import COMPARABLE_TABLES
from chronicle.store import Store

# Every table a reader sees through a view or reads directly, with the full-text index
# and the paging order.
PUBLIC_TABLES = (*COMPARABLE_TABLES, "events_fts", "timeline_order")

# How the last row of each table is found: by rowid, but for tables without one.
ROW_KEYS = {"event_touches": "event_id || seq", "event_actor_keys": "entity_id || event_id"}


def edited_columns(path: Path, table: str) -> list[str]:
    """The columns a reader sees the stored value of: the full-text index keeps no event id
    (UNINDEXED, read back through its documents' view), so there is none to edit there."""
    return [c for c in columns(path, table) if (table, c) != ("events_fts", "event_id")]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    with Store.open(path, create=True) as store:
        load_seeds(store)
        store.ensure_order()
    return path


@pytest.fixture
def path(seeded: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store.db"
    shutil.copy(seeded, copy)
    return copy


def edit(path: Path, *statements: str, args: tuple = ()) -> None:
    """Statements run by a plain SQLite client, as a user with write access would."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement, args)
        conn.commit()


def columns(seeded: Path, table: str) -> list[str]:
    with contextlib.closing(sqlite3.connect(seeded)) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def event_at(path: Path, rowid: int) -> tuple[str, str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        query = "SELECT event_id, title FROM events WHERE rowid = ?"
        return conn.execute(query, (rowid,)).fetchone()


def verify(path: Path, *flags: str):
    return run_cli(path, "verify", *flags)


def assert_caught(path: Path, table: str, where: str = "") -> str:
    outcome = verify(path, "--projections")
    assert outcome.code == 1, outcome
    line = outcome.err.strip()
    # The full-text index keeps only words (its documents are a view): it names the word.
    words = r" in its word index \('[^']*'\)" if table == "events_fts" else ""
    assert re.match(
        f"error: projection {table} differs from the log{words} at {re.escape(where)}", line
    ), line
    assert line.endswith("; run chronicle rebuild") and "\n" not in line
    return line


def assert_repaired(path: Path) -> None:
    assert run_cli(path, "rebuild").code == 0
    outcome = verify(path, "--projections")
    assert outcome.code == 0, outcome
    assert outcome.err.strip().endswith("every view matches the log")


def test_a_fresh_store_passes_both_checks(path: Path) -> None:
    assert verify(path).code == 0
    assert verify(path, "--projections").code == 0


def test_the_forged_title_of_the_report(path: Path) -> None:
    """Exactly the edit that passed before: one title in ``events``, the log untouched."""
    event_id, title = event_at(path, 1)
    edit(path, "update events set title='FORGED' where rowid=1")
    assert run_cli(path, "timeline", "--format", "csv").out.count("FORGED") == 1
    line = assert_caught(path, "events")
    assert line == (
        f"error: projection events differs from the log at event {event_id} ({title}); "
        "run chronicle rebuild"
    )
    assert_repaired(path)
    assert "FORGED" not in run_cli(path, "timeline", "--format", "csv").out


def _changed(column: str) -> str:
    """A different value of the same kind: text gains a word, a number grows, NULL gets text."""
    return (
        f"CASE WHEN {column} IS NULL THEN 'forged' WHEN typeof({column}) = 'text' "
        f"THEN {column} || ' forged' ELSE {column} + 1 END"
    )


def test_an_edited_cell_in_any_column_of_any_public_table(seeded: Path, tmp_path: Path) -> None:
    """Every column of every table: the check covers the whole of what readers see."""
    cells = [(table, column) for table in PUBLIC_TABLES for column in edited_columns(seeded, table)]
    for n, (table, column) in enumerate(cells):
        copy = tmp_path / f"{n}.db"
        shutil.copy(seeded, copy)
        key = ROW_KEYS.get(table, "rowid")
        edit(
            copy,
            f"UPDATE {table} SET {column} = {_changed(column)} "
            f"WHERE {key} = (SELECT max({key}) FROM {table})",
        )
        found = audit.compare_with_log(copy)
        assert found is not None, (table, column)
        assert found.table == table, (table, column, str(found))
        assert " at " in found.where, (table, column, str(found))


@pytest.mark.parametrize("table", PUBLIC_TABLES)
def test_an_edited_cell_is_caught_through_the_command_and_repaired(path: Path, table: str) -> None:
    column = next(
        (c for c in edited_columns(path, table) if c not in audit.SUBJECT_COLUMNS),
        "entity_id",  # a table of keys alone: the entity a row names
    )
    key = ROW_KEYS.get(table, "rowid")
    edit(path, f"UPDATE {table} SET {column} = {_changed(column)} "
               f"WHERE {key} = (SELECT max({key}) FROM {table})")  # fmt: skip
    assert_caught(path, table)
    assert_repaired(path)


def test_a_deleted_row(path: Path) -> None:
    """An actor's key gone: the actor filter no longer finds the event."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        key = conn.execute(
            "SELECT e.rowid FROM event_actor_keys a JOIN events e USING (event_id) "
            "ORDER BY a.event_id DESC LIMIT 1"
        ).fetchone()[0]
    event_id, title = event_at(path, key)
    edit(path, "DELETE FROM event_actor_keys WHERE event_id = ?", args=(event_id,))
    line = assert_caught(path, "event_actor_keys", f"event {event_id} ({title})")
    assert line.endswith(f"({title}); run chronicle rebuild")
    assert_repaired(path)


def test_an_inserted_row_about_an_event_the_log_never_held(path: Path) -> None:
    edit(path, "INSERT INTO event_links VALUES ('ev:forged', 'follows', 'ev:x', 1)")
    line = assert_caught(path, "event_links", "event ev:forged")
    assert "(" not in line.split("ev:forged")[1].split(";")[0]  # no title: the log has none
    assert_repaired(path)


def test_an_inserted_copy_of_an_existing_row(path: Path) -> None:
    """A duplicate changes no set, only a multiset: compared in order, it shows."""
    edit(path, "INSERT INTO event_links SELECT * FROM event_links LIMIT 1")
    assert_caught(path, "event_links", "event ")
    assert_repaired(path)


def test_a_row_past_the_last_full_chunk(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are compared a chunk at a time: one extra row beyond a full chunk still shows."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        sources = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
    monkeypatch.setattr(audit, "CHUNK_ROWS", sources)
    edit(path, "INSERT INTO sources (source_id, title, kind, registered_seq) "
               "VALUES ('src:zzz', 'Forged', 'news', 1)")  # fmt: skip
    found = audit.compare_with_log(path)
    assert found is not None and str(found) == (
        "projection sources differs from the log at source src:zzz (Forged); run chronicle rebuild"
    )


def test_an_inserted_event(path: Path) -> None:
    edit(path, "CREATE TEMP TABLE copied AS SELECT * FROM events LIMIT 1",
         "UPDATE copied SET event_id = 'ev:zzz-forged'",
         "INSERT INTO events SELECT * FROM copied")  # fmt: skip
    assert_caught(path, "events", "event ev:zzz-forged")


def test_an_edited_full_text_row(path: Path) -> None:
    """Through the virtual table, as a client would: the search index now finds a forgery."""
    event_id, title = event_at(path, 2)
    edit(path, "UPDATE events_fts SET summary = 'forged words' WHERE rowid = 2")
    assert assert_caught(path, "events_fts", f"event {event_id} ({title})")
    assert_repaired(path)


def test_an_index_edited_under_intact_documents(path: Path) -> None:
    """Words slipped into the search index, whose documents are a view of intact rows:
    search finds a forgery that no table shows."""
    event_id, title = event_at(path, 2)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        summary = conn.execute("SELECT summary FROM events_fts WHERE rowid = 2").fetchone()[0]
    edit(path, "UPDATE events_fts SET summary = 'forged words' WHERE rowid = 2")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert (
            conn.execute("SELECT summary FROM events_fts WHERE rowid = 2").fetchone()[0] == summary
        )
        hits = conn.execute("SELECT rowid FROM events_fts WHERE events_fts MATCH 'forged'")
        assert hits.fetchall() == [(2,)]
    outcome = verify(path, "--projections")
    assert outcome.code == 1
    line = outcome.err.strip()
    # The first term that differs: one of the summary's own words, now missing from the index.
    assert line.startswith("error: projection events_fts differs from the log in its word index (")
    assert line.endswith(f") at event {event_id} ({title}); run chronicle rebuild")
    assert_repaired(path)


def test_a_deleted_full_text_row(path: Path) -> None:
    edit(path, "DELETE FROM events_fts WHERE rowid = 3")
    assert_caught(path, "events_fts", "event ")


# --- the cheap check: what plain verify sees ---------------------------------------------------


def assert_verify_says(path: Path, line: str) -> None:
    outcome = verify(path)
    assert outcome.code == 1, outcome
    assert outcome.err.strip() == f"error: {line}"


def test_stale_views_are_caught_by_plain_verify(path: Path) -> None:
    edit(path, "UPDATE projection_meta SET value = value - 2 WHERE key = 'checkpoint'")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        head = conn.execute("SELECT max(seq) FROM log").fetchone()[0]
    assert_verify_says(
        path,
        f"projection projection_meta is stale: the views hold the log up to seq {head - 2}, "
        f"the log goes to {head}; run chronicle rebuild",
    )
    assert_repaired(path)


def test_a_redefined_view_is_caught_by_plain_verify(path: Path) -> None:
    edit(path, "DROP VIEW timeline",
         "CREATE VIEW timeline AS SELECT event_id, 'FORGED' AS title FROM events")  # fmt: skip
    assert_verify_says(
        path,
        "projection timeline is not chronicle's: its definition (view) was changed; "
        "run chronicle rebuild",
    )
    assert_repaired(path)


def test_a_dropped_index_is_caught_by_plain_verify(path: Path) -> None:
    edit(path, "DROP INDEX events_order")
    assert_verify_says(path, "projection events_order is missing (index); run chronicle rebuild")
    assert_repaired(path)


def test_a_trigger_on_a_projection_is_caught_by_plain_verify(path: Path) -> None:
    """A trigger could rewrite every title the projector writes, the log untouched."""
    forge = "UPDATE events SET title = 'FORGED' WHERE event_id = new.event_id"
    edit(path, f"CREATE TRIGGER forge AFTER UPDATE ON events BEGIN {forge}; END")
    assert_verify_says(
        path,
        "projection events has a trigger chronicle did not make (forge); run chronicle rebuild",
    )
    assert_repaired(path)


def test_the_quick_check_reads_no_projection_row(path: Path) -> None:
    """What it cannot see, the full check does: a cell edit passes the cheap check alone."""
    edit(path, "update events set title='FORGED' where rowid=1")
    assert verify(path).code == 0
    assert verify(path, "--projections").code == 1


# --- rebuild walks the chain first ----------------------------------------------------------


def break_chain(path: Path, which: str = "min") -> int:
    """Edit the first event's title (``which="max"``: the last's) in the log itself, past its
    guard: its hash no longer holds."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        seq = conn.execute(
            f"SELECT {which}(seq) FROM log WHERE type = 'event.asserted'"
        ).fetchone()[0]
    edit(path, "DROP TRIGGER log_no_update",
         "UPDATE log SET data = replace(data, '\"title\":\"', '\"title\":\"FORGED ') "
         f"WHERE seq = {seq}")  # fmt: skip
    return seq


def test_rebuild_refuses_a_broken_chain(path: Path) -> None:
    seq = break_chain(path)
    before = _projections(path)
    outcome = run_cli(path, "rebuild")
    assert outcome.code == 1
    assert outcome.err.strip() == (
        f"error: the log's chain is broken at seq {seq} (hash does not match the entry's content): "
        "the views were not rebuilt from it; see chronicle verify, or rebuild anyway with "
        "chronicle rebuild --force"
    )
    assert _projections(path) == before


def test_a_break_found_once_earlier_chunks_are_replayed_still_leaves_the_views(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain is walked as the rebuild reads the log, a chunk at a time, each before it
    is applied: by the time the break is found the chunks before it are in the new views,
    and the refusal must take them out again, the old views back as they were."""
    monkeypatch.setattr(projector, "REPLAY_CHUNK", 3)
    seq = break_chain(path, "max")
    assert seq > 3 * 4  # several chunks come before it
    before = _projections(path)
    refused = pytest.raises(StoreError, match=rf"^the log's chain is broken at seq {seq} \(")
    with Store.open(path) as store, refused:
        store.rebuild()
    assert _projections(path) == before


def test_rebuild_force_rebuilds_from_a_broken_chain(path: Path) -> None:
    break_chain(path)
    assert run_cli(path, "rebuild", "--force").code == 0
    with contextlib.closing(sqlite3.connect(path)) as conn:
        forged = conn.execute("SELECT count(*) FROM events WHERE title LIKE 'FORGED %'")
        assert forged.fetchone()[0] >= 1


def test_the_automatic_rebuild_on_open_refuses_a_broken_chain(path: Path) -> None:
    """Views from another version are rebuilt on open: never from a tampered log."""
    seq = break_chain(path)
    edit(path, "UPDATE projection_meta SET value = 1 WHERE key = 'version'")
    outcome = run_cli(path, "correct", "ev:2012-tuareg-uprising", "--set", "title=New",
                      "--reason", "a test")  # fmt: skip
    assert outcome.code == 1
    assert outcome.err.startswith(f"error: the log's chain is broken at seq {seq} ")
    assert run_cli(path, "rebuild", "--force").code == 0


def test_dropped_views_are_not_made_again_from_a_broken_chain(path: Path) -> None:
    break_chain(path)
    edit(path, "DROP TABLE projection_meta")
    assert run_cli(path, "seed").err.startswith("error: the log's chain is broken at seq ")
    assert run_cli(path, "rebuild", "--force").code == 0
    assert verify(path, "--projections").code == 1  # the chain is still broken: verify says so


def _projections(path: Path) -> dict:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return snapshot(conn)


def test_a_scratch_folder_that_fails_is_one_line(path: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"^cannot replay the log to check the views \(scratch"):
        audit.compare_with_log(path, scratch_dir=str(tmp_path / "gone"))
