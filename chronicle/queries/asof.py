"""Where in the log a question is asked: "now", a seq, or a time meaning the last entry by then."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from chronicle.queries.common import QueryError
from chronicle.timestamps import normalize


def head_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM log").fetchone()[0]


def resolve_as_of(conn: sqlite3.Connection, spec: str | int | None) -> int | None:
    """A seq number, or a time (ISO date or datetime, UTC) meaning the last entry by then."""
    if spec is None or spec == "":
        return None
    text = str(spec).strip()
    head = head_seq(conn)
    if text.isascii() and text.isdigit():  # str.isdigit also takes '²' and '٣'
        seq = int(text)
        if seq > head:
            raise QueryError(f"as-of seq {seq} is past the end of the log ({head})")
        return seq
    moment = _as_of_time(text)
    row = conn.execute(
        "SELECT coalesce(max(seq), 0) FROM log WHERE recorded_at <= ?", (moment,)
    ).fetchone()
    return row[0]


def _as_of_time(text: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text + "T23:59:59.999999Z"
    try:
        return normalize(text)
    except ValueError:
        raise QueryError(f"as-of {text!r} is neither a seq number nor an ISO time") from None


def entry_at(conn: sqlite3.Connection, seq: int) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT seq, recorded_at, author, type, subject FROM log WHERE seq = ?", (seq,)
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("seq", "recorded_at", "author", "type", "subject"), row, strict=True))
