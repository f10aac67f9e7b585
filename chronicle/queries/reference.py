"""Sources and entities: resolving what a user calls them, naming them, listing them."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from chronicle.queries.common import FOREVER, QueryError
from chronicle.terms import ID_PATTERN

_ITEMS = re.compile(r"[;,]")


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


def one_entity(conn: sqlite3.Connection, words: str, kind: str | None = None) -> str:
    """The one entity ``words`` names: a name shared by two is refused, not guessed.

    An id-shaped word that names nothing is reported as an unknown id, as the log's
    reference check would say it; other words as a name nobody has.
    """
    try:
        ids = resolve_entities(conn, words, kind)
    except QueryError:
        if ":" in words and re.fullmatch(ID_PATTERN, words):
            raise QueryError(f"unknown entity {words!r}") from None
        raise
    if len(ids) > 1:
        raise QueryError(f"{words!r} could be any of {', '.join(ids)}: use the id")
    return ids[0]


def list_items(text: str) -> list[str]:
    """A list typed as text ("JNIM; FAMa:defender, Wagner"): items split on ; or ,."""
    return [part.strip() for part in _ITEMS.split(text) if part.strip()]


def actor_with_role(conn: sqlite3.Connection, item: str | Mapping[str, Any]) -> dict[str, str]:
    """An actor as a user gives it, with its role: the one rule for commands, forms and imports.

    Text is 'JNIM', 'JNIM:attacker', 'actor:jnim' or 'actor:jnim:attacker': ids and
    names may hold colons of their own, so the whole item is tried first, and only
    when it names nothing is the part after its last colon read as the role. A
    mapping (as an export writes it) holds ``entity`` or ``entity_id`` and ``role``.
    """
    if isinstance(item, Mapping):
        ref, role = item.get("entity_id") or item.get("entity"), item.get("role")
        actor = {"entity": one_entity(conn, str(ref))}
        return actor | {"role": str(role)} if role else actor
    try:
        return {"entity": one_entity(conn, item)}
    except QueryError:
        ref, sep, role = item.rpartition(":")
        if not sep or not ref.strip() or not role.strip():
            raise
        return {"entity": one_entity(conn, ref.strip()), "role": role.strip()}


def actors_from(
    conn: sqlite3.Connection, items: str | Iterable[str | Mapping[str, Any]]
) -> list[dict[str, str]]:
    """Actors with roles from text (split with ``list_items``) or from a list of items."""
    found = list_items(items) if isinstance(items, str) else items
    return [actor_with_role(conn, item) for item in found]


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


PLACE_KEYS = ("name", "lat", "lon", "country", "admin1", "admin2", "admin3", "geo_precision")


def place_detail(conn: sqlite3.Connection, entity_id: str) -> dict[str, Any]:
    """A place's name, coordinates and where it lies (country, admin1–3, geo_precision).

    The coordinates come from the projection; the administrative fields, which only
    conflict datasets give, from the place's registration in the log (by subject, an
    index lookup), so no projection has to carry columns most places leave empty.
    """
    row = conn.execute(
        "SELECT name, lat, lon FROM entities WHERE entity_id = ?", (entity_id,)
    ).fetchone()
    if row is None:
        return {}
    found = conn.execute(
        "SELECT data FROM log WHERE subject = ? AND type = 'entity.registered' LIMIT 1",
        (entity_id,),
    ).fetchone()
    registered = json.loads(found[0]) if found else {}
    detail = {key: registered.get(key) for key in PLACE_KEYS[3:]}
    return {"name": row[0], "lat": row[1], "lon": row[2], **detail}
