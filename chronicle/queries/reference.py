"""Sources and entities: resolving what a user calls them, naming them, listing them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from chronicle.queries.common import FOREVER, QueryError


def resolve_entities(conn: sqlite3.Connection, words: str, kind: str | None = None) -> list[str]:
    """Entity ids whose id, name or any alias is ``words`` (case-insensitive)."""
    sql = (
        "SELECT entity_id FROM entities WHERE (entity_id = ?1 OR name = ?1 COLLATE NOCASE)"
        " UNION SELECT entity_id FROM entity_aliases WHERE alias = ?1 COLLATE NOCASE"
    )
    ids = [r[0] for r in conn.execute(sql, (words,))]
    if kind:
        ids = [
            i for i in ids
            if conn.execute("SELECT kind FROM entities WHERE entity_id = ?", (i,)).fetchone()[0]
            == kind
        ]  # fmt: skip
    if not ids:
        raise QueryError(f"no {kind or 'entity'} is called {words!r}")
    return ids


def resolve_source(conn: sqlite3.Connection, words: str) -> str:
    """The source whose id or title is ``words`` (case-insensitive): forms accept either."""
    row = conn.execute(
        "SELECT source_id FROM sources WHERE source_id = ?1 OR title = ?1 COLLATE NOCASE "
        "ORDER BY source_id = ?1 DESC, source_id LIMIT 1",
        (words,),
    ).fetchone()
    if row is None:
        raise QueryError(f"no source is called {words!r}")
    return row[0]


def display_name(conn: sqlite3.Connection, ref: str) -> str:
    """What to call an entity or source id in prose: its name or title, else the id."""
    row = conn.execute(
        "SELECT coalesce((SELECT name FROM entities WHERE entity_id = ?1),"
        " (SELECT title FROM sources WHERE source_id = ?1))",
        (ref,),
    ).fetchone()
    return row[0] or ref


SOURCE_COLUMNS = (
    "source_id", "title", "publisher", "author", "published", "url", "language", "kind",
    "locator", "registered_seq",
)  # fmt: skip
ENTITY_COLUMNS = (
    "entity_id", "kind", "name", "aliases", "description", "lat", "lon", "registered_seq",
)  # fmt: skip


def sources(conn: sqlite3.Connection, as_of: int | None = None) -> Iterator[dict[str, Any]]:
    """Every source registered by ``as_of``, by id."""
    sql = (
        f"SELECT {', '.join(SOURCE_COLUMNS)} FROM sources WHERE registered_seq <= ? "
        "ORDER BY source_id"
    )
    for row in conn.execute(sql, (as_of if as_of is not None else FOREVER,)):
        yield dict(zip(SOURCE_COLUMNS, row, strict=True))


def entities(conn: sqlite3.Connection, as_of: int | None = None) -> Iterator[dict[str, Any]]:
    """Every entity registered by ``as_of``, by id, with the aliases it had by then."""
    sql = """
    SELECT e.entity_id, e.kind, e.name,
           (SELECT json_group_array(alias) FROM (SELECT a.alias FROM entity_aliases a
              WHERE a.entity_id = e.entity_id AND a.added_seq <= :as_of
              ORDER BY a.added_seq, a.alias)),
           e.description, e.lat, e.lon, e.registered_seq
    FROM entities e WHERE e.registered_seq <= :as_of ORDER BY e.entity_id"""
    for row in conn.execute(sql, {"as_of": as_of if as_of is not None else FOREVER}):
        item = dict(zip(ENTITY_COLUMNS, row, strict=True))
        item["aliases"] = json.loads(item["aliases"])
        yield item
