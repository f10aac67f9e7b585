"""SQL and errors every subject of the read side shares: one home, so none re-states them."""

from __future__ import annotations

import sqlite3
from typing import Any

from chronicle.errors import ChronicleError
from chronicle.schema import as_of_span


class QueryError(ChronicleError):
    """A query that cannot be answered as asked (unknown event, bad filter…)."""


TITLE_AS_OF = (
    "(SELECT v.title FROM event_versions v WHERE v.event_id = {ref} AND " + as_of_span("v") + ")"
)
FOREVER = 1 << 62


def version_row(conn: sqlite3.Connection, event_id: str, as_of: int | None) -> dict | None:
    """An event's version now or as of a seq, or None when it had none yet.

    Both ``show`` and ``disputes`` ask it first: an event that did not exist then is
    an error for them, never an empty answer.
    """
    cols = (
        "event_id, version, from_seq, to_seq, title, when_edtf, earliest, latest, precision, "
        "approximate, uncertain, display, place_id, place, summary, tags, status, merged_into, "
        "actors, citations"
    )
    sql = f"SELECT {cols} FROM event_versions WHERE event_id = ?1 AND "
    args: list[Any] = [event_id]
    if as_of is None:
        sql += "to_seq IS NULL"
    else:
        sql += as_of_span(seq="?2")
        args.append(as_of)
    cursor = conn.execute(sql, args)
    row = cursor.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cursor.description]
    found = dict(zip(names, row, strict=True))
    if as_of is not None and found["to_seq"] is not None and found["to_seq"] > as_of:
        found["to_seq"] = None  # replaced later, but not yet as of then
    return found


def missing_event(conn: sqlite3.Connection, event_id: str, as_of: int | None) -> QueryError:
    """Why an event has no state to read: never recorded, or not yet as of ``as_of``."""
    exists = conn.execute("SELECT 1 FROM event_versions WHERE event_id = ?", (event_id,)).fetchone()
    if exists:
        return QueryError(f"event {event_id!r} did not exist yet as of seq {as_of}")
    return QueryError(f"unknown event {event_id!r}")
