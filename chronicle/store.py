"""The embedded store: one SQLite file holding the log and its projections.

An append is one ``BEGIN IMMEDIATE`` transaction: validate, check references,
number, hash, insert into the log, project, checkpoint, commit. Either all of a
batch lands or none of it does, and the projections are never behind the log.
Durability is ``synchronous=FULL`` in WAL mode unless CHRONICLE_SYNCHRONOUS says
otherwise (NORMAL trades the last transactions on power loss for speed).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sqlite3
import stat
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chronicle import interrupts
from chronicle.chain import GENESIS, row_hash
from chronicle.errors import ChronicleError, ConflictError, StoreError
from chronicle.projector import order_is_fresh, rebuild_order, replay
from chronicle.schema import (
    LOG,
    LOG_COLUMNS,
    PROJECTION_OBJECTS,
    PROJECTION_TABLES,
    PROJECTION_VERSION,
    VIEWS,
    definitions,
    statements,
)

# The intake and the appender, and through them pydantic and the payloads' shapes, are
# imported by the methods that write: a read never uses them, and importing them was
# about 110 ms of the start-up of every command.
if TYPE_CHECKING:
    from chronicle.intake import AppendResult, PendingEntry
    from chronicle.replica import Replica

STORE_FORMAT = "1"
HEAD_KEY = "head"  # store_meta key: "seq:hash" of the last entry written
UPSTREAM_KEY = "upstream"  # store_meta key: the team log's URL, in a replica
LOG_GUARDS = ("log_no_delete", "log_no_update")
BUSY_TIMEOUT_S = 30.0
WRITER_CACHE_KIB = 64 * 1024
WAL_CHECKPOINT_PAGES = 10_000
CHECKPOINT_QUIET_S = 0.1
MMAP_BYTES = 256 * 1024 * 1024
# Imports at least this large, and rebuilds of stores this large, go through a
# rollback journal (Store._journal_for): about 55,000 entries of the synthetic log.
LARGE_WRITE_BYTES = 32 * 1024 * 1024
# Imports at least this large are parsed by a second process (intake.parse_lines_aside):
# about 7,000 entries, where the time it saves outweighs starting it.
PARSE_ASIDE_BYTES = 4 * 1024 * 1024


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head_hash: str
    first_bad: int | None = None
    problem: str | None = None


class Store:
    """A chronicle store file; use as a context manager or call ``close``."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly
        self._checkpointer: _Checkpointer | None = None
        self._stop_checkpointer: weakref.finalize | None = None
        self._upstream: Replica | None = None

    # --- opening ----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        *,
        create: bool = False,
        readonly: bool = False,
        force_rebuild: bool = False,
    ):
        """Open (or create) a store; projections made by another version are rebuilt.

        That rebuild, like any, first walks the log's chain and refuses a broken one
        unless ``force_rebuild``: what a tampered log says must not pass silently into
        the views everyone reads.
        """
        path = Path(path)
        if not path.exists():
            if not create:
                raise StoreError(f"no store at {path} (create one with `chronicle init`)")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"cannot create {path.parent}: {err.strerror}") from None
        elif path.is_dir():
            raise StoreError(f"{path} is a directory, not a store file")
        else:
            _refuse_special_file(path)
        if readonly:
            _undo_interrupted_write(path)
        try:
            conn = cls._connect(path, readonly)
            store = cls(conn, path, readonly)
            store._prepare_schema(create, force_rebuild)
            if readonly and store._views_out_of_date():
                store.close()
                cls._migrate(path, force_rebuild)
                return cls.open(path, readonly=True)
        except sqlite3.DatabaseError as err:
            raise StoreError(_describe_sqlite(err, path)) from None
        return store

    def _views_out_of_date(self) -> bool:
        """Projections made by another chronicle (a store of an earlier version), or none."""
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'projection_meta'"
        ).fetchone()
        return found is None or self._projection_version() != PROJECTION_VERSION

    @classmethod
    def _migrate(cls, path: Path, force_rebuild: bool) -> None:
        """Bring a store of an earlier version up to date before a read answers from it.

        A reading command's queries are written for this version's projections: read
        from an older layout they would fail, or answer from rows made by other rules.
        So the first open of such a store, read-only or not, rebuilds its views, as
        a writable open always has; a store the user may not write is refused.
        """
        if not os.access(path, os.W_OK):
            raise StoreError(
                f"{path} was made by another version of chronicle and its views must be "
                "rebuilt, but the file is read-only here; run chronicle rebuild as its owner"
            )
        cls.open(path, force_rebuild=force_rebuild).close()

    @staticmethod
    def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
        if readonly:
            uri = f"file:{quote(str(path.resolve()))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        else:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # Reads of a large store (random timeline pages) go through the OS page cache
        # without copying into SQLite's own: measured 9.7 -> 8 ms a page at 1M events.
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        return conn

    def _prepare_schema(self, create: bool, force_rebuild: bool = False) -> None:
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if "log" not in tables:
            if tables or not create:
                raise StoreError(f"{self.path} is not a chronicle store")
            if self.readonly:
                raise StoreError(f"no store at {self.path}")
        if self.readonly:
            return
        # A replica's durability is its team log's: what a power cut takes from its
        # last commits, the next pull brings back. So it does not sync every commit.
        replica = "log" in tables and self.upstream_url() is not None
        sync = os.environ.get("CHRONICLE_SYNCHRONOUS", "NORMAL" if replica else "FULL").upper()
        if sync not in ("FULL", "NORMAL", "EXTRA"):
            raise StoreError(f"CHRONICLE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {sync}")
        _switch_to_wal(self.conn)
        self.conn.execute(f"PRAGMA synchronous = {sync}")
        # A writer touches indexes all over a large store; SQLite's default 2 MB page
        # cache made a million-entry import re-read index pages it had just written.
        self.conn.execute(f"PRAGMA cache_size = {-WRITER_CACHE_KIB}")
        # A writer that pauses has its WAL checkpointed by a thread (_Checkpointer);
        # SQLite's own checkpoint, inside the commit that crosses this threshold, still
        # bounds the WAL of one that never pauses. The last close checkpoints all.
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        if "log" not in tables or "projection_meta" not in tables:
            with self.transaction():
                # Another process may have made the schema since the look above.
                tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
                for statement in statements(LOG):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT OR IGNORE INTO store_meta VALUES ('format', ?)", (STORE_FORMAT,)
                )
                if "projection_meta" not in tables:
                    self._drop_projections()  # what is left of them, if anything
                    self._create_projections()
                    self._replay(force_rebuild)
        if self._projection_version() != PROJECTION_VERSION:
            # Projections from an older chronicle: derive them anew.
            self.rebuild(force=force_rebuild)

    def _projection_version(self) -> int:
        row = self.conn.execute(
            "SELECT value FROM projection_meta WHERE key = 'version'"
        ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
        self._stop_background_checkpoints()
        self.conn.close()

    def _stop_background_checkpoints(self) -> None:
        """End the checkpoint thread and its connection; the next commit starts another."""
        if self._stop_checkpointer is not None:
            self._stop_checkpointer()
        self._checkpointer = self._stop_checkpointer = None

    def _committed(self) -> None:
        """Have the WAL copied back into the store file soon, off this thread."""
        if self._checkpointer is None:
            sync = self.conn.execute("PRAGMA synchronous").fetchone()[0]
            try:
                self._checkpointer = _Checkpointer(self.path, sync)
            except RuntimeError:  # no thread to be had (a memory cap): the commit stands,
                return  # and SQLite's own checkpoints and the last close bound the WAL
            # Stopped on close, when the store is dropped unclosed, or at exit.
            self._stop_checkpointer = weakref.finalize(self, self._checkpointer.stop)
        self._checkpointer.wake()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions -------------------------------------------------------------

    def transaction(self, *, appends: bool = False) -> _Transaction:
        """``appends``: the transaction adds to the log (an interrupt's message says so)."""
        return _Transaction(self, appends)

    def head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def checkpoint(self) -> int:
        row = self.conn.execute(
            "SELECT value FROM projection_meta WHERE key = 'checkpoint'"
        ).fetchone()
        return int(row[0]) if row else 0

    # --- appending ----------------------------------------------------------------

    def append(
        self,
        entries: Iterable[Any],
        *,
        expect: dict[str, int] | None = None,
        default_author: str | None = None,
        named: bool = True,
    ) -> AppendResult:
        """Append entries atomically; ids already in the log with equal content are skipped.

        ``expect`` maps a subject to the version the caller last saw: if the log has
        moved on, the whole append is refused with a ConflictError.
        """
        from chronicle.intake import ExportChain, prepare

        chain = ExportChain()
        return self._append_pending(
            (prepare(raw, default_author, named=named, chain=chain) for raw in entries),
            expect=expect,
        )

    def import_lines(
        self,
        lines: Iterable[bytes | str],
        *,
        name: str = "input",
        size: int | None = None,
        restamp: bool = False,
    ) -> AppendResult:
        """Import NDJSON atomically; an error names the line it was found on.

        ``size`` is the input's length in bytes when known (read from the file
        itself when ``lines`` is one); a large import writes through a rollback
        journal (see ``_journal_for``). ``restamp`` records now an entry whose
        time is before the log's last (see ``timestamps.next_stamp``).
        """
        from chronicle.intake import can_parse_aside, parse_lines, parse_lines_aside

        in_file = _input_size(lines)
        # A file too small to gain from a second process is parsed by this one; only a
        # regular file is parsed aside, since its reading never waits on a person.
        parse = (
            parse_lines_aside
            if in_file is not None and in_file >= PARSE_ASIDE_BYTES and can_parse_aside()
            else parse_lines
        )
        with self._journal_for(in_file if size is None else size):
            return self._append_pending(parse(lines, name), restamp=restamp)

    @contextlib.contextmanager
    def _journal_for(self, size: int | None) -> Iterator[None]:
        """Write a large import or rebuild through a rollback journal, if the store is ours alone.

        One transaction that writes gigabytes keeps every page it writes in the WAL,
        and SQLite finds a page there by probing one hash table per 4,096 pages
        written so far: the longer the import, the dearer each read of a page it
        does not cache (the full-text index built at its end above all). Through a
        rollback journal the new pages go straight into the file, and the journal
        still undoes all of them if the import fails or is killed. Leaving WAL needs
        the file to itself; when another connection has it open, the import keeps
        the WAL. Either way the store is in WAL again afterwards.
        """
        if size is None or size < LARGE_WRITE_BYTES or not self._leave_wal():
            yield
            return
        try:
            yield
        finally:
            _switch_to_wal(self.conn)

    def _leave_wal(self) -> bool:
        self._stop_background_checkpoints()  # its connection would keep the WAL open
        try:
            mode = self.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:
            return False
        return mode == "delete"

    def _append_pending(
        self,
        pending: Iterable[PendingEntry],
        *,
        expect: dict[str, int] | None = None,
        restamp: bool = False,
    ) -> AppendResult:
        self._need_writable()
        if self.upstream_url() is not None:
            return self._replica().append(pending, expect, restamp=restamp)
        return self.write_entries(lambda head: pending, expect=expect, restamp=restamp)

    def write_entries(
        self,
        source: Callable[[tuple[int, str]], Iterable[PendingEntry]],
        *,
        expect: dict[str, int] | None = None,
        restamp: bool = False,
        before_commit: Callable[[tuple[int, str], AppendResult], None] | None = None,
        catch_up: tuple[Callable[[tuple[int, str]], Iterable[PendingEntry]],
                        Callable[[tuple[int, str], AppendResult], None]] | None = None,
        large: bool = False,
    ) -> AppendResult:  # fmt: skip
        """The one local append transaction, open to a replica's uses of it.

        ``source`` gets the head the transaction found and gives the entries to
        write after it; ``before_commit`` runs once they are written and projected,
        still inside the transaction, and may refuse them by raising (nothing is
        then written). A replica sends its new entries to the team log from there,
        and checks pulled ones against the server's hashes. ``catch_up`` (a source
        and its check, as above) writes the entries that came before these first, in
        the same transaction and without ``expect``: a replica's append catches up
        with the server and writes its own entries in one local commit. When its
        own entries are refused (a stale version, the server lost), what it caught
        up with still commits: those are the server's entries, checked. ``large``:
        as large as a large import, and written the same way (``_journal_for``).
        """
        self._need_writable()
        refused: ChronicleError | None = None
        with (
            self._journal_for(LARGE_WRITE_BYTES if large else None),
            collector_paused(),
            self.transaction(appends=True),
        ):
            if catch_up is None:
                return self._write(source, before_commit, expect=expect, restamp=restamp)
            self._write(*catch_up)
            self.conn.execute("SAVEPOINT caught_up")
            try:
                return self._write(source, before_commit, expect=expect, restamp=restamp)
            except ChronicleError as err:  # refused: what was caught up with still commits
                self.conn.execute("ROLLBACK TO caught_up")
                refused = err
        assert refused is not None  # the only way out of the block without a return
        raise refused

    def _write(
        self,
        source: Callable[[tuple[int, str]], Iterable[PendingEntry]],
        before_commit: Callable[[tuple[int, str], AppendResult], None] | None,
        *,
        expect: dict[str, int] | None = None,
        restamp: bool = False,
    ) -> AppendResult:
        from chronicle.appender import Appender  # loaded by the first write, not by every read
        from chronicle.intake import AppendResult

        result = AppendResult()
        head = self.head()
        Appender(self.conn, head, expect, restamp=restamp).write(source(head), result)
        if result.added:
            self._record_head()
        if before_commit is not None:
            before_commit(head, result)
        return result

    # --- the team log ---------------------------------------------------------------

    def upstream_url(self) -> str | None:
        """The team log this store replicates (a URL without password), if it is a replica."""
        row = self.conn.execute(
            "SELECT value FROM store_meta WHERE key = ?", (UPSTREAM_KEY,)
        ).fetchone()
        return row[0] if row else None

    def set_upstream(self, url: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO store_meta VALUES (?, ?)", (UPSTREAM_KEY, url)
            )

    def _replica(self) -> Replica:
        """The replica's link to its team log, made on the first write (psycopg loads then)."""
        if self._upstream is None:
            from chronicle.replica import Replica

            self._upstream = Replica(self)
        return self._upstream

    def _record_head(self) -> None:
        """Note the head beside the log, so a log cut short behind our back is noticed."""
        seq, digest = self.head()
        self.conn.execute(
            "INSERT OR REPLACE INTO store_meta VALUES (?, ?)", (HEAD_KEY, f"{seq}:{digest}")
        )

    def _need_writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.path} was opened read-only")

    # --- reading the log ------------------------------------------------------------

    def entries(self, start: int = 1, stop: int | None = None) -> Iterator[dict[str, Any]]:
        """Log entries in seq order, in the interchange format with seq and hashes."""
        sql = f"SELECT {', '.join(LOG_COLUMNS)} FROM log WHERE seq >= ?"
        args: list[int] = [start]
        if stop is not None:
            sql += " AND seq <= ?"
            args.append(stop)
        for row in self.conn.execute(sql + " ORDER BY seq", args):
            yield log_row_to_entry(row)

    # --- projections ----------------------------------------------------------------

    def _create_projections(self) -> None:
        for statement in statements(PROJECTION_TABLES + VIEWS):
            self.conn.execute(statement)
        self.conn.executemany(
            "INSERT OR REPLACE INTO projection_meta VALUES (?, ?)",
            [("order_fresh", 1), ("version", PROJECTION_VERSION)],
        )

    def _drop_projections(self) -> None:
        """Drop each projection object as whatever kind the store holds it as.

        An earlier version may have kept as a table what this one makes a view (or
        the other way round): dropping by the kind this version makes would fail.
        """
        found = self.conn.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
        )
        kinds = dict(found.fetchall())
        for _, name in PROJECTION_OBJECTS:  # views first: they read the tables
            if name in kinds:
                self.conn.execute(f"DROP {kinds[name].upper()} {name}")

    def _replay(self, force: bool) -> int:
        """Apply every logged entry to empty projections, walking the chain as it goes.

        Each chunk of the log is checked against the chain before any of it is
        applied, in the same read of the log, and a broken chain is refused unless
        ``force``: raised inside the caller's transaction, the refusal undoes what
        the replay wrote, so a rebuild never carries a tampered entry into the
        views. (Walked first, on its own, it read the whole log twice.)
        """
        if force:
            return replay(self.conn)
        walk = _ChainWalk(None, None)

        def walked(rows: list[tuple]) -> None:
            failed = walk.run(rows)
            if failed is not None:
                raise _broken_chain(failed)

        last = replay(self.conn, check=walked)
        failed = walk.finish(self._recorded_head(), None)
        if failed is not None:
            raise _broken_chain(failed)
        return last

    def rebuild(self, *, force: bool = False) -> int:
        """Drop every projection and replay the log; returns the number of entries applied.

        The chain is walked as the log is read: a log whose chain is broken is refused
        unless ``force``, so that a rebuild never carries a tampered entry into the views.
        """
        self._need_writable()
        # It rewrites about the whole file: large when the store is.
        with self._journal_for(self.path.stat().st_size), collector_paused(), self.transaction():
            self._drop_projections()
            self._create_projections()
            return self._replay(force)

    def order_is_fresh(self) -> bool:
        """Whether timeline pages can be read by range (see ``ensure_order``)."""
        return order_is_fresh(self.conn)

    def ensure_order(self) -> None:
        """Make the dense timeline ordinal current (cheap when it already is)."""
        if order_is_fresh(self.conn):
            return
        if self.readonly:
            raise StoreError("the timeline order is stale and this store is open read-only")
        with self.transaction():
            rebuild_order(self.conn)

    # --- verification ---------------------------------------------------------------

    def verify(
        self,
        against: str | None = None,
        exported: Iterable[tuple[int, str]] | None = None,
        *,
        guards: bool = True,
    ) -> VerifyResult:
        """Re-walk the hash chain; report the first seq whose row does not match.

        The chain alone proves the log consistent, not unchanged: whoever rewrites an
        entry can recompute every later hash. So ``against`` names a hash noted down
        earlier that the log must still hold, and ``exported`` gives the (seq, hash)
        of each line of an earlier export, in seq order, each of which must still be
        there unchanged; the log may have grown since. All of it is read in one
        snapshot, so a writer appending meanwhile cannot make a whole log look cut.
        ``guards`` also checks the log's append-only triggers, by their SQL text.
        """
        with self._read_snapshot():
            walk = _ChainWalk(against, exported)
            rows = self.conn.execute(f"SELECT {', '.join(LOG_COLUMNS)} FROM log ORDER BY seq")
            try:
                failed = walk.run(rows)
            finally:
                rows.close()
            if failed is None:
                guard = self._guard_problem() if guards else None
                failed = walk.finish(self._recorded_head(), guard)
        return failed or VerifyResult(True, walk.n, walk.prev)

    @contextlib.contextmanager
    def _read_snapshot(self) -> Iterator[None]:
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def _recorded_head(self) -> tuple[int, str] | None:
        row = self.conn.execute("SELECT value FROM store_meta WHERE key = ?", (HEAD_KEY,))
        value = row.fetchone()
        if value is None:
            return None  # a store last written before the head was recorded
        seq, _, digest = str(value[0]).partition(":")
        return int(seq), digest

    def _guard_problem(self) -> str | None:
        """What is wrong with the log's triggers: missing, altered, or one not chronicle's.

        Names alone prove nothing: a trigger that does nothing can carry a guard's name.
        """
        present = dict(
            self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'log'"
            ).fetchall()
        )
        missing = sorted(set(LOG_GUARDS) - present.keys())
        if missing:
            return f"the log's append-only triggers are missing ({', '.join(missing)})"
        expected = definitions()
        for name, sql in sorted(present.items()):
            if name not in LOG_GUARDS:
                return f"trigger {name} on the log is not chronicle's"
            if sql != expected[("trigger", name)]:
                return f"the log's append-only trigger {name} was replaced (its SQL differs)"
        return None


def _broken_chain(walked: VerifyResult) -> StoreError:
    """The refusal of a rebuild from a log whose chain ``walked`` found broken."""
    where = f" at seq {walked.first_bad}" if walked.first_bad else ""
    return StoreError(
        f"the log's chain is broken{where} ({walked.problem}): the views were not "
        "rebuilt from it; see chronicle verify, or rebuild anyway with "
        "chronicle rebuild --force"
    )


class _ChainWalk:
    """One pass over the log in seq order, checking each row against the one before."""

    def __init__(self, against: str | None, exported: Iterable[tuple[int, str]] | None) -> None:
        self.prev, self.n = GENESIS, 0
        self.against, self.found = against, against is None
        self.exported = iter(exported or ())
        self.pending = next(self.exported, None)

    def _fail(self, seq: int | None, problem: str) -> VerifyResult:
        return VerifyResult(False, self.n, self.prev, seq, problem)

    def run(self, rows: Iterable[tuple]) -> VerifyResult | None:
        for row in rows:
            seq, expected = row[0], self.n + 1
            if seq != expected:
                return self._fail(expected, f"seq {expected} is missing (next is {seq})")
            if row[9] != self.prev:
                return self._fail(seq, "prev_hash does not match the previous entry's hash")
            if row_hash(row[:10]) != row[10]:
                return self._fail(seq, "hash does not match the entry's content")
            if self.pending is not None and self.pending[0] <= seq:
                if self.pending != (seq, row[10]):
                    return self._fail(seq, f"hash {row[10]} is not the exported {self.pending[1]}")
                self.pending = next(self.exported, None)
            self.found = self.found or row[10] == self.against
            self.prev, self.n = row[10], seq
        return None

    def finish(
        self, recorded: tuple[int, str] | None, guard_problem: str | None
    ) -> VerifyResult | None:
        """What only the end of the log can tell: a cut, an extension, a lost guard."""
        gone = self.n + 1
        if self.pending is not None:
            last = max((seq for seq, _ in self.exported), default=self.pending[0])
            return self._fail(gone, f"seq {gone} is missing: the export goes on to seq {last}")
        if recorded is not None and recorded[0] > self.n:
            return self._fail(
                gone, f"seq {gone} is missing: the store wrote up to seq {recorded[0]}"
            )
        if recorded is not None and recorded[0] < self.n:
            return self._fail(
                recorded[0] + 1,
                f"seq {recorded[0] + 1} was not appended by chronicle "
                f"(the store wrote up to seq {recorded[0]})",
            )
        if recorded is not None and recorded[1] != self.prev:
            return self._fail(None, "the head hash is not the one the store wrote")
        if not self.found:
            return self._fail(
                None, f"hash {self.against} is not in this log (its head is seq {self.n})"
            )
        if guard_problem:
            return self._fail(None, guard_problem)
        return None


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error; translates SQLite's errors."""

    def __init__(self, store: Store, appends: bool) -> None:
        self.store = store
        self.appends = appends

    def __enter__(self) -> None:
        try:
            self.store.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as err:
            raise StoreError(_describe_sqlite(err, self.store.path)) from None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        conn = self.store.conn
        if exc_type is None:
            try:
                with interrupts.committing(self.appends):
                    conn.execute("COMMIT")
            except sqlite3.DatabaseError as err:
                if conn.in_transaction:  # a full disk at COMMIT has already rolled it back
                    conn.execute("ROLLBACK")
                raise StoreError(_describe_sqlite(err, self.store.path)) from None
            self.store._committed()
            return
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.IntegrityError) and "subject_version" in str(exc):
            raise ConflictError("another writer changed this subject first; try again") from None
        if isinstance(exc, sqlite3.DatabaseError):
            raise StoreError(_describe_sqlite(exc, self.store.path)) from None


class _Checkpointer:
    """Copies committed pages from the WAL into the store file when the writer goes quiet.

    Left to SQLite, a checkpoint runs inside the commit that takes the WAL past
    ``wal_autocheckpoint``: at a million entries, one append in about 420 wrote and
    synced some ten thousand pages there, 85-250 ms. Here a thread of its own runs
    a passive checkpoint (one that never waits for a reader or a writer) once no
    commit has come for ``CHECKPOINT_QUIET_S``: between a user's appends the WAL is
    copied back a few dozen pages at a time and never nears that threshold. Run
    while appends were still coming, the checkpoint's writes made their commits
    wait on the disk (median commit 0.4-0.6 ms -> 0.7-3 ms in a loop of appends at
    a million entries), so a writer that never pauses leaves it to SQLite's, as
    before. A process that appends once and closes (the CLI) never runs one here:
    its close checkpoints the WAL, as it always did. The checkpoint syncs as the
    writer does, so what was committed stays durable.
    """

    def __init__(self, path: Path, synchronous: int) -> None:
        self.path = path
        self.synchronous = synchronous
        self.runs = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        # A daemon, so an unclosed store never keeps its process alive.
        self._thread = threading.Thread(target=self._run, name="chronicle-checkpoint", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Let a checkpoint under way finish (nothing is cut short), then end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while self._wake.wait() and self._quiet():
                conn = conn or self._connect()
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.runs += 1
        except sqlite3.Error:
            pass  # the commits' own checkpoints and the last close still bound the WAL
        finally:
            if conn is not None:
                conn.close()

    def _quiet(self) -> bool:
        """Wait until no commit has come for a while; False if the store is closing."""
        while True:
            self._wake.clear()  # a commit from now on asks for one more round
            if self._stop.wait(CHECKPOINT_QUIET_S):
                return False
            if not self._wake.is_set():
                return True

    def _connect(self) -> sqlite3.Connection:
        conn = Store._connect(self.path, readonly=False)
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        return conn


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Keep Python's cycle collector out of a bulk write.

    A large import holds hundreds of thousands of live containers (pending rows,
    cached states), and each full collection walks all of them only to find nothing:
    an import leaves no cyclic garbage behind. At 200k entries the collector took
    a tenth of the CPU time. It is turned back on only if it was on, so a pause
    inside another (or a caller that keeps it off) is left as it was found.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """Turn on WAL, waiting out other processes that are doing the same.

    Changing the journal mode needs the file to itself, and SQLite answers "locked"
    at once, without calling the busy handler, when several processes open a new
    store together (``chronicle init`` run twice). So the wait is done here, up to
    the same limit as every other lock.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


SQLITE_HEADER = b"SQLite format 3\x00"
# Files SQLite keeps beside a store while it is open or was cut short.
STORE_COMPANIONS = ("-wal", "-shm", "-journal")


def store_files(conn: sqlite3.Connection) -> list[Path]:
    """The store file ``conn`` reads, links resolved, and its companions, existing or not."""
    main = next(row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main")
    if not main:
        return []  # an in-memory database
    path = Path(main).resolve()
    return [path, *(path.with_name(path.name + suffix) for suffix in STORE_COMPANIONS)]


def is_store_file(path: Path) -> bool:
    """Whether ``path`` is a chronicle store: SQLite holding a log, read without writing."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return False
        # immutable: no lock taken and no -shm or -wal made beside someone's file
        uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except (OSError, sqlite3.Error):
        return False
    return {"log", "store_meta"} <= names


_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_special_file(path: Path) -> None:
    """Refuse a path that is not a regular file before SQLite opens it.

    Opening a FIFO blocks until a writer comes, so ``timeline`` would hang; a
    device such as /dev/null opens, and SQLite then leaves its journal beside it.
    """
    mode = path.stat().st_mode
    if stat.S_ISREG(mode):
        return
    kind = next(
        (name for test, name in _SPECIAL_FILES if test(mode)), "neither a file nor a directory"
    )
    raise StoreError(f"{path} is {kind}, not a store file")


def _undo_interrupted_write(path: Path) -> None:
    """Roll back what a killed large import left in its journal, before a read-only open.

    A read-only connection cannot undo a hot journal: SQLite refuses to open the
    store. A writable connection undoes it on its first read, so one is opened for
    that when there is a journal to undo and the file may be written. A journal
    still in use by a live import is not hot: the read then waits like any other.
    """
    if not Path(f"{path}-journal").exists() or not os.access(path, os.W_OK):
        return
    try:
        conn = Store._connect(path, readonly=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        pass  # the read-only open that follows reports what is wrong


def _input_size(lines: Iterable[bytes | str]) -> int | None:
    """Bytes left to read in a regular file handed in as ``lines``; None for anything else."""
    fileno, tell = getattr(lines, "fileno", None), getattr(lines, "tell", None)
    if fileno is None or tell is None:
        return None
    try:
        info, position = os.fstat(fileno()), tell()
    except (OSError, ValueError):
        return None
    return info.st_size - position if stat.S_ISREG(info.st_mode) else None


def _describe_sqlite(err: sqlite3.DatabaseError, path: Path) -> str:
    text = str(err)
    if getattr(err, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK":
        return f"{path} holds a write that was cut short; open it once with write access to undo it"
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only: cannot write to the store"
    if "not a database" in text:
        return f"{path} is not a chronicle store"
    if "disk is full" in text or "database or disk is full" in text:
        return f"the disk holding {path} is full: nothing was written"
    if "locked" in text or "busy" in text:
        return f"{path} is locked by another writer for over {BUSY_TIMEOUT_S:.0f} s"
    if "unable to open" in text:
        return f"cannot open {path}"
    return f"store {path}: {text}"


def log_row_to_entry(row: tuple) -> dict[str, Any]:
    seq, id_, type_, subject, version, recorded_at, author, schema, data, prev, digest = row
    return {
        "seq": seq,
        "id": id_,
        "type": type_,
        "subject": subject,
        "subject_version": version,
        "recorded_at": recorded_at,
        "author": author,
        "schema": schema,
        "data": json.loads(data),
        "prev_hash": prev,
        "hash": digest,
    }
