"""Helpers the test files share: comparing whole projections, building entries."""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chronicle import queries
from chronicle.cli import main
from chronicle.schema import COMPARABLE_TABLES
from chronicle.store import Store

_counter = itertools.count(1)


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every projection table's rows (sorted), plus the full-text documents and index.

    The documents are composed by a view from the rows above, so they alone cannot
    show an index that missed a document or kept a stale one: what the index holds,
    each word where it was found, is compared too.
    """
    out = {}
    for name in COMPARABLE_TABLES:
        rows = conn.execute(f"SELECT * FROM {name}").fetchall()
        out[name] = sorted(rows, key=repr)
    fts = conn.execute("SELECT event_id, title, summary, quotes, places, actors FROM events_fts")
    out["events_fts"] = sorted(fts.fetchall(), key=repr)
    conn.execute(
        "CREATE VIRTUAL TABLE temp.snapshot_words USING fts5vocab(main, events_fts, 'instance')"
    )
    try:
        words = conn.execute(
            "SELECT w.term, e.event_id, w.col, w.offset FROM temp.snapshot_words w "
            "LEFT JOIN events e ON e.rowid = w.doc"
        )
        out["events_fts_index"] = sorted(words.fetchall(), key=repr)
    finally:
        conn.execute("DROP TABLE temp.snapshot_words")
    return out


def public_view(conn: sqlite3.Connection, as_of: int | None = None) -> dict[str, Any]:
    """What a reader sees through the query API, now or as of a seq."""
    timeline = list(queries.timeline(conn, queries.TimelineFilter(include_retracted=True), as_of))
    details = {
        row["event_id"]: queries.show(conn, row["event_id"], as_of).__dict__ | {"as_of": None}
        for row in timeline
    }
    return {
        "timeline": timeline,
        "details": details,
        "disputes": queries.disputes(conn, as_of),
        "claims": queries.claims(conn, None, as_of),
        "density": queries.density(conn, "month", as_of),
    }


def entry(entry_type: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": f"t-{next(_counter)}", "type": entry_type, "author": "tester", "data": data,
            **extra}  # fmt: skip


def source(source_id: str = "src:a") -> dict[str, Any]:
    return entry("source.registered", {"source_id": source_id, "title": source_id, "kind": "news"})


def place(entity_id: str, name: str, *aliases: str) -> dict[str, Any]:
    data = {"entity_id": entity_id, "kind": "place", "name": name, "aliases": list(aliases)}
    return entry("entity.registered", data)


def actor(entity_id: str, name: str, *aliases: str) -> dict[str, Any]:
    data = {"entity_id": entity_id, "kind": "actor", "name": name, "aliases": list(aliases)}
    return entry("entity.registered", data)


def event(event_id: str, when: str, title: str | None = None, **fields: Any) -> dict[str, Any]:
    data = {
        "event_id": event_id, "title": title or event_id, "when": when, "actors": [],
        "tags": [], "summary": "", "citations": [{"source": "src:a"}], **fields,
    }  # fmt: skip
    return entry("event.asserted", data)


def log_rows(conn: Any, table: str = "log") -> list[tuple]:
    """Every row of a log (a store's, or a team log's ``chronicle.log``), in seq order."""
    from chronicle.schema import LOG_COLUMN_LIST

    return [tuple(r) for r in conn.execute(f"SELECT {LOG_COLUMN_LIST} FROM {table} ORDER BY seq")]


def server_log_rows(pg_server: Any, url: str) -> list[tuple]:
    """Every row of the team log at ``url``, read as the server's superuser."""
    from psycopg.conninfo import conninfo_to_dict

    with pg_server.admin(conninfo_to_dict(url)["dbname"]) as conn:
        return log_rows(conn, "chronicle.log")


@contextlib.contextmanager
def two_replicas(folder: Path, url: str, entries: list[dict[str, Any]]) -> Iterator[tuple]:
    """Two open replicas of the team log at ``url``, shared by the first after ``entries``."""
    from chronicle.replica import clone, share

    first, second = folder / "first.db", folder / "second.db"
    with Store.open(first, create=True) as store:
        store.append(entries)
        share(store, url)
    clone(second, url)
    with Store.open(first) as one, Store.open(second) as other:
        yield one, other


def round_trips(store: Store, tmp_path: Path, append: Any) -> int:
    """How many times the client waited on the server while ``append`` ran."""
    trace = tmp_path / "trace.txt"
    from psycopg import pq

    conn = store._replica().log.conn
    with trace.open("w") as out:
        conn.pgconn.trace(out.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            append()
        finally:
            conn.pgconn.untrace()
    sent = [line.split("\t") for line in trace.read_text().splitlines()]
    return len([f for f in sent if f[0] == "F" and f[2] in ("Sync", "Query")])


def process_ended(pid: int) -> bool:
    """Whether process ``pid`` has ended: gone, or a zombie nobody has reaped yet (in a
    container the first process may never reap an orphan's)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(") ")[2].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def generated_store(path: Path, entries: int, seed: int = 1) -> Path:
    """A store imported from the benchmarks' synthetic log: every entry type, at volume."""
    benchmarks = str(Path(__file__).resolve().parents[1] / "benchmarks")
    sys.path.insert(0, benchmarks)
    try:
        import generate
    finally:
        sys.path.remove(benchmarks)
    log = path.with_suffix(".ndjson")
    generate.write_file(log, entries, seed)
    with Store.open(path, create=True) as store, log.open("rb") as handle:
        store.import_lines(handle, name=log.name)
    return path


def main_on(capsys: Any, store: Path, *args: str, code: int = 0) -> tuple[str, str]:
    """The CLI's ``main`` on ``store``, in this process: output and errors, exit code checked."""
    with pytest.raises(SystemExit) as done:
        main(["--store", str(store), *args])
        raise SystemExit(0)
    out, err = capsys.readouterr()
    assert done.value.code == code, err
    return out, err
