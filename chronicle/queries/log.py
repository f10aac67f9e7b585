"""The log read as text: every entry, and the entries that touched an event."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from chronicle.queries.common import FOREVER
from chronicle.queries.timeline import TimelineFilter, restrict_to

HISTORY_COLUMNS = ("seq", "type", "recorded_at", "author", "reason", "subject", "data")


def history(
    conn: sqlite3.Connection, event_id: str, as_of: int | None = None
) -> list[dict[str, Any]]:
    """Every log entry that touched the event, oldest first."""
    return list(iter_history(conn, as_of, event_id=event_id))


def iter_history(
    conn: sqlite3.Connection,
    as_of: int | None = None,
    *,
    event_id: str | None = None,
    flt: TimelineFilter | None = None,
) -> Iterator[dict[str, Any]]:
    """The entries that touched one event, the filtered events or every event, by event
    then seq (the index's order, so a whole store streams without sorting)."""
    params: dict[str, Any] = {"as_of": as_of if as_of is not None else FOREVER, "id": event_id}
    restrict = restrict_to(conn, "t.event_id", flt, as_of, params)
    sql = (
        "SELECT t.event_id, l.seq, l.type, l.recorded_at, l.author, "
        "json_extract(l.data, '$.reason'), l.subject, l.data "
        "FROM event_touches t JOIN log l ON l.seq = t.seq WHERE t.seq <= :as_of"
        f"{' AND t.event_id = :id' if event_id else ''}{restrict} ORDER BY t.event_id, t.seq"
    )
    for row in conn.execute(sql, params):
        item = dict(zip(("event_id", *HISTORY_COLUMNS), row, strict=True))
        item["data"] = json.loads(item["data"])
        yield item


LOG_SUMMARY_COLUMNS = (
    "seq",
    "recorded_at",
    "author",
    "type",
    "subject",
    "subject_version",
    "summary",
)


def log_entries(
    conn: sqlite3.Connection,
    *,
    start: int = 1,
    limit: int | None = None,
    subject: str | None = None,
    reverse: bool = False,
) -> Iterator[dict[str, Any]]:
    """Log entries for reading: one line of what each says."""
    sql = (
        "SELECT seq, recorded_at, author, type, subject, subject_version, "
        "coalesce(json_extract(data, '$.title'), json_extract(data, '$.name'), "
        "json_extract(data, '$.reason'), json_extract(data, '$.alias'), "
        "json_extract(data, '$.relation') || ' ' || json_extract(data, '$.target'), "
        "json_extract(data, '$.property')) FROM log WHERE "
    )
    args: list[Any] = []
    if reverse:
        sql += "seq <= ?"
        args.append(start if start > 1 else FOREVER)
    else:
        sql += "seq >= ?"
        args.append(start)
    if subject:
        sql += " AND subject = ?"
        args.append(subject)
    sql += f" ORDER BY seq {'DESC' if reverse else 'ASC'}"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    for row in conn.execute(sql, args):
        yield dict(zip(LOG_SUMMARY_COLUMNS, row, strict=True))
