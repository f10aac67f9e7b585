"""Ad-hoc SQL from the user, allowed only to read."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from chronicle.interrupts import Interrupted
from chronicle.queries.common import QueryError

_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}


def _reader_only(action: int, arg1: str | None, arg2: str | None, *_args: Any) -> int:
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    # FTS5 reads the (read-only) data_version pragma at the start of every read.
    if action == sqlite3.SQLITE_PRAGMA and arg1 == "data_version" and arg2 is None:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _connect_virtual_tables(conn: sqlite3.Connection) -> None:
    """Open the full-text tables before the authorizer is on: connecting one runs
    schema statements of SQLite's own that the authorizer would refuse."""
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
    ).fetchall()
    for (name,) in names:
        quoted = name.replace('"', '""')
        conn.execute(f'SELECT 1 FROM "{quoted}" LIMIT 0').fetchall()


DEFAULT_TIME_LIMIT_S = 30.0
# SQLite calls the progress handler every this many virtual-machine steps: often
# enough that a limit or Ctrl-C stops a query within milliseconds, rarely enough
# that the call into Python costs about 1 % of a scan.
PROGRESS_STEPS = 10_000


class QueryStopped(QueryError):
    """A user's query that ran past its time limit."""


class _Watch:
    """Time spent inside SQLite for one query, and whether Ctrl-C came: the progress handler.

    Only the time SQLite computes counts: a reader that pauses (a pager, a slow
    pipe) does not use up the query's limit. Python's own SIGINT handler would raise
    inside the progress handler, where the sqlite3 module swallows the exception;
    so Ctrl-C is noted here as well, and the statement stopped through the handler.
    """

    def __init__(self, limit: float | None) -> None:
        self.limit = limit or None
        self.spent = 0.0
        self.since: float | None = None
        self.interrupted = False
        self.out_of_time = False

    def progress(self) -> int:
        """Nonzero stops the running statement (it ends in ``OperationalError: interrupted``)."""
        if self.interrupted:
            return 1
        since = self.since
        if self.limit and since is not None and self.spent + time.monotonic() - since > self.limit:
            self.out_of_time = True
            return 1
        return 0

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True
        raise Interrupted

    def run(self, step: Callable[[], Any]) -> Any:
        """``step`` (an execute, a fetch), timed, and its interruption said plainly."""
        self.since = time.monotonic()
        try:
            return step()
        except sqlite3.OperationalError:
            if self.interrupted:
                raise Interrupted from None
            if self.out_of_time:
                raise QueryStopped(
                    f"query stopped after {self.limit:g} s (--time-limit to change)"
                ) from None
            raise
        finally:
            self.spent += time.monotonic() - self.since
            self.since = None


@contextlib.contextmanager
def _sigint_to(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """``handler`` for Ctrl-C while the block runs, where signals can be handled (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@contextlib.contextmanager
def read_only_query(
    conn: sqlite3.Connection, sql: str, time_limit: float | None = DEFAULT_TIME_LIMIT_S
) -> Iterator[tuple[list[str], Iterator[tuple]]]:
    """Run one user statement that may only read: no writes, ATTACH or PRAGMA.

    Yields the column names and the rows as SQLite produces them, one at a time:
    nothing is gathered, so an endless recursive query shows its first rows at
    once and memory stays flat. The query stops after ``time_limit`` seconds of
    SQLite's time (None or 0: never), and at once on Ctrl-C (``Interrupted``).
    The connection should itself be read-only; the authorizer is the second lock,
    and it also refuses what a read-only file would allow (ATTACH, PRAGMA).
    """
    _connect_virtual_tables(conn)
    watch = _Watch(time_limit)
    conn.set_authorizer(_reader_only)
    conn.set_progress_handler(watch.progress, PROGRESS_STEPS)
    try:
        with _sigint_to(watch.on_sigint):
            cursor = watch.run(lambda: conn.execute(sql))
            columns = [d[0] for d in cursor.description or ()]
            yield columns, _rows(cursor, watch)
    except sqlite3.DatabaseError as err:
        text = str(err)
        if "not authorized" in text or "authorization denied" in text:
            text = "only reading is allowed (no writes, ATTACH or PRAGMA)"
        raise QueryError(f"query refused: {text}") from None
    except sqlite3.ProgrammingError as err:
        raise QueryError(f"query refused: {err}") from None
    finally:
        conn.set_progress_handler(None, 0)
        conn.set_authorizer(None)


def _rows(cursor: sqlite3.Cursor, watch: _Watch) -> Iterator[tuple]:
    """The cursor's rows, each fetched under the watch."""
    fetch = cursor.fetchone
    while (row := watch.run(fetch)) is not None:
        yield row
