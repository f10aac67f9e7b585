"""The read side: every question the CLI, the TUI and the exporters ask of a store.

One module so that the CLI and the TUI cannot drift apart: both call these
functions and neither holds SQL of its own. Every query takes ``as_of`` (a seq or
None for now); "now" reads the current-state tables, "as of N" reads the version
tables through their (from_seq, to_seq) ranges, never a replay.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from chronicle.dates import DateError, parse_loose
from chronicle.errors import ChronicleError
from chronicle.schema import CLAIMS_CURRENT, claims_as_of, disputes_sql, timeline_order
from chronicle.timestamps import normalize

TIMELINE_COLUMNS = (
    "event_id", "display", "when_edtf", "earliest", "latest", "precision", "approximate",
    "uncertain", "title", "place_id", "place", "actors", "tags", "summary", "status",
    "merged_into", "version", "n_sources", "n_claims", "disputed", "updated_seq",
)  # fmt: skip


# What a timeline row is, named column by column: the sources carry more (a key).
_T_COLUMNS = ", ".join(f"t.{column}" for column in TIMELINE_COLUMNS)

MIN_PREFIX = 3


class QueryError(ChronicleError):
    """A query that cannot be answered as asked (unknown event, bad filter…)."""


@dataclass
class TimelineFilter:
    """What the user narrowed the timeline to; every field optional."""

    start: str | None = None  # ISO date: events whose bounds reach on or after it
    end: str | None = None  # ISO date: events whose bounds begin on or before it
    actors: Sequence[str] = ()
    places: Sequence[str] = ()
    tags: Sequence[str] = ()
    search: str | None = None
    include_retracted: bool = False

    @classmethod
    def from_words(cls, start: str | None = None, end: str | None = None, **kw: Any):
        """Build from user text: dates in EDTF or plain words, by overlap of bounds."""
        try:
            lo = parse_loose(start).earliest if start else None
            hi = parse_loose(end).latest if end else None
        except DateError as err:
            raise QueryError(str(err)) from None
        return cls(start=lo, end=hi, **kw)

    @property
    def active(self) -> bool:
        return any(
            (self.start, self.end, self.actors, self.places, self.tags, self.search,
             self.include_retracted)
        )  # fmt: skip

    def describe(self) -> str:
        parts = []
        if self.start or self.end:
            parts.append(f"{self.start or '…'} – {self.end or '…'}")
        parts += [f"actor {a}" for a in self.actors] + [f"place {p}" for p in self.places]
        parts += [f"tag {t}" for t in self.tags]
        if self.search:
            parts.append(f"search “{self.search}”")
        if self.include_retracted:
            parts.append("retracted included")
        return ", ".join(parts)


# --- as-of ------------------------------------------------------------------------


def head_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM log").fetchone()[0]


def resolve_as_of(conn: sqlite3.Connection, spec: str | int | None) -> int | None:
    """A seq number, or a time (ISO date or datetime, UTC) meaning the last entry by then."""
    if spec is None or spec == "":
        return None
    text = str(spec).strip()
    head = head_seq(conn)
    if text.isdigit():
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


# --- resolving names ----------------------------------------------------------------


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


def fts_query(text: str) -> str:
    """User words as a safe FTS5 query: every word must match, the last one as a prefix.

    Each word is quoted as an FTS5 string, so operators and column filters typed
    by the user stay words; nothing the user types reaches FTS5 as syntax. A last
    word shorter than three letters is matched whole: as a prefix it matched most
    of a large store ("Za*" took 120 ms at a million entries) and said little.
    """
    words = re.findall(r"\w+", text)
    if not words:
        raise QueryError(f"nothing to search for in {text!r}")
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if len(words[-1]) >= MIN_PREFIX:
        quoted[-1] += "*"
    return " ".join(quoted)


# --- timeline -------------------------------------------------------------------------

_CURRENT_SOURCE = """
SELECT e.event_id, e.display, e.when_edtf, e.earliest, e.latest, e.precision, e.approximate,
       e.uncertain, e.title, e.place_id, e.place, e.actor_names AS actors,
       e.tags, e.summary, e.status, e.merged_into, e.version, e.n_sources, e.n_claims,
       e.disputed, e.updated_seq, e.rowid AS event_key
FROM events e"""

_AS_OF_SOURCE = """
SELECT v.event_id, v.display, v.when_edtf, v.earliest, v.latest, v.precision, v.approximate,
       v.uncertain, v.title, v.place_id, v.place, v.actor_names AS actors,
       v.tags, v.summary, v.status, v.merged_into,
       (SELECT max(subject_version) FROM log WHERE subject = v.event_id AND seq <= :as_of)
           AS version,
       v.n_sources,
       (SELECT count(*) FROM asof_claims c WHERE c.event_id = v.event_id
          AND c.status = 'active') AS n_claims,
       coalesce(f.disputed, 0) AS disputed,
       (SELECT max(seq) FROM log WHERE subject = v.event_id AND seq <= :as_of) AS updated_seq
FROM event_versions v LEFT JOIN asof_flags f ON f.event_id = v.event_id
WHERE v.from_seq <= :as_of AND (v.to_seq IS NULL OR v.to_seq > :as_of)"""


# What filtering and ordering an as-of view needs, without the claims that
# _AS_OF_SOURCE gathers for its counts and dispute flags.
_AS_OF_KEYS = """
SELECT v.event_id, v.earliest, v.latest, v.place_id, v.tags, v.status
FROM event_versions v
WHERE v.from_seq <= :as_of AND (v.to_seq IS NULL OR v.to_seq > :as_of)"""


def _as_of_ctes(restrict: str = "") -> str:
    """The claims, disputes and per-event dispute flags as of ``:as_of``.

    The flags are joined, not looked up by a correlated subquery: SQLite builds
    no index for that lookup into a materialized CTE, which made an as-of timeline
    quadratic (189 s for 32k events at 100k entries; 1.3 s joined).
    """
    claims = claims_as_of(":as_of") + restrict
    return (
        f"WITH asof_claims AS MATERIALIZED ({claims}), "
        f"asof_disputes AS MATERIALIZED ({disputes_sql('SELECT * FROM asof_claims')}), "
        "asof_flags AS MATERIALIZED (SELECT event_id, max(disputed) AS disputed "
        "FROM asof_disputes GROUP BY event_id) "
    )


def _filter_sql(
    conn: sqlite3.Connection, f: TimelineFilter, as_of: int | None, params: dict[str, Any]
) -> list[str]:
    where = [] if f.include_retracted else ["t.status = 'active'"]
    if f.start:
        where.append("(t.latest IS NULL OR t.latest >= :start)")
        params["start"] = f.start
    if f.end:
        where.append("(t.earliest IS NULL OR t.earliest <= :end)")
        params["end"] = f.end
    for i, words in enumerate(f.actors):
        ids = resolve_entities(conn, words)
        params[f"actors{i}"] = json.dumps(ids)
        where.append(_actor_clause(as_of, f"actors{i}"))
    for i, words in enumerate(f.places):
        params[f"places{i}"] = json.dumps(resolve_entities(conn, words, "place"))
        where.append(f"t.place_id IN (SELECT value FROM json_each(:places{i}))")
    for i, tag in enumerate(f.tags):
        params[f"tag{i}"] = tag
        where.append(f"EXISTS (SELECT 1 FROM json_each(t.tags) g WHERE g.value = :tag{i})")
    if f.search:
        params["fts"] = fts_query(f.search)
        if as_of is None:  # the events' rowids are the full-text keys: no hop through ids
            where.append(f"t.event_key IN ({_FTS_KEYS.format(query=':fts')})")
        else:
            where.append(f"t.event_id IN ({_FTS_MATCHES.format(query=':fts')})")
    return where


# The full-text table shares the events table's rowids, and event_keys maps them
# back to ids. Reading the UNINDEXED event_id column of the FTS table costs a lookup
# in its wide content table, and so did a lookup in the events table (400 bytes a
# row): 100 ms for a common word (50k matches at 1M entries), 40 ms through the
# narrow key table. A timeline now, which reads each match's events row anyway (its
# dates, to sort), goes from the key straight to that row: 240 -> 160 ms warm for a
# common word at a million entries, and a tenth of the time cold.
_FTS_KEYS = "SELECT rowid FROM events_fts WHERE events_fts MATCH {query}"
_FTS_MATCHES = f"SELECT x.event_id FROM event_keys x WHERE x.key IN ({_FTS_KEYS})"


def _actor_clause(as_of: int | None, name: str) -> str:
    ids = f"(SELECT value FROM json_each(:{name}))"
    if as_of is None:
        return f"t.event_id IN (SELECT event_id FROM event_actors WHERE entity_id IN {ids})"
    return (
        "EXISTS (SELECT 1 FROM event_versions av, json_each(av.actors) j "
        "WHERE av.event_id = t.event_id AND av.from_seq <= :as_of "
        "AND (av.to_seq IS NULL OR av.to_seq > :as_of) "
        f"AND json_extract(j.value, '$.entity') IN {ids})"
    )


def _timeline_sql(
    conn: sqlite3.Connection,
    f: TimelineFilter,
    as_of: int | None,
    columns: str,
    ordered: bool = True,
) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    where = _filter_sql(conn, f, as_of, params)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    order = f" ORDER BY {timeline_order('t.')}" if ordered else ""
    if as_of is None:
        return f"SELECT {columns} FROM ({_CURRENT_SOURCE}) t{clause}{order}", params
    params["as_of"] = as_of
    if columns == "t.event_id":  # ids only: no claims to gather (20 s -> 1.2 s at 1M entries)
        return f"SELECT {columns} FROM ({_AS_OF_KEYS}) t{clause}{order}", params
    return f"{_as_of_ctes()}SELECT {columns} FROM ({_AS_OF_SOURCE}) t{clause}{order}", params


def timeline(
    conn: sqlite3.Connection, f: TimelineFilter | None = None, as_of: int | None = None
) -> Iterator[dict[str, Any]]:
    """Events in chronological order (earliest, latest, event_id), filtered, as of a seq."""
    for row in timeline_values(conn, f, as_of):
        yield dict(zip(TIMELINE_COLUMNS, row, strict=True))


def timeline_values(
    conn: sqlite3.Connection, f: TimelineFilter | None = None, as_of: int | None = None
) -> Iterator[tuple]:
    """``timeline`` as bare tuples in ``TIMELINE_COLUMNS`` order, for writers of many rows."""
    sql, params = _timeline_sql(conn, f or TimelineFilter(), as_of, _T_COLUMNS)
    return iter(conn.execute(sql, params))


def filtered_events_sql(
    conn: sqlite3.Connection, f: TimelineFilter, as_of: int | None = None
) -> tuple[str, dict[str, Any]]:
    """The ids a filter keeps, unordered, as SQL and parameters to embed in ``IN (...)``.

    Lets a query over claims, disputes or history follow the timeline's filter
    without fetching the ids into Python: a million ids stay in SQLite.
    """
    return _timeline_sql(conn, f, as_of, "t.event_id", ordered=False)


def _restrict_to(
    conn: sqlite3.Connection,
    column: str,
    f: TimelineFilter | None,
    as_of: int | None,
    params: dict[str, Any],
) -> str:
    """`` AND column IN (the filtered ids)``, or nothing when there is no filter."""
    if f is None:
        return ""
    sql, filter_params = filtered_events_sql(conn, f, as_of)
    params.update(filter_params)
    return f" AND {column} IN ({sql})"


def timeline_ids(
    conn: sqlite3.Connection, f: TimelineFilter | None = None, as_of: int | None = None
) -> list[str]:
    """Just the ordered ids: what the TUI keeps to page a filtered or past timeline."""
    sql, params = _timeline_sql(conn, f or TimelineFilter(), as_of, "t.event_id")
    return [r[0] for r in conn.execute(sql, params)]


def events_by_id(
    conn: sqlite3.Connection, ids: Sequence[str], as_of: int | None = None
) -> dict[str, dict[str, Any]]:
    """Timeline rows for a page of ids, as of a seq; order is the caller's."""
    params: dict[str, Any] = {"ids": json.dumps(list(ids))}
    pick = "t.event_id IN (SELECT value FROM json_each(:ids))"
    if as_of is None:
        sql = f"SELECT {_T_COLUMNS} FROM ({_CURRENT_SOURCE}) t WHERE {pick}"
    else:
        params["as_of"] = as_of
        restrict = " AND event_id IN (SELECT value FROM json_each(:ids))"
        sql = f"{_as_of_ctes(restrict)}SELECT {_T_COLUMNS} FROM ({_AS_OF_SOURCE}) t WHERE {pick}"
    rows = (dict(zip(TIMELINE_COLUMNS, r, strict=True)) for r in conn.execute(sql, params))
    return {r["event_id"]: r for r in rows}


def timeline_count(conn: sqlite3.Connection) -> int:
    """Rows in the dense timeline order (call ``Store.ensure_order`` first)."""
    return conn.execute("SELECT coalesce(max(ord), 0) FROM timeline_order").fetchone()[0]


def timeline_page(conn: sqlite3.Connection, first: int, last: int) -> list[dict[str, Any]]:
    """Current timeline rows first..last (1-based ordinals), by keyset range on the order."""
    sql = (
        f"SELECT o.ord, {_T_COLUMNS} FROM timeline_order o JOIN ({_CURRENT_SOURCE}) t "
        "ON t.event_id = o.event_id WHERE o.ord BETWEEN ? AND ? ORDER BY o.ord"
    )
    return [
        dict(zip(("ord", *TIMELINE_COLUMNS), r, strict=True))
        for r in conn.execute(sql, (first, last))
    ]


LINE_COLUMNS = (
    "ord", "event_id", "display", "earliest", "latest", "title", "place", "status", "disputed",
)  # fmt: skip


def timeline_lines(conn: sqlite3.Connection, first: int, last: int) -> list[dict[str, Any]]:
    """``timeline_page`` cut to what one line of a timeline shows (no actors, no summary).

    A page is 256 rows scattered over the file: leaving out the actors' lookups
    reads about a third of the disk pages when the cache is cold.
    """
    sql = (
        f"SELECT o.ord, {', '.join('e.' + c for c in LINE_COLUMNS[1:])} FROM timeline_order o "
        "JOIN events e ON e.event_id = o.event_id WHERE o.ord BETWEEN ? AND ? ORDER BY o.ord"
    )
    return [dict(zip(LINE_COLUMNS, r, strict=True)) for r in conn.execute(sql, (first, last))]


def search_ids(conn: sqlite3.Connection, text: str) -> set[str]:
    rows = conn.execute(_FTS_MATCHES.format(query="?"), (fts_query(text),))
    return {r[0] for r in rows}


def corrected_ids(
    conn: sqlite3.Connection, ids: Sequence[str], as_of: int | None = None
) -> set[str]:
    """Which of these events had been corrected (by ``as_of``): a timeline marks them."""
    sql = (
        "SELECT DISTINCT t.event_id FROM event_touches t JOIN log l ON l.seq = t.seq "
        "WHERE t.event_id IN (SELECT value FROM json_each(?)) AND t.seq <= ? "
        "AND l.type = 'event.corrected'"
    )
    params = (json.dumps(list(ids)), as_of if as_of is not None else _FOREVER)
    return {r[0] for r in conn.execute(sql, params)}


# --- one event --------------------------------------------------------------------------


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


def _version_row(conn: sqlite3.Connection, event_id: str, as_of: int | None) -> dict | None:
    cols = (
        "event_id, version, from_seq, to_seq, title, when_edtf, earliest, latest, precision, "
        "approximate, uncertain, display, place_id, place, summary, tags, status, merged_into, "
        "actors, citations"
    )
    sql = f"SELECT {cols} FROM event_versions WHERE event_id = ? AND "
    args: list[Any] = [event_id]
    if as_of is None:
        sql += "to_seq IS NULL"
    else:
        sql += "from_seq <= ? AND (to_seq IS NULL OR to_seq > ?)"
        args += [as_of, as_of]
    cursor = conn.execute(sql, args)
    row = cursor.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cursor.description]
    found = dict(zip(names, row, strict=True))
    if as_of is not None and found["to_seq"] is not None and found["to_seq"] > as_of:
        found["to_seq"] = None  # replaced later, but not yet as of then
    return found


def _missing_event(conn: sqlite3.Connection, event_id: str, as_of: int | None) -> QueryError:
    """Why an event has no state to read: never recorded, or not yet as of ``as_of``."""
    exists = conn.execute("SELECT 1 FROM event_versions WHERE event_id = ?", (event_id,)).fetchone()
    if exists:
        return QueryError(f"event {event_id!r} did not exist yet as of seq {as_of}")
    return QueryError(f"unknown event {event_id!r}")


def show(conn: sqlite3.Connection, event_id: str, as_of: int | None = None) -> EventDetail:
    row = _version_row(conn, event_id, as_of)
    if row is None:
        raise _missing_event(conn, event_id, as_of)
    row["tags"] = json.loads(row["tags"])
    actors, citations = json.loads(row.pop("actors")), json.loads(row.pop("citations"))
    version = conn.execute(
        "SELECT max(subject_version) FROM log WHERE subject = ? AND seq <= ?",
        (event_id, as_of if as_of is not None else _FOREVER),
    ).fetchone()[0]
    row["version"] = version
    return EventDetail(
        event=row,
        actors=_actors(conn, actors, _FOREVER if as_of is None else as_of),
        citations=_citations(conn, citations),
        claims=claims(conn, event_id, as_of),
        disputes=list(iter_disputes(conn, as_of, event_id=event_id)),  # known to exist
        links=_links(conn, event_id, as_of, row["merged_into"]),
        history=history(conn, event_id, as_of),
        as_of=as_of,
    )


def _actors(conn: sqlite3.Connection, actors: list[dict], as_of: int) -> list[dict[str, Any]]:
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
             "role": actor.get("role"), "aliases": aliases}
        )  # fmt: skip
    return out


def _citations(conn: sqlite3.Connection, citations: list[dict]) -> list[dict[str, Any]]:
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
    restrict = _restrict_to(conn, "c.event_id", flt, as_of, params)
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
    if event_id is not None and _version_row(conn, event_id, as_of) is None:
        raise _missing_event(conn, event_id, as_of)
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
    params: dict[str, Any] = {"as_of": _FOREVER if as_of is None else as_of, "event_id": event_id}
    restrict = " AND event_id = :event_id" if event_id else ""
    restrict += _restrict_to(conn, "event_id", flt, as_of, params)
    if as_of is None:
        groups = f"SELECT * FROM dispute_groups WHERE 1{restrict}"
    else:
        groups = f"""SELECT g.*, {_TITLE_AS_OF.format(ref="g.event_id")} AS title,
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


_TITLE_AS_OF = """(SELECT v.title FROM event_versions v WHERE v.event_id = {ref}
    AND v.from_seq <= :as_of AND (v.to_seq IS NULL OR v.to_seq > :as_of))"""
_FOREVER = 1 << 62


def _links(
    conn: sqlite3.Connection, event_id: str, as_of: int | None, merged_into: str | None
) -> list[dict[str, Any]]:
    sql = f"""
    SELECT 'out', l.relation, l.target_id, {_TITLE_AS_OF.format(ref="l.target_id")}
    FROM event_links l WHERE l.event_id = :id AND l.seq <= :as_of
    UNION ALL
    SELECT 'in', l.relation, l.event_id, {_TITLE_AS_OF.format(ref="l.event_id")}
    FROM event_links l WHERE l.target_id = :id AND l.seq <= :as_of
    UNION ALL
    SELECT 'out', 'merged_into', :into, {_TITLE_AS_OF.format(ref=":into")} WHERE :into IS NOT NULL
    """
    params = {"id": event_id, "as_of": _FOREVER if as_of is None else as_of, "into": merged_into}
    keys = ("direction", "relation", "event_id", "title")
    return [dict(zip(keys, r, strict=True)) for r in conn.execute(sql, params)]


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
    params: dict[str, Any] = {"as_of": as_of if as_of is not None else _FOREVER, "id": event_id}
    restrict = _restrict_to(conn, "t.event_id", flt, as_of, params)
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


# --- the log ------------------------------------------------------------------------------

LOG_COLUMNS = ("seq", "recorded_at", "author", "type", "subject", "subject_version", "summary")


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
        args.append(start if start > 1 else _FOREVER)
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
        yield dict(zip(LOG_COLUMNS, row, strict=True))


def density(
    conn: sqlite3.Connection,
    bucket: str = "year",
    as_of: int | None = None,
    flt: TimelineFilter | None = None,
) -> list[tuple[str, int]]:
    """Events per year or month (by earliest bound): the TUI strip and the html chart.

    With a filter, the counts are those of the filtered timeline, so a chart drawn
    beside a filtered chronology describes what is shown.
    """
    width = 4 if bucket == "year" else 7
    if flt is not None:
        inner, params = _timeline_sql(conn, flt, as_of, "t.earliest", ordered=False)
        sql = (
            f"SELECT substr(earliest, 1, {width}) b, count(*) FROM ({inner}) "
            "WHERE earliest IS NOT NULL GROUP BY b ORDER BY b"
        )
        return [(r[0], r[1]) for r in conn.execute(sql, params)]
    if as_of is None:
        sql = (
            f"SELECT substr(earliest, 1, {width}) b, count(*) FROM events "
            "WHERE status = 'active' AND earliest IS NOT NULL GROUP BY b ORDER BY b"
        )
        return [(r[0], r[1]) for r in conn.execute(sql)]
    sql = (
        f"SELECT substr(earliest, 1, {width}) b, count(*) FROM event_versions "
        "WHERE from_seq <= ?1 AND (to_seq IS NULL OR to_seq > ?1) AND status = 'active' "
        "AND earliest IS NOT NULL GROUP BY b ORDER BY b"
    )
    return [(r[0], r[1]) for r in conn.execute(sql, (as_of,))]


# --- reference data and members, for exports -------------------------------------------

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
    for row in conn.execute(sql, (as_of if as_of is not None else _FOREVER,)):
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
    for row in conn.execute(sql, {"as_of": as_of if as_of is not None else _FOREVER}):
        item = dict(zip(ENTITY_COLUMNS, row, strict=True))
        item["aliases"] = json.loads(item["aliases"])
        yield item


_MEMBER_VERSION = """FROM event_versions v, json_each(v.{list}) j
    JOIN {table} n ON n.{key} = json_extract(j.value, '$.{ref}')
    WHERE v.event_id = :id AND v.from_seq <= :as_of AND (v.to_seq IS NULL OR v.to_seq > :as_of)
    ORDER BY j.key"""
_MEMBER_ACTORS = "SELECT n.entity_id, n.name, n.kind, json_extract(j.value, '$.role') " + (
    _MEMBER_VERSION.format(list="actors", table="entities", key="entity_id", ref="entity")
)
_MEMBER_CITATIONS = (
    "SELECT n.source_id, n.title, n.publisher, n.author, n.published, n.url, "
    "json_extract(j.value, '$.quote'), json_extract(j.value, '$.locator'), "
    "json_extract(j.value, '$.named_as') "
    + _MEMBER_VERSION.format(list="citations", table="sources", key="source_id", ref="source")
)
MEMBER_ACTOR_KEYS = ("entity_id", "name", "kind", "role")
MEMBER_CITATION_KEYS = (
    "source_id", "title", "publisher", "author", "published", "url", "quote", "locator",
    "named_as",
)  # fmt: skip


def event_members(
    conn: sqlite3.Connection, event_id: str, as_of: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An event's actors (named, with roles) and citations (with their sources), as of a seq.

    The part of ``show`` a written chronology needs for every event, in two
    queries rather than a few per actor and citation: a million events add up.
    """
    params = {"id": event_id, "as_of": _FOREVER if as_of is None else as_of}
    actors = [
        dict(zip(MEMBER_ACTOR_KEYS, r, strict=True)) for r in conn.execute(_MEMBER_ACTORS, params)
    ]
    citations = [
        dict(zip(MEMBER_CITATION_KEYS, r, strict=True))
        for r in conn.execute(_MEMBER_CITATIONS, params)
    ]
    return actors, citations


def display_name(conn: sqlite3.Connection, ref: str) -> str:
    """What to call an entity or source id in prose: its name or title, else the id."""
    row = conn.execute(
        "SELECT coalesce((SELECT name FROM entities WHERE entity_id = ?1),"
        " (SELECT title FROM sources WHERE source_id = ?1))",
        (ref,),
    ).fetchone()
    return row[0] or ref


# --- ad-hoc SQL -------------------------------------------------------------------------

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
