"""The timeline: events in chronological order, filtered, as of a seq; its pages and counts.

"Now" reads the current-state tables, "as of N" the version tables through their
(from_seq, to_seq) ranges, never a replay.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from chronicle import geo
from chronicle.dates import DateError, parse_loose
from chronicle.queries.common import FOREVER, QueryError
from chronicle.queries.reference import resolve_entities
from chronicle.schema import as_of_span, claims_as_of, disputes_sql, timeline_order

TIMELINE_COLUMNS = (
    "event_id", "display", "when_edtf", "earliest", "latest", "precision", "approximate",
    "uncertain", "title", "place_id", "place", "actors", "tags", "summary", "status",
    "merged_into", "version", "n_sources", "n_claims", "disputed", "updated_seq",
)  # fmt: skip


# What a timeline row is, named column by column: the sources carry more (a key).
_T_COLUMNS = ", ".join(f"t.{column}" for column in TIMELINE_COLUMNS)

MIN_PREFIX = 3


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
    area: geo.Area | None = None  # cells picked on the map

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
             self.include_retracted, self.area)
        )  # fmt: skip

    def describe(self) -> str:
        parts = []
        if self.start or self.end:
            parts.append(f"{self.start or '…'} – {self.end or '…'}")
        parts += [f"actor {a}" for a in self.actors] + [f"place {p}" for p in self.places]
        parts += [f"tag {t}" for t in self.tags]
        if self.area:
            parts.append(self.area.describe())
        if self.search:
            parts.append(f"search “{self.search}”")
        if self.include_retracted:
            parts.append("retracted included")
        return ", ".join(parts)


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


_CURRENT_SOURCE = """
SELECT e.event_id, e.display, e.when_edtf, e.earliest, e.latest, e.precision, e.approximate,
       e.uncertain, e.title, e.place_id, e.place, e.actor_names AS actors,
       e.tags, e.summary, e.status, e.merged_into, e.version, e.n_sources, e.n_claims,
       e.disputed, e.updated_seq, e.rowid AS event_key
FROM events e"""

# An event's claims as of ``:as_of``, inside a query whose event version row is ``v``.
_EVENT_CLAIMS_AS_OF = claims_as_of(":as_of") + " AND event_id = v.event_id"

# Each event's version row as of ``:as_of``, with what that row does not hold looked up
# for the row alone: its version and last entry in the log, its claims and whether
# they dispute. Nothing is gathered for the whole store before the first row, so the
# rows can be read in order from ``event_versions_order``: the first 256 rows of a
# timeline as of the head of a 200,000-entry store came after 2.2 s (every claim, every
# dispute and a sort of the whole result first), now after 18 ms. The whole result
# takes about as long as before (2.8 s).
_AS_OF_SOURCE = f"""
SELECT v.event_id, v.display, v.when_edtf, v.earliest, v.latest, v.precision, v.approximate,
       v.uncertain, v.title, v.place_id, v.place, v.actor_names AS actors,
       v.tags, v.summary, v.status, v.merged_into,
       (SELECT max(subject_version) FROM log WHERE subject = v.event_id AND seq <= :as_of)
           AS version,
       v.n_sources,
       (SELECT count(*) FROM ({_EVENT_CLAIMS_AS_OF}) WHERE status = 'active') AS n_claims,
       (SELECT coalesce(max(disputed), 0) FROM ({disputes_sql(_EVENT_CLAIMS_AS_OF)}))
           AS disputed,
       (SELECT max(seq) FROM log WHERE subject = v.event_id AND seq <= :as_of) AS updated_seq,
       v.actors AS actor_refs
FROM event_versions v
WHERE {as_of_span("v")}"""


# What filtering and ordering an as-of view needs, without the claims that
# _AS_OF_SOURCE looks up for its counts and dispute flags.
_AS_OF_KEYS = """
SELECT v.event_id, v.earliest, v.latest, v.place_id, v.tags, v.status, v.actors AS actor_refs
FROM event_versions v
WHERE """ + as_of_span("v")


_AS_OF_KEY_COLUMNS = {f"t.{c}" for c in ("event_id", "earliest", "latest", "place_id", "tags")}


def _filter_sql(
    conn: sqlite3.Connection,
    f: TimelineFilter,
    as_of: int | None,
    params: dict[str, Any],
    ordered: bool = True,
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
    if f.area:
        params.update(f.area.params())
        located = geo.area_sql("lat", "lon")
        where.append(f"t.place_id IN (SELECT entity_id FROM entities WHERE {located})")
    if f.search:
        params["fts"] = fts_query(f.search)
        if as_of is None:  # the events' rowids are the full-text keys: no hop through ids
            where.append(f"t.event_key IN ({_FTS_KEYS.format(query=':fts')})")
        else:
            # In order, the matches are a set each row of the ordered index is tried
            # against (the unary + keeps SQLite from starting at the matches and sorting
            # them all, 50,000 for a common word at a million entries, before a row).
            key = "+t.event_id" if ordered else "t.event_id"
            where.append(f"{key} IN ({_FTS_MATCHES.format(query=':fts')})")
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
        return f"t.event_id IN (SELECT event_id FROM event_actor_keys WHERE entity_id IN {ids})"
    # The row's own version holds its actors then: no second look-up of that version.
    return (
        "EXISTS (SELECT 1 FROM json_each(t.actor_refs) j "
        f"WHERE json_extract(j.value, '$.entity') IN {ids})"
    )


def timeline_sql(
    conn: sqlite3.Connection,
    f: TimelineFilter,
    as_of: int | None,
    columns: str,
    ordered: bool = True,
) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    where = _filter_sql(conn, f, as_of, params, ordered)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    order = f" ORDER BY {timeline_order('t.')}" if ordered else ""
    if as_of is None:
        return f"SELECT {columns} FROM ({_CURRENT_SOURCE}) t{clause}{order}", params
    params["as_of"] = as_of
    if set(columns.split(", ")) <= _AS_OF_KEY_COLUMNS:  # no claims to look up
        return f"SELECT {columns} FROM ({_AS_OF_KEYS}) t{clause}{order}", params
    return f"SELECT {columns} FROM ({_AS_OF_SOURCE}) t{clause}{order}", params


def timeline(
    conn: sqlite3.Connection, f: TimelineFilter | None = None, as_of: int | None = None
) -> Iterator[dict[str, Any]]:
    """Events in chronological order (earliest, latest, event_id), filtered, as of a seq."""
    for row in timeline_values(conn, f, as_of):
        yield dict(zip(TIMELINE_COLUMNS, row, strict=True))


def timeline_values(
    conn: sqlite3.Connection, f: TimelineFilter | None = None, as_of: int | None = None
) -> sqlite3.Cursor:
    """``timeline`` as bare tuples in ``TIMELINE_COLUMNS`` order, for writers of many rows."""
    sql, params = timeline_sql(conn, f or TimelineFilter(), as_of, _T_COLUMNS)
    return conn.execute(sql, params)


def filtered_events_sql(
    conn: sqlite3.Connection, f: TimelineFilter, as_of: int | None = None
) -> tuple[str, dict[str, Any]]:
    """The ids a filter keeps, unordered, as SQL and parameters to embed in ``IN (...)``.

    Lets a query over claims, disputes or history follow the timeline's filter
    without fetching the ids into Python: a million ids stay in SQLite.
    """
    return timeline_sql(conn, f, as_of, "t.event_id", ordered=False)


def restrict_to(
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
    sql, params = timeline_sql(conn, f or TimelineFilter(), as_of, "t.event_id")
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
        sql = f"SELECT {_T_COLUMNS} FROM ({_AS_OF_SOURCE}) t WHERE {pick}"
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
    params = (json.dumps(list(ids)), as_of if as_of is not None else FOREVER)
    return {r[0] for r in conn.execute(sql, params)}


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
        inner, params = timeline_sql(conn, flt, as_of, "t.earliest", ordered=False)
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
        f"WHERE {as_of_span(seq='?1')} AND status = 'active' "
        "AND earliest IS NOT NULL GROUP BY b ORDER BY b"
    )
    return [(r[0], r[1]) for r in conn.execute(sql, (as_of,))]
