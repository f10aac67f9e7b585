"""What each export reads: rows per WHAT, and events with what a chronology shows beside them.

Every source here is a generator over a cursor, so an export of a million events
holds one event at a time. The per-event detail (actors, citations, who claims
what) costs a few indexed look-ups an event; names are looked up through a bounded
cache, which keeps memory flat however many entities a store holds.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from chronicle import queries
from chronicle.exporters.tabular import CSV_BATCH
from chronicle.schema import LOG_COLUMNS
from chronicle.wording import figure

WHATS = ("timeline", "events", "claims", "disputes", "sources", "entities", "history", "log")
FILTERED = ("timeline", "events", "claims", "disputes", "history")
EVENT_COLUMNS = (*queries.TIMELINE_COLUMNS, "citations")
NAME_CACHE = 4096


@dataclass(frozen=True)
class Scope:
    """What an export covers: a filter (None: everything) and a seq (None: now)."""

    flt: queries.TimelineFilter | None = None
    as_of: int | None = None

    @property
    def timeline_filter(self) -> queries.TimelineFilter:
        return self.flt or queries.TimelineFilter()

    @property
    def narrowing(self) -> queries.TimelineFilter | None:
        """The filter, only when it narrows anything: no filter means every event's rows."""
        return self.flt if self.flt is not None and self.flt.active else None

    def describe(self) -> str:
        parts = [f"as of seq {self.as_of}" if self.as_of is not None else "current state"]
        if self.narrowing:
            parts.append(self.narrowing.describe())
        return "; ".join(parts)


def table_rows(
    conn: sqlite3.Connection, what: str, scope: Scope, log: Callable[[int | None], Iterator[dict]]
) -> tuple[Sequence[str], Iterator[dict[str, Any]]]:
    """The columns and the row stream of a tabular export of ``what``."""
    flt, as_of = scope.narrowing, scope.as_of
    if what == "timeline":
        rows = queries.timeline(conn, scope.timeline_filter, as_of)
        return queries.TIMELINE_COLUMNS, map(_tags_listed, rows)
    if what == "events":
        return EVENT_COLUMNS, (_with_members(conn, r, as_of) for r in all_events(conn, scope))
    if what == "claims":
        return queries.CLAIM_COLUMNS, queries.iter_claims(conn, None, as_of, flt)
    if what == "disputes":
        return queries.DISPUTE_COLUMNS, queries.iter_disputes(conn, as_of, flt=flt)
    if what == "sources":
        return queries.SOURCE_COLUMNS, queries.sources(conn, as_of)
    if what == "entities":
        return queries.ENTITY_COLUMNS, queries.entities(conn, as_of)
    if what == "history":
        return ("event_id", *queries.HISTORY_COLUMNS), queries.iter_history(conn, as_of, flt=flt)
    return LOG_COLUMNS, log(as_of)


def table_values(
    conn: sqlite3.Connection, what: str, scope: Scope, log: Callable[[int | None], Iterator[dict]]
) -> tuple[Sequence[str], Iterable[Sequence[Any]]]:
    """``table_rows`` as values in column order, which is all a CSV row needs.

    The timeline's CSV takes ``timeline_utf8`` instead, straight from its cursor.
    """
    columns, rows = table_rows(conn, what, scope, log)
    return columns, map(values_in(columns), rows)


def timeline_utf8(
    conn: sqlite3.Connection, scope: Scope, size: int = CSV_BATCH
) -> Iterator[list[tuple]]:
    """The timeline's values, text as UTF-8 bytes, ``size`` rows a list: for ``write_csv_utf8``.

    Tuples straight from the cursor's ``fetchmany``: a dict per row, built only to
    be taken apart again, was a sixth of a million-event export, and three
    generators stepped once per row (this one, the count, the batching) came
    after it. The query is run first, while its filter still reads names as str; the connection
    then hands out text as bytes until the rows end or the reader stops, and gets
    its text factory back either way.
    """
    cursor = queries.timeline_values(conn, scope.timeline_filter, scope.as_of)
    factory = conn.text_factory
    conn.text_factory = bytes
    try:
        while batch := cursor.fetchmany(size):
            yield batch
    finally:
        conn.text_factory = factory


def _tags_listed(row: dict[str, Any]) -> dict[str, Any]:
    """A timeline row with its tags as the list they are, as every JSON row holds them."""
    row["tags"] = json.loads(row["tags"])
    return row


def values_in(columns: Sequence[str]) -> Callable[[dict[str, Any]], Sequence[Any]]:
    """A row's values in column order, a key it lacks being an empty cell."""
    pick = operator.itemgetter(*columns)

    def values(row: dict[str, Any]) -> Sequence[Any]:
        try:
            found = pick(row)
        except KeyError:
            return [row.get(c) for c in columns]
        return found if len(columns) > 1 else (found,)

    return values


def all_events(conn: sqlite3.Connection, scope: Scope) -> Iterator[dict[str, Any]]:
    """Events of every status (retracted and merged too), narrowed by the rest of the filter."""
    flt = dataclasses.replace(scope.timeline_filter, include_retracted=True)
    return queries.timeline(conn, flt, scope.as_of)


def _with_members(conn: sqlite3.Connection, row: dict[str, Any], as_of: int | None) -> dict:
    actors, citations = queries.event_members(conn, row["event_id"], as_of)
    row["actors"] = [
        {"entity_id": a["entity_id"], "name": a["name"], "role": a["role"]}
        | ({"side": a["side"]} if a["side"] else {})
        for a in actors
    ]
    row["citations"] = citations
    row["tags"] = json.loads(row["tags"])
    return row


# --- events as a chronology shows them ---------------------------------------------------


@dataclass
class Statement:
    """One claim in words: who says it, what figure or words, and who reports it."""

    claimant: str
    figure: str
    source: str | None
    preferred: bool

    def sentence(self) -> str:
        notes = [f"reported by {self.source}"] if self.source else []
        if self.preferred:
            notes.append("ranked preferred")
        said = f"{self.claimant} says {self.figure}"
        return f"{said} ({'; '.join(notes)})" if notes else said


@dataclass
class ClaimGroup:
    """The claims about one property of one event (killed, about the army…)."""

    property: str
    about: str | None
    disputed: bool
    low: float | None
    high: float | None
    statements: list[Statement] = field(default_factory=list)
    preferred_figure: float | None = None
    best: float | None = None  # the lowest best estimate any claim gives

    @builtins.property  # the field named property hides the builtin here
    def label(self) -> str:
        what = self.property.replace("_", " ")
        return f"{what} ({self.about})" if self.about else what

    @builtins.property  # the field named property hides the builtin here
    def heading(self) -> str:
        """“Disputed, killed (Wagner)” or “Wounded (FAMa)”: how the group is introduced."""
        return (
            f"Disputed, {self.label}" if self.disputed else self.label[:1].upper() + self.label[1:]
        )

    def prose(self) -> str:
        """“X says …, Y says …”: the sentence a reader sees for this group."""
        return "; ".join(s.sentence() for s in self.statements)


@dataclass
class EventView:
    """A timeline row with its actors, citations and claim groups."""

    row: dict[str, Any]
    actors: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    groups: list[ClaimGroup]

    @property
    def tags(self) -> list[str]:
        tags = self.row["tags"]
        return json.loads(tags) if isinstance(tags, str) else list(tags)


def event_views(
    conn: sqlite3.Connection, scope: Scope, every_status: bool = False
) -> Iterator[EventView]:
    """The chronology to write: each event of the (filtered) timeline with its detail."""
    name = functools.lru_cache(maxsize=NAME_CACHE)(functools.partial(queries.display_name, conn))
    rows = (
        all_events(conn, scope)
        if every_status
        else queries.timeline(conn, scope.timeline_filter, scope.as_of)
    )
    for row in rows:
        actors, citations = queries.event_members(conn, row["event_id"], scope.as_of)
        groups = _claim_groups(conn, row, scope.as_of, name) if row["n_claims"] else []
        yield EventView(row, actors, citations, groups)


def _claim_groups(
    conn: sqlite3.Connection, row: dict[str, Any], as_of: int | None, name: Callable[[str], str]
) -> list[ClaimGroup]:
    groups = []
    for d in queries.iter_disputes(conn, as_of, event_id=row["event_id"]):
        group = ClaimGroup(d["property"], d["about_name"], bool(d["disputed"]), d["low"], d["high"])
        for claim in d["claimants"]:
            group.statements.append(_statement(claim, name))
            if claim["rank"] == "preferred" and group.preferred_figure is None:
                group.preferred_figure = _first_figure(claim)
            if claim.get("best") is not None:
                group.best = min(
                    claim["best"], group.best if group.best is not None else claim["best"]
                )
        groups.append(group)
    return groups


def _statement(claim: dict[str, Any], name: Callable[[str], str]) -> Statement:
    source = claim.get("source")
    reporter = name(source) if source and source != claim["claimant"] else None
    return Statement(name(claim["claimant"]), figure(claim), reporter, claim["rank"] == "preferred")


def _first_figure(claim: dict[str, Any]) -> float | None:
    for key in ("best", "low", "high"):
        if claim.get(key) is not None:
            return claim[key]
    return None
