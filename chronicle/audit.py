"""Whether the views people read are what the log says.

The projections are a pure function of the log, so they can be checked, and they
must be: anyone who can write the file can change a title in ``events`` without
touching the log, and every reader, the app and Datasette included, would show
it. Two checks, one cost each:

* ``quick_check`` reads no row of a projection. It finds projections that are
  behind or ahead of the log, made by another version, or whose tables, indexes,
  views or triggers are not the ones chronicle makes (a view redefined to show
  other rows, a trigger that rewrites what the projector writes). It is what
  ``verify`` and the app's open run.
* ``compare_with_log`` replays the whole log into a scratch file and compares
  every projection table with the replay, in key order, then the full-text index
  term by term, naming the first table and key that differ. It costs about a
  rebuild, and is ``verify --projections``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from urllib.parse import quote

from chronicle.errors import StoreError
from chronicle.projector import replay
from chronicle.schema import (
    COMPARABLE_TABLES,
    MEMBER_VIEWS,
    PROJECTION_TABLES,
    PROJECTION_VERSION,
    definitions,
    statements,
)
from chronicle.store import MMAP_BYTES, collector_paused

SCRATCH_CACHE_KIB = 64 * 1024
CHUNK_ROWS = 4096  # rows compared at a time: one C-level list comparison per chunk

# What a row of each kind is about, by the column that names it: the key a
# difference is reported at.
SUBJECT_COLUMNS = {
    "event_id": "event",
    "source_id": "source",
    "entity_id": "entity",
    "claim_id": "claim",
}

# How a subject is named in a message, from the replayed (the log's) projection.
_NAMES = {
    "event": "SELECT title FROM {db}.events WHERE event_id = ?",
    "source": "SELECT title FROM {db}.sources WHERE source_id = ?",
    "entity": "SELECT name FROM {db}.entities WHERE entity_id = ?",
    "claim": "SELECT event_id FROM {db}.claim_versions WHERE claim_id = ?",
}


@dataclass(frozen=True)
class Disagreement:
    """Where the projections part from the log, in words a reader can act on."""

    table: str
    where: str  # "at event ev:… (title)", "is stale: …"

    @property
    def words(self) -> str:
        return f"projection {self.table} {self.where}"

    def __str__(self) -> str:
        return f"{self.words}; run chronicle rebuild"


# --- the cheap check ------------------------------------------------------------------------


def quick_check(conn: sqlite3.Connection, db: str = "main") -> Disagreement | None:
    """Freshness and definitions of the projections, read from their metadata alone.

    ``db`` is the schema the store is in on ``conn`` (an attached store for the full check).
    """
    meta = _projection_meta(conn, db)
    if meta is None:
        return Disagreement("projection_meta", "is missing: the store has no views")
    version = meta.get("version", 0)
    if version != PROJECTION_VERSION:
        return Disagreement(
            "projection_meta",
            f"was made by another chronicle (version {version}, this one makes "
            f"{PROJECTION_VERSION})",
        )
    head = conn.execute(f"SELECT coalesce(max(seq), 0) FROM {db}.log").fetchone()[0]
    checkpoint = meta.get("checkpoint", 0)
    if checkpoint != head:
        return Disagreement(
            "projection_meta",
            f"is stale: the views hold the log up to seq {checkpoint}, the log goes to {head}",
        )
    return _definition_problem(conn, db)


def _projection_meta(conn: sqlite3.Connection, db: str) -> dict[str, int] | None:
    try:
        return dict(conn.execute(f"SELECT key, value FROM {db}.projection_meta").fetchall())
    except sqlite3.OperationalError:
        return None


def _definition_problem(conn: sqlite3.Connection, db: str) -> Disagreement | None:
    """A projection object missing or not as chronicle makes it, or a trigger of someone else's."""
    present = {
        (kind, name): (table, sql)
        for kind, name, table, sql in conn.execute(
            f"SELECT type, name, tbl_name, sql FROM {db}.sqlite_master WHERE sql IS NOT NULL"
        )
    }
    ours = definitions("projections")
    for (kind, name), sql in ours.items():
        found = present.get((kind, name))
        if found is None:
            return Disagreement(name, f"is missing ({kind})")
        if found[1] != sql:
            return Disagreement(name, f"is not chronicle's: its definition ({kind}) was changed")
    for (kind, name), (table, _) in sorted(present.items()):
        if kind == "trigger" and table != "log" and (kind, name) not in ours:
            return Disagreement(table, f"has a trigger chronicle did not make ({name})")
    return None


# --- the full check -----------------------------------------------------------------------


def compare_with_log(path: Path, scratch_dir: str | None = None) -> Disagreement | None:
    """Replay the log of the store at ``path`` and compare every projection with it.

    The replay goes into a scratch file (in ``scratch_dir``, else the system's
    temporary folder: about as large as the store's projections), written without
    a journal or syncs since it is thrown away. The store is attached read-only,
    and the replay and the comparison run in one read transaction: a writer
    appending meanwhile is not seen half-way.
    """
    try:
        with _scratch(path, scratch_dir) as conn:
            conn.execute("BEGIN")
            try:
                found = quick_check(conn, "live")
                if found is None:
                    # The views the full-text index reads its documents through.
                    for statement in statements(PROJECTION_TABLES + MEMBER_VIEWS):
                        conn.execute(statement)
                    with collector_paused():
                        replay(conn, "live.log")
                    found = _first_difference(conn)
            finally:
                conn.execute("ROLLBACK")
    except (sqlite3.DatabaseError, OSError) as err:
        where = scratch_dir or tempfile.gettempdir()
        raise StoreError(
            f"cannot replay the log to check the views (scratch in {where}): {err}"
        ) from None
    return found


@contextlib.contextmanager
def _scratch(live: Path, folder: str | None) -> Iterator[sqlite3.Connection]:
    """A throw-away database with the store at ``live`` attached read-only as ``live``."""
    with tempfile.TemporaryDirectory(prefix="chronicle-check-", dir=folder) as scratch:
        replay_uri = f"file:{quote(str(Path(scratch) / 'replay.db'))}"
        conn = sqlite3.connect(replay_uri, isolation_level=None, uri=True)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            live_uri = f"file:{quote(str(live.resolve()))}?mode=ro"
            conn.execute("ATTACH DATABASE ? AS live", (live_uri,))
            # Both files are read in key order, the store's tables through their indexes.
            for db in ("main", "live"):
                conn.execute(f"PRAGMA {db}.cache_size = {-SCRATCH_CACHE_KIB}")
                conn.execute(f"PRAGMA {db}.mmap_size = {MMAP_BYTES}")
            yield conn
        finally:
            conn.close()


def _first_difference(conn: sqlite3.Connection) -> Disagreement | None:
    fresh = conn.execute(
        "SELECT value FROM live.projection_meta WHERE key = 'order_fresh'"
    ).fetchone()
    # The order is renumbered before use when marked stale; when marked fresh the app
    # pages by it, so it must be right.
    # The full-text documents are a view over these tables; the index itself is
    # compared term by term below.
    tables = [*COMPARABLE_TABLES, *(["timeline_order"] if fresh and fresh[0] else [])]
    for table in tables:
        found = _compare_table(conn, table)
        if found is not None:
            return found
    return _compare_search_index(conn)


def _compare_table(conn: sqlite3.Connection, table: str) -> Disagreement | None:
    columns, order, subject = _layout(conn, table)
    select = f"SELECT {', '.join(columns)} FROM {{db}}.{table} ORDER BY {', '.join(order)}"
    row = _first_unequal_row(
        conn, select.format(db="live"), select.format(db="main"), [columns.index(c) for c in order]
    )
    if row is None:
        return None
    return _at(conn, table, subject, row[columns.index(subject)] if subject else None)


def _compare_search_index(conn: sqlite3.Connection) -> Disagreement | None:
    """The words the full-text index holds: documents alone can be left intact.

    An index whose lists were edited (through its shadow tables) finds an event for
    words it does not hold, or hides it from words it does. FTS5's vocabulary table
    gives, per term and column, how many documents hold it and how often: read for
    both files in term order, a C-level scan (listing every occurrence instead cost
    as much as the replay). Where a term differs, its occurrences name the event.
    An edit that moves a word from one document to another of the same column,
    keeping every count, is not seen.
    """
    for db in ("live", "main"):
        for kind in ("col", "instance"):
            conn.execute(
                f"CREATE VIRTUAL TABLE temp.{db}_{kind} USING fts5vocab({db}, events_fts, '{kind}')"
            )
    try:
        select = "SELECT term, col, doc, cnt FROM temp.{db}_col"
        row = _first_unequal_row(conn, select.format(db="live"), select.format(db="main"), [0, 1])
        doc = None if row is None else _document_with(conn, row[0])
    finally:
        for db in ("live", "main"):
            for kind in ("col", "instance"):
                conn.execute(f"DROP TABLE temp.{db}_{kind}")
    if row is None:
        return None
    event = conn.execute("SELECT event_id FROM main.events WHERE rowid = ?", (doc,)).fetchone()
    key = event[0] if event else f"key {doc}"
    return _at(conn, "events_fts", "event_id", key, f" in its word index ({row[0]!r})")


def _document_with(conn: sqlite3.Connection, term: str) -> int | None:
    """The first document whose occurrences of ``term`` differ between the two indexes."""
    where = "SELECT doc, col, offset FROM temp.{db}_instance WHERE term = ?"
    live = set(conn.execute(where.format(db="live"), (term,)).fetchall())
    log = set(conn.execute(where.format(db="main"), (term,)).fetchall())
    return min((doc for doc, _, _ in live ^ log), default=None)


def _first_unequal_row(
    conn: sqlite3.Connection, live_sql: str, log_sql: str, key: Sequence[int]
) -> tuple | None:
    """Read two ordered results side by side; the row that sorts first where they part."""
    theirs, ours = conn.execute(live_sql), conn.execute(log_sql)
    try:
        # A side that ends first yields empty chunks: the other's next row is the difference.
        none: list[tuple] = []
        for live_rows, log_rows in zip_longest(_chunks(theirs), _chunks(ours), fillvalue=none):
            if live_rows != log_rows:
                return _first_unequal(live_rows, log_rows, key)
    finally:
        theirs.close()
        ours.close()
    return None


def _layout(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[str], str | None]:
    """The columns read, the order they are compared in, and the column naming the subject.

    A table's primary key orders it; one without a key is ordered by every column,
    as a multiset. ``events`` keeps its rowid (the full-text index's key).
    """
    info = conn.execute(f"PRAGMA main.table_info({table})").fetchall()
    names = [row[1] for row in info]
    key = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    columns = ["rowid", *names] if table == "events" else names
    subject = next((name for name in names if name in SUBJECT_COLUMNS), None)
    return columns, key or names, subject


def _chunks(cursor: sqlite3.Cursor) -> Iterator[list[tuple]]:
    while rows := cursor.fetchmany(CHUNK_ROWS):
        yield rows


def _first_unequal(live: list[tuple], log: list[tuple], key: Sequence[int]) -> tuple:
    """The row that sorts first where two ordered chunks part: the one to report."""
    for theirs, ours in zip(live, log, strict=False):
        if theirs != ours:
            return min(theirs, ours, key=lambda row: [_sqlite_order(row[i]) for i in key])
    return live[len(log)] if len(live) > len(log) else log[len(live)]


def _sqlite_order(value: object) -> tuple[int, object]:
    """SQLite's order of values across types: NULL, numbers, text, blobs."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, value) if isinstance(value, str) else (3, value)


def _at(
    conn: sqlite3.Connection, table: str, column: str | None, key: object, part: str = ""
) -> Disagreement:
    if column is None or key is None:
        return Disagreement(table, f"differs from the log{part}")
    kind = SUBJECT_COLUMNS[column]
    name = None
    for db in ("main", "live"):  # the log's word first; a row the log never made, then
        row = conn.execute(_NAMES[kind].format(db=db), (key,)).fetchone()
        if row is not None:
            name = row[0]
            break
    label = f" ({name})" if name is not None else ""
    return Disagreement(table, f"differs from the log{part} at {kind} {key}{label}")
