"""One event as the show command, the app's detail pane and the chronologies read it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from chronicle.queries.claims import claims, iter_disputes
from chronicle.queries.common import FOREVER, TITLE_AS_OF, missing_event, version_row
from chronicle.queries.log import history
from chronicle.schema import as_of_span


@dataclass
class EventDetail:
    """Everything the show command and the TUI's detail pane display."""

    event: dict[str, Any]
    actors: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    disputes: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    as_of: int | None = None


def show(conn: sqlite3.Connection, event_id: str, as_of: int | None = None) -> EventDetail:
    row = version_row(conn, event_id, as_of)
    if row is None:
        raise missing_event(conn, event_id, as_of)
    row["tags"] = json.loads(row["tags"])
    actors, citations = json.loads(row.pop("actors")), json.loads(row.pop("citations"))
    version = conn.execute(
        "SELECT max(subject_version) FROM log WHERE subject = ? AND seq <= ?",
        (event_id, as_of if as_of is not None else FOREVER),
    ).fetchone()[0]
    row["version"] = version
    return EventDetail(
        event=row,
        actors=_actor_details(conn, actors, FOREVER if as_of is None else as_of),
        citations=_cited_sources(conn, citations),
        claims=claims(conn, event_id, as_of),
        disputes=list(iter_disputes(conn, as_of, event_id=event_id)),  # known to exist
        links=_links(conn, event_id, as_of, row["merged_into"]),
        history=history(conn, event_id, as_of),
        as_of=as_of,
    )


def _actor_details(
    conn: sqlite3.Connection, actors: list[dict], as_of: int
) -> list[dict[str, Any]]:
    out = []
    for actor in actors:
        name, kind = conn.execute(
            "SELECT name, kind FROM entities WHERE entity_id = ?", (actor["entity"],)
        ).fetchone()
        aliases = [
            r[0]
            for r in conn.execute(
                "SELECT alias FROM entity_aliases WHERE entity_id = ? AND added_seq <= ? "
                "ORDER BY added_seq, alias",
                (actor["entity"], as_of),
            )
        ]
        out.append(
            {"entity_id": actor["entity"], "name": name, "kind": kind,
             "role": actor.get("role"), "side": actor.get("side"), "aliases": aliases}
        )  # fmt: skip
    return out


def _cited_sources(conn: sqlite3.Connection, citations: list[dict]) -> list[dict[str, Any]]:
    out = []
    for citation in citations:
        source = conn.execute(
            "SELECT title, publisher, author, published, url FROM sources WHERE source_id = ?",
            (citation["source"],),
        ).fetchone()
        title, publisher, author, published, url = source
        out.append(
            {"source_id": citation["source"], "title": title, "publisher": publisher,
             "author": author, "published": published, "url": url,
             "quote": citation.get("quote"), "locator": citation.get("locator"),
             "named_as": citation.get("named_as")}
        )  # fmt: skip
    return out


def _links(
    conn: sqlite3.Connection, event_id: str, as_of: int | None, merged_into: str | None
) -> list[dict[str, Any]]:
    sql = f"""
    SELECT 'out', l.relation, l.target_id, {TITLE_AS_OF.format(ref="l.target_id")}
    FROM event_links l WHERE l.event_id = :id AND l.seq <= :as_of
    UNION ALL
    SELECT 'in', l.relation, l.event_id, {TITLE_AS_OF.format(ref="l.event_id")}
    FROM event_links l WHERE l.target_id = :id AND l.seq <= :as_of
    UNION ALL
    SELECT 'out', 'merged_into', :into, {TITLE_AS_OF.format(ref=":into")} WHERE :into IS NOT NULL
    """
    params = {"id": event_id, "as_of": FOREVER if as_of is None else as_of, "into": merged_into}
    keys = ("direction", "relation", "event_id", "title")
    return [dict(zip(keys, r, strict=True)) for r in conn.execute(sql, params)]


_MEMBER_VERSION = """FROM event_versions v, json_each(v.{list}) j
    JOIN {table} n ON n.{key} = json_extract(j.value, '$.{ref}')
    WHERE v.event_id = :id AND {as_of}
    ORDER BY j.key"""
_MEMBER_ACTORS = (
    "SELECT n.entity_id, n.name, n.kind, json_extract(j.value, '$.role'), "
    "json_extract(j.value, '$.side'), json_extract(j.value, '$.named_as') "
) + (
    _MEMBER_VERSION.format(
        list="actors", table="entities", key="entity_id", ref="entity", as_of=as_of_span("v")
    )
)
_MEMBER_CITATIONS = (
    "SELECT n.source_id, n.title, n.publisher, n.author, n.published, n.url, "
    "json_extract(j.value, '$.quote'), json_extract(j.value, '$.locator'), "
    "json_extract(j.value, '$.named_as'), json_extract(j.value, '$.coded_from') "
    + _MEMBER_VERSION.format(
        list="citations", table="sources", key="source_id", ref="source", as_of=as_of_span("v")
    )
)
MEMBER_ACTOR_KEYS = ("entity_id", "name", "kind", "role", "side", "named_as")
MEMBER_CITATION_KEYS = (
    "source_id", "title", "publisher", "author", "published", "url", "quote", "locator",
    "named_as", "coded_from",
)  # fmt: skip


def event_members(
    conn: sqlite3.Connection, event_id: str, as_of: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An event's actors (named, with roles) and citations (with their sources), as of a seq.

    The part of ``show`` a written chronology needs for every event, in two
    queries rather than a few per actor and citation: a million events add up.
    """
    params = {"id": event_id, "as_of": FOREVER if as_of is None else as_of}
    actors = [
        dict(zip(MEMBER_ACTOR_KEYS, r, strict=True)) for r in conn.execute(_MEMBER_ACTORS, params)
    ]
    citations = [
        dict(zip(MEMBER_CITATION_KEYS, r, strict=True))
        for r in conn.execute(_MEMBER_CITATIONS, params)
    ]
    return actors, citations
