"""What every recorder of the log must do: the local SQLite store and the PostgreSQL team log.

Each test runs once per recorder. For the team log the store under test is a replica:
its appends land on the server first, and the assertions read the system of record
itself (the server's ``chronicle.log``) as well as the replica.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from support import entry, event, log_rows, snapshot, source

from chronicle.errors import ConflictError, EntryError
from chronicle.schema import LOG_COLUMN_LIST
from chronicle.store import Store


@dataclass
class Recorder:
    """A store, and direct SQL access to the log that is its system of record."""

    store: Store
    log: str  # the log table's name in that database
    connection: Any
    refused: tuple[type[Exception], ...]  # what a statement the log refuses raises
    statements: tuple[str, ...]  # every kind of statement that would change history

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.connection.execute(sql.format(log=self.log)).fetchall()]

    def run(self, sql: str) -> None:
        self.connection.execute(sql.format(log=self.log))


@pytest.fixture(params=["sqlite", "postgresql"])
def recorder(request: pytest.FixtureRequest, store: Store) -> Iterator[Recorder]:
    if request.param == "sqlite":
        yield Recorder(
            store, "log", store.conn, (sqlite3.IntegrityError,),
            ("UPDATE log SET author = 'x'", "DELETE FROM log"),
        )  # fmt: skip
        return
    import psycopg

    from chronicle.replica import share

    server = request.getfixturevalue("pg_server")
    database = server.new_database()
    share(store, server.url(database))
    with server.admin(database) as admin:
        yield Recorder(
            store, "chronicle.log", admin, (psycopg.DatabaseError,),
            ("UPDATE {log} SET author = 'x'", "DELETE FROM {log}", "TRUNCATE {log}"),
        )  # fmt: skip


def _same_as_replica(recorder: Recorder) -> None:
    """The system of record holds exactly the rows of the store's log."""
    assert log_rows(recorder.connection, recorder.log) == log_rows(recorder.store.conn)


def test_seq_is_gapless_and_versions_count_per_subject(recorder: Recorder) -> None:
    store = recorder.store
    store.append([source(), event("ev:a", "2024")])
    store.append([entry("event.corrected", {"event_id": "ev:a", "changes": {"title": "A2"},
                                            "reason": "typo"})])  # fmt: skip
    rows = recorder.rows("SELECT seq, subject, subject_version FROM {log} ORDER BY seq")
    assert rows == [(1, "src:a", 1), (2, "ev:a", 1), (3, "ev:a", 2)]
    _same_as_replica(recorder)
    assert store.verify().ok


def test_reappending_an_id_is_a_no_op(recorder: Recorder) -> None:
    batch = [source(), event("ev:a", "2024")]
    first = recorder.store.append(batch)
    again = recorder.store.append(batch)
    assert (len(first.added), len(again.added), again.skipped) == (2, 0, 2)
    assert recorder.rows("SELECT count(*) FROM {log}") == [(2,)]


def test_same_id_with_other_content_is_refused(recorder: Recorder) -> None:
    item = source()
    recorder.store.append([item])
    changed = {**item, "data": {**item["data"], "title": "other"}}
    with pytest.raises(EntryError, match="already in the log with other content"):
        recorder.store.append([changed])


def test_a_failing_entry_leaves_the_whole_batch_unwritten(recorder: Recorder) -> None:
    store = recorder.store
    store.append([source()])
    before = snapshot(store.conn), store.head()
    with pytest.raises(EntryError, match="unknown entity 'place:nowhere'"):
        store.append([event("ev:a", "2024"), event("ev:b", "2024", place="place:nowhere")])
    assert (snapshot(store.conn), store.head()) == before
    _same_as_replica(recorder)


def test_stale_expected_version_is_refused(recorder: Recorder) -> None:
    store = recorder.store
    store.append([source(), event("ev:a", "2024")])
    fix = entry("event.corrected", {"event_id": "ev:a", "changes": {"title": "B"}, "reason": "r"})
    store.append([fix], expect={"ev:a": 1})
    late = entry("event.corrected", {"event_id": "ev:a", "changes": {"title": "C"}, "reason": "r"})
    with pytest.raises(ConflictError, match="at version 2, not 1"):
        store.append([late], expect={"ev:a": 1})
    assert store.conn.execute("SELECT title FROM events").fetchone() == ("B",)
    _same_as_replica(recorder)


def test_the_log_refuses_every_change_to_history(recorder: Recorder) -> None:
    recorder.store.append([source()])
    for sql in recorder.statements:
        with pytest.raises(recorder.refused, match="append-only"):
            recorder.run(sql)
    _same_as_replica(recorder)


def test_a_second_entry_at_one_subject_version_is_refused(recorder: Recorder) -> None:
    """UNIQUE(subject, subject_version) and UNIQUE(id) hold in the recorder itself."""
    recorder.store.append([source(), event("ev:a", "2024")])
    copy = (
        f"INSERT INTO {{log}} ({LOG_COLUMN_LIST}) SELECT seq + 10, {{id}}, type, subject, "
        "{version}, recorded_at, author, schema, data, prev_hash, hash FROM {log} WHERE seq = 2"
    )
    same_version = copy.format(log="{log}", id="id || 'x'", version="subject_version")
    same_id = copy.format(log="{log}", id="id", version="subject_version + 1")
    for sql in (same_version, same_id):
        with pytest.raises(Exception, match=r"(?i)unique|duplicate|chain"):
            recorder.run(sql)
    assert recorder.rows("SELECT count(*) FROM {log}") == [(2,)]


def test_times_never_go_backwards_along_seq(recorder: Recorder) -> None:
    for number in range(5):
        recorder.store.append([source(f"src:{number}")])
    times = [r[0] for r in recorder.rows("SELECT recorded_at FROM {log} ORDER BY seq")]
    assert times == sorted(times)
