"""Ad-hoc SQL from the user, allowed only to read."""

from __future__ import annotations

import sqlite3
from typing import Any

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


def read_only_query(conn: sqlite3.Connection, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one user statement that may only read: no writes, ATTACH or PRAGMA.

    The connection should itself be read-only; the authorizer is the second lock,
    and it also refuses what a read-only file would allow (ATTACH, PRAGMA).
    """
    _connect_virtual_tables(conn)
    conn.set_authorizer(_reader_only)
    try:
        cursor = conn.execute(sql)
        columns = [d[0] for d in cursor.description or ()]
        return columns, cursor.fetchall()
    except sqlite3.DatabaseError as err:
        text = str(err)
        if "not authorized" in text or "authorization denied" in text:
            text = "only reading is allowed (no writes, ATTACH or PRAGMA)"
        raise QueryError(f"query refused: {text}") from None
    except sqlite3.ProgrammingError as err:
        raise QueryError(f"query refused: {err}") from None
    finally:
        conn.set_authorizer(None)
