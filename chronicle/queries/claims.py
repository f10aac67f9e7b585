"""Claims and the disputes between them, for one event, a filtered timeline or all."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from chronicle.queries.common import FOREVER, TITLE_AS_OF, missing_event, version_row
from chronicle.queries.timeline import TimelineFilter, restrict_to
from chronicle.schema import CLAIMS_CURRENT, claims_as_of, disputes_sql

CLAIM_COLUMNS = (
    "claim_id", "event_id", "claimant", "claimant_name", "property", "about", "about_name",
    "low", "best", "high", "unit", "value_text", "source_id", "source_title", "quote", "rank",
    "status", "asserted_seq",
)  # fmt: skip


def claims(
    conn: sqlite3.Connection, event_id: str | None = None, as_of: int | None = None
) -> list[dict[str, Any]]:
    """Claims (current or as of a seq), with claimant and source named for reading."""
    return list(iter_claims(conn, event_id, as_of))


def iter_claims(
    conn: sqlite3.Connection,
    event_id: str | None = None,
    as_of: int | None = None,
    flt: TimelineFilter | None = None,
) -> Iterator[dict[str, Any]]:
    """``claims`` as a stream, for exports of any size; ``flt`` keeps its events' claims."""
    params: dict[str, Any] = {"as_of": as_of, "event_id": event_id}
    restrict = restrict_to(conn, "c.event_id", flt, as_of, params)
    base = CLAIMS_CURRENT if as_of is None else claims_as_of(":as_of")
    sql = f"""
    SELECT c.claim_id, c.event_id, c.claimant,
           coalesce((SELECT name FROM entities WHERE entity_id = c.claimant),
                    (SELECT title FROM sources WHERE source_id = c.claimant)),
           c.property, c.about, (SELECT name FROM entities WHERE entity_id = c.about),
           c.low, c.best, c.high, c.unit, c.value_text, c.source_id,
           (SELECT title FROM sources WHERE source_id = c.source_id), c.quote, c.rank,
           c.status, c.asserted_seq
    FROM ({base}) c WHERE {"c.event_id = :event_id" if event_id else "1"}{restrict}
    ORDER BY c.event_id, c.property, c.about, c.asserted_seq"""
    for row in conn.execute(sql, params):
        yield dict(zip(CLAIM_COLUMNS, row, strict=True))


DISPUTE_COLUMNS = (
    "event_id", "title", "property", "about", "about_name", "n_claims", "n_claimants",
    "low", "high", "claimants", "disputed",
)  # fmt: skip


def disputes(
    conn: sqlite3.Connection,
    as_of: int | None = None,
    *,
    event_id: str | None = None,
    disputed_only: bool = False,
    decode: bool = True,
) -> list[dict[str, Any]]:
    """Per event, property and about-entity: who claims what, and whether they disagree.

    An ``event_id`` that names no event (or none yet as of ``as_of``) is an error,
    not an empty answer: a mistyped id must not read as "nobody disputes it".
    """
    if event_id is not None and version_row(conn, event_id, as_of) is None:
        raise missing_event(conn, event_id, as_of)
    return list(
        iter_disputes(conn, as_of, event_id=event_id, disputed_only=disputed_only, decode=decode)
    )


def iter_disputes(
    conn: sqlite3.Connection,
    as_of: int | None = None,
    *,
    event_id: str | None = None,
    disputed_only: bool = False,
    flt: TimelineFilter | None = None,
    decode: bool = True,
) -> Iterator[dict[str, Any]]:
    """``disputes`` as a stream; ``flt`` keeps the groups of the events it keeps.

    Now, the groups are read from the table the projector keeps (with the event's
    title and the about-entity's name, so a read is a scan, not 77k lookups at a
    million entries); as of a past seq, they are grouped from the claim versions
    visible then. ``decode=False`` leaves each group's claimants as the JSON text
    the view holds: decoding them is most of the time of reading every dispute
    of a large store (0.6 s of 0.8 s for 77k groups), and a writer of JSON or
    CSV only encodes them again.
    """
    params: dict[str, Any] = {"as_of": FOREVER if as_of is None else as_of, "event_id": event_id}
    restrict = " AND event_id = :event_id" if event_id else ""
    restrict += restrict_to(conn, "event_id", flt, as_of, params)
    if as_of is None:
        groups = f"SELECT * FROM dispute_groups WHERE 1{restrict}"
    else:
        groups = f"""SELECT g.*, {TITLE_AS_OF.format(ref="g.event_id")} AS title,
            (SELECT name FROM entities WHERE entity_id = g.about) AS about_name
            FROM ({disputes_sql(claims_as_of(":as_of") + restrict)}) g"""
    sql = f"""
    SELECT d.event_id, d.title, d.property, d.about, d.about_name,
           d.n_claims, d.n_claimants, d.low, d.high, d.claimants, d.disputed
    FROM ({groups}) d {"WHERE d.disputed = 1" if disputed_only else ""}
    ORDER BY d.event_id, d.property, d.about"""
    for row in conn.execute(sql, params):
        item = dict(zip(DISPUTE_COLUMNS, row, strict=True))
        if decode:
            item["claimants"] = json.loads(item["claimants"])
        yield item
