"""Carries log entries into the projection tables, inside the caller's transaction.

The rules (``rules``) decide what an entry means; this module writes it. Writes
are batched: the state of every event and claim a batch touches is kept in
memory, rows wait in per-table lists, and a flush sends each list with one
``executemany``. Reads the rules need (does this event exist? what is its current
state?) are answered from that memory first, so a batch reads its own writes
without touching SQLite. Work that depends on many rows of an event (counts,
dispute flags, the full-text document) is done once per batch, set-based, for the
events it touched. Measured on a 20k-entry log, per-entry statements were most of
the import's time; batching is what lets a million entries import at a useful rate.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import Any

from chronicle import rules
from chronicle.chain import canonical_json
from chronicle.schema import (
    LOG_COLUMN_LIST,
    SEARCH_NAMES,
    disputes_sql,
    fts_documents,
    projection_indexes,
    timeline_order,
)
from chronicle.terms import ENTRY_TYPES
from chronicle.upcasting import upcast

FLUSH_EVERY = 4096  # entries; bounds the memory a long import holds between flushes
REPLAY_CHUNK = 512  # log rows a replay reads, and looks up what they name, at once
# Events a replay keeps in memory from one flush to the next (the latest it met): a
# correction of one of them then reads nothing back. On the synthetic log half the
# corrections come within 5,000 entries of their event's assertion; a flush is 4,096.
KEPT_EVENTS = 16_384


_json = canonical_json


_EVENT_COLS = (
    "title", "when_edtf", "earliest", "latest", "precision", "approximate", "uncertain",
    "display", "place_id", "place", "summary", "tags", "status", "merged_into",
    "actor_names", "n_sources",
)  # fmt: skip
# Kept on each version for readers (the timeline's actors column, its source count),
# never part of an event's state: they follow from its actors and citations.
_DERIVED_COLS = ("actor_names", "n_sources")
_CLAIM_COLS = (
    "event_id", "claimant", "property", "about", "low", "best", "high", "unit",
    "value_text", "source_id", "quote", "rank", "status", "asserted_seq",
)  # fmt: skip


def _marks(n: int) -> str:
    return ", ".join("?" * n)


_INSERT_VERSION = (
    f"INSERT INTO event_versions (event_id, version, from_seq, to_seq, {', '.join(_EVENT_COLS)}, "
    f"actors, citations) VALUES ({_marks(len(_EVENT_COLS) + 6)})"
)
_INSERT_EVENT = (
    f"INSERT INTO events (rowid, event_id, {', '.join(_EVENT_COLS)}, version, created_seq, "
    f"updated_seq) VALUES ({_marks(len(_EVENT_COLS) + 5)})"
)
_UPDATE_EVENT = (
    f"UPDATE events SET {', '.join(c + ' = ?' for c in _EVENT_COLS)}, version = ?, updated_seq = ? "
    "WHERE event_id = ?"
)
_INSERT_CLAIM = (
    f"INSERT INTO claim_versions (claim_id, version, from_seq, to_seq, {', '.join(_CLAIM_COLS)}) "
    f"VALUES ({_marks(len(_CLAIM_COLS) + 4)})"
)

# Two kinds of touched events, refreshed apart: a correction of tags or date changes
# neither the searchable text nor the claims, and a claim changes no text. Redoing
# both for every touched event made each single append rewrite FTS pages it had
# no reason to touch.
_DIRTY = "SELECT event_id FROM temp.dirty_claims"
_TEXT_FIELDS = ("title", "summary", "place", "actors", "citations")


# Aggregates of the touched events, each computed in one grouped pass (UPDATE … FROM)
# rather than a correlated lookup per event, which grew quadratically with the batch.
# The dispute groups of the touched events are recomputed whole and stored, so that
# reading every dispute of a store is a scan (3 s at a million entries when the view
# grouped every claim on each read).
def _refresh_counts(touched: str, *, reset: bool = True) -> tuple[str, ...]:
    """The statements redoing the counts and dispute groups of the events ``touched``
    names (an SQL condition on ``event_id``); ``reset``: first clear what they had."""
    count = f"""UPDATE events SET n_claims = c.n FROM (
        SELECT event_id, count(*) AS n FROM claim_versions
        WHERE {touched} AND to_seq IS NULL AND status = 'active'
        GROUP BY event_id) AS c
    WHERE events.event_id = c.event_id"""
    group = f"""INSERT INTO dispute_groups (event_id, property, about, n_claims, n_claimants, low,
        high, claimants, disputed, title, about_name)
    SELECT d.event_id, d.property, d.about, d.n_claims, d.n_claimants, d.low, d.high,
        d.claimants, d.disputed, (SELECT title FROM events WHERE event_id = d.event_id),
        (SELECT name FROM entities WHERE entity_id = d.about)
    FROM ({disputes_sql(f"SELECT * FROM claim_versions WHERE to_seq IS NULL AND {touched}")}
    ) AS d"""
    flag = f"""UPDATE events SET disputed = 1 FROM (
        SELECT DISTINCT event_id FROM dispute_groups
        WHERE {touched} AND disputed = 1) AS d
    WHERE events.event_id = d.event_id"""
    if not reset:
        return count, group, flag
    return (
        f"UPDATE events SET n_claims = 0, disputed = 0 WHERE {touched}",
        count,
        f"DELETE FROM dispute_groups WHERE {touched}",
        group,
        flag,
    )


_REFRESH_COUNTS = _refresh_counts(f"event_id IN ({_DIRTY})")
# The same for every event at once, for a replay into empty projections: there every
# event is touched (each was asserted), so narrowing each statement to the touched
# ones through a temp table would only cost a lookup a row. The counts start at their
# defaults and there are no dispute groups yet: nothing to reset.
_COUNT_ALL = _refresh_counts("true", reset=False)

# The full-text index keeps no copy of its documents (they are composed by the
# events_fts_docs view): a document is taken out by giving FTS5 the very text it
# indexed, read before any of its inputs change, and put back once they have.
_FTS_COLUMNS = "rowid, event_id, title, summary, quotes, places, actors"
_FTS_UNINDEX = f"""
INSERT INTO events_fts (events_fts, {_FTS_COLUMNS})
SELECT 'delete', {_FTS_COLUMNS} FROM events_fts_docs
WHERE event_id IN (SELECT event_id FROM temp.unindexing)
"""
_FTS_INDEX = f"""
INSERT INTO events_fts ({_FTS_COLUMNS})
SELECT {_FTS_COLUMNS} FROM events_fts_docs WHERE event_id IN (SELECT event_id FROM temp.dirty_text)
"""

_FTS_INDEX_ALL = (
    f"INSERT INTO events_fts ({_FTS_COLUMNS}) SELECT {_FTS_COLUMNS} FROM events_fts_docs"
)


# Every document at the end of a replay: each entity's searchable names are gathered
# once into a temp table and looked up there, instead of once for every event the
# entity is in (composing the documents took half the index's time at 100k entries).
_SEARCH_NAMES_ONCE = (
    "CREATE TEMP TABLE IF NOT EXISTS search_names (entity_id TEXT PRIMARY KEY, names TEXT)",
    "DELETE FROM temp.search_names",
    f"INSERT INTO temp.search_names SELECT s.entity_id, {SEARCH_NAMES.format(ref='s.entity_id')} "
    "FROM entities s",
    f"INSERT INTO events_fts ({_FTS_COLUMNS}) SELECT {_FTS_COLUMNS} FROM ("
    f"{fts_documents('(SELECT names FROM temp.search_names WHERE entity_id = {ref})')})",
    "DROP TABLE temp.search_names",
)


def reindex_every_document(conn: sqlite3.Connection) -> None:
    """Make the full-text index anew from the documents its view composes now.

    For a copy whose rows were deleted or renumbered behind the index's back. FTS5's
    own 'rebuild' cannot do it: it refuses a content view that reads json_each.
    """
    conn.execute("INSERT INTO events_fts (events_fts) VALUES ('delete-all')")
    conn.execute(_FTS_INDEX_ALL)


# The entity -> event keys of the current versions (those ``to_seq IS NULL`` picks).
_ACTOR_KEYS = """SELECT json_extract(a.value, '$.entity'), v.event_id
    FROM event_versions v, json_each(v.actors) a WHERE v.to_seq IS NULL"""
# Those of events whose actors change, read from their current version before it is closed.
_DROP_ACTOR_KEYS = f"""
DELETE FROM event_actor_keys WHERE (entity_id, event_id) IN (
    {_ACTOR_KEYS} AND v.event_id IN (SELECT value FROM json_each(?)))
"""
# Every event's, at the end of a replay, in the table's order: each key lands after the
# last rather than somewhere inside a table that grew all run long.
_ALL_ACTOR_KEYS = (
    f"INSERT OR IGNORE INTO event_actor_keys (entity_id, event_id) {_ACTOR_KEYS} ORDER BY 1, 2"
)


@dataclass
class _Event:
    """An event's current state as this batch knows it, and what is still to write."""

    state: rules.State
    version: int
    updated_seq: int
    in_db: bool  # its events row exists in SQLite (else: inserted at flush)
    created_seq: int = 0
    row_dirty: bool = False
    row: tuple | None = None  # its events columns (``_event_row``) for its current state


@dataclass
class _Claim:
    state: rules.State
    asserted_seq: int


@dataclass
class _Unflushed:
    """Rows waiting for the next flush, in the order they must be written."""

    sources: list[tuple] = field(default_factory=list)
    entities: list[tuple] = field(default_factory=list)
    locations: list[tuple] = field(default_factory=list)  # (lat, lon, entity_id)
    close_versions: list[tuple] = field(default_factory=list)  # (to_seq, event_id) in SQLite
    versions: dict[tuple[str, int], list] = field(default_factory=dict)
    replace_members: set[str] = field(default_factory=set)  # events whose old rows go
    members: dict[str, rules.State] = field(default_factory=dict)  # event -> state to write
    close_claims: list[tuple] = field(default_factory=list)
    claims: dict[tuple[str, int], list] = field(default_factory=dict)
    links: list[tuple] = field(default_factory=list)
    touches: list[tuple] = field(default_factory=list)
    order: list[tuple] = field(default_factory=list)
    entries: int = 0


class Projector:
    """Applies entries to the projections; also answers the rules' reference questions."""

    def __init__(self, conn: sqlite3.Connection, *, fresh: bool = False) -> None:
        """``fresh``: the projections are empty and one ``finish`` ends the whole run (a
        replay). Nothing is then in the full-text index, the counts or the actor keys
        before that finish, so none of them is kept up to date batch by batch: finish
        makes each whole, once, from the rows the run wrote.
        """
        self.conn = conn
        self.fresh = fresh
        # Events whose full-text document, and whose counts and disputes, are redone at
        # finish. Each flush moves them to the temp tables of those names (dirty_text
        # then holds the events out of the full-text index until finish), so a long
        # import does not hold every event id it touched until its end.
        self.dirty_text: set[str] = set()
        self._batch_started = False
        # Whether this batch put anything in those temp tables: a batch that touched no
        # event's text (or claims) skips redoing them, so that registering a source is
        # not followed by the full-text and dispute statements over nothing.
        self._text_due = self._counts_due = False
        # Aliases wait for finish: every document taken out of the index before then
        # must read the aliases it was indexed with.
        self._alias_rows: list[tuple[str, str, int]] = []
        self.dirty_claims: set[str] = set()
        self.order_changed = False
        self._entities: dict[str, tuple[str, str]] = {}
        self._sources: set[str] = set()
        self._events: dict[str, _Event] = {}
        self._claims: dict[str, _Claim] = {}
        self._current_version: dict[str, tuple[str, int]] = {}  # event -> pending version key
        self._current_claim: dict[str, tuple[str, int]] = {}
        self._pending = _Unflushed()
        self._last_order: tuple[int, tuple] | None = None
        self._aliased: set[str] = set()
        self._absent_events: set[str] = set()  # ids known not to exist (yet)
        self._absent_claims: set[str] = set()
        self._absent_entities: set[str] = set()
        self._absent_sources: set[str] = set()
        self._dropped: list[str] = []  # indexes a bulk write made again at its finish

    def go_bulk(self) -> None:
        """Stop maintaining secondary indexes until ``finish``, which makes them anew.

        Rows of a large import land all over each index, whose inserts then cost
        more the larger the store grows; building an index once from the finished
        table is a sort. It all happens inside the caller's transaction, so a write
        that fails or is killed leaves the indexes as they were.
        """
        if self._dropped:
            return
        self._dropped = list(projection_indexes())
        for name in self._dropped:
            self.conn.execute(f"DROP INDEX {name}")

    def _restore_indexes(self) -> None:
        if not self._dropped:
            return  # the common case: reading the schema's indexes is not free
        statements = projection_indexes()
        for name in self._dropped:
            self.conn.execute(statements[name])
        self._dropped = []

    def prefetch(
        self,
        events: Set[str],
        claims: Set[str],
        entities: Set[str] = frozenset(),
        sources: Set[str] = frozenset(),
    ) -> None:
        """Learn in one query per kind what a chunk's entries will ask about.

        ``events`` and ``claims`` are loaded whole (a correction needs the state it
        corrects), ``entities`` and ``sources`` only found or not; an id not in the
        store is remembered as absent until an entry creates it. Without this, each
        question the rules or the projector ask is a query of its own: a third of a
        100k-entry import's statements were corrections loading their event, another
        half were registrations checking that their id is new.
        """
        unknown: Set[str] = events - self._events.keys() - self._absent_events
        if unknown:
            found = self._load_events(unknown)
            self._events.update(found)
            self._absent_events |= unknown - found.keys()
        unknown = claims - self._claims.keys() - self._absent_claims
        if unknown:
            found_claims = self._load_claims(unknown)
            self._claims.update(found_claims)
            self._absent_claims |= unknown - found_claims.keys()
        unknown = entities - self._entities.keys() - self._absent_entities
        if unknown:
            rows = self._rows_in("SELECT entity_id, kind, name FROM entities", "entity_id", unknown)
            for entity_id, kind, name in rows:
                self._entities[entity_id] = (kind, name)
            self._absent_entities |= unknown - self._entities.keys()
        unknown = sources - self._sources - self._absent_sources
        if unknown:
            self._sources.update(
                r[0] for r in self._rows_in("SELECT source_id FROM sources", "source_id", unknown)
            )
            self._absent_sources |= unknown - self._sources

    def _rows_in(self, select: str, column: str, ids: Set[str]) -> sqlite3.Cursor:
        """``select`` narrowed to the rows whose ``column`` is one of ``ids``: one statement."""
        where = "WHERE" if " WHERE " not in select else "AND"
        return self.conn.execute(
            f"{select} {where} {column} IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(ids)),),
        )

    # --- Lookup (memory first, then SQLite) -------------------------------------------

    def event_status(self, event_id: str) -> str | None:
        found = self._event(event_id)
        return found.state["status"] if found else None

    def _entity(self, entity_id: str) -> tuple[str, str] | None:
        found = self._entities.get(entity_id)
        if found is None:
            if entity_id in self._absent_entities:
                return None
            row = self.conn.execute(
                "SELECT kind, name FROM entities WHERE entity_id = ?", (entity_id,)
            ).fetchone()
            if row is None:
                return None
            found = self._entities[entity_id] = (row[0], row[1])
        return found

    def entity_kind(self, entity_id: str) -> str | None:
        found = self._entity(entity_id)
        return found[0] if found else None

    def has_source(self, source_id: str) -> bool:
        if source_id in self._sources:
            return True
        if source_id in self._absent_sources:
            return False
        row = self.conn.execute("SELECT 1 FROM sources WHERE source_id = ?", (source_id,))
        if row.fetchone():
            self._sources.add(source_id)
            return True
        return False

    def claim_status(self, claim_id: str) -> str | None:
        found = self._claim(claim_id)
        return found.state["status"] if found else None

    def _event(self, event_id: str) -> _Event | None:
        found = self._events.get(event_id)
        if found is None and event_id not in self._absent_events:
            found = self._load_event(event_id)
            if found is not None:
                self._events[event_id] = found
        return found

    def _known_event(self, event_id: str) -> _Event:
        """An event the rules already found (``rules.check_references`` runs before apply)."""
        found = self._event(event_id)
        if found is None:
            raise LookupError(f"projecting an entry about unknown event {event_id!r}")
        return found

    def _known_name(self, entity_id: str) -> str:
        """An entity's name; the rules already found the entity."""
        found = self._entity(entity_id)
        if found is None:
            raise LookupError(f"projecting an entry about unknown entity {entity_id!r}")
        return found[1]

    def _load_event(self, event_id: str) -> _Event | None:
        return self._load_events({event_id}).get(event_id)

    def _load_events(self, event_ids: Set[str]) -> dict[str, _Event]:
        rows = self._rows_in(
            f"SELECT v.event_id, v.{', v.'.join(_EVENT_COLS)}, v.actors, v.citations, "
            "e.version, e.updated_seq, e.created_seq FROM event_versions v "
            "JOIN events e ON e.event_id = v.event_id WHERE v.to_seq IS NULL",
            "v.event_id",
            event_ids,
        )
        found = {}
        for row in rows:
            event_id = row[0]
            state = dict(zip((*_EVENT_COLS, "actors", "citations"), row[1:-3], strict=True))
            row_values = tuple(state[c] for c in _EVENT_COLS)
            for derived in _DERIVED_COLS:
                del state[derived]
            state["event_id"] = event_id
            state["place"] = state.pop("place_id")
            for key in ("tags", "actors", "citations"):
                state[key] = json.loads(state[key])
            state["approximate"] = bool(state["approximate"])
            state["uncertain"] = bool(state["uncertain"])
            found[event_id] = _Event(
                state, row[-3], row[-2], in_db=True, created_seq=row[-1], row=row_values
            )
        return found

    def _claim(self, claim_id: str) -> _Claim | None:
        found = self._claims.get(claim_id)
        if found is None and claim_id not in self._absent_claims:
            found = self._load_claims({claim_id}).get(claim_id)
            if found is not None:
                self._claims[claim_id] = found
        return found

    def _load_claims(self, claim_ids: Set[str]) -> dict[str, _Claim]:
        rows = self._rows_in(
            f"SELECT {', '.join(_CLAIM_COLS)}, claim_id FROM claim_versions WHERE to_seq IS NULL",
            "claim_id",
            claim_ids,
        )
        found = {}
        for row in rows:
            state = dict(zip(_CLAIM_COLS, row[:-1], strict=True))
            state["source"] = state.pop("source_id")
            state["claim_id"] = row[-1]
            found[row[-1]] = _Claim(state, state.pop("asserted_seq"))
        return found

    # --- applying -------------------------------------------------------------------

    def apply(self, seq: int, entry_type: str, data: dict[str, Any], version: int) -> None:
        for event_id in HANDLERS[entry_type](self, seq, data, version):
            self._pending.touches.append((event_id, seq))
        self._pending.entries += 1
        if self._pending.entries >= FLUSH_EVERY:
            self.flush()

    def _source_registered(self, seq: int, d: dict[str, Any], _v: int) -> list[str]:
        bounds = d.get("published_bounds") or {}
        self._pending.sources.append((
            d["source_id"], d["title"], d.get("publisher"), d.get("author"),
            d.get("published"), bounds.get("earliest"), d.get("url"), d.get("language"),
            d["kind"], d.get("locator"), seq,
        ))  # fmt: skip
        self._sources.add(d["source_id"])
        return []

    def _entity_registered(self, seq: int, d: dict[str, Any], _v: int) -> list[str]:
        self._pending.entities.append(
            (d["entity_id"], d["kind"], d["name"], d.get("description"),
             d.get("lat"), d.get("lon"), seq)
        )  # fmt: skip
        self._alias_rows.extend((d["entity_id"], alias, seq) for alias in d["aliases"])
        self._entities[d["entity_id"]] = (d["kind"], d["name"])
        return []

    def _entity_located(self, seq: int, d: dict[str, Any], _v: int) -> list[str]:
        self._pending.locations.append((d["lat"], d["lon"], d["entity_id"]))
        return []

    def _entity_aliased(self, seq: int, d: dict[str, Any], _v: int) -> list[str]:
        self._alias_rows.append((d["entity_id"], d["alias"], seq))
        self._aliased.add(d["entity_id"])  # its events' search text is redone at finish
        return []

    # events

    def _event_row(self, state: rules.State) -> tuple:
        entities = self._entities
        place = state["place"]
        try:
            place_name = entities[place][1] if place else None
            names = [entities[a["entity"]][1] for a in state["actors"]]
        except KeyError:  # not cached: the rules found them, so SQLite has them
            place_name = self._known_name(place) if place else None
            names = [self._known_name(a["entity"]) for a in state["actors"]]
        return (
            state["title"], state["when_edtf"], state["earliest"], state["latest"],
            state["precision"], int(state["approximate"]), int(state["uncertain"]),
            state["display"], place, place_name, state["summary"],
            _json(state["tags"]), state["status"], state["merged_into"],
            "; ".join(names) if names else None,
            len({c["source"] for c in state["citations"]}),
        )  # fmt: skip

    def _add_version(self, event: _Event, version: int, seq: int, state: rules.State) -> None:
        """Queue ``state`` as the event's new version; its columns are worked out once."""
        event_id = state["event_id"]
        key = (event_id, version)
        event.row = self._event_row(state)
        self._pending.versions[key] = [
            event_id, version, seq, None, *event.row,
            _json(state["actors"]), _json(state["citations"]),
        ]  # fmt: skip
        self._current_version[event_id] = key

    def _event_asserted(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        state = rules.asserted_state(d)
        event_id = state["event_id"]
        self._absent_events.discard(event_id)
        event = self._events[event_id] = _Event(
            state, version, seq, in_db=False, created_seq=seq, row_dirty=True
        )
        self._add_version(event, version, seq, state)
        self._pending.members[event_id] = state
        self._note_order_insert(state)
        self.dirty_text.add(event_id)
        self.dirty_claims.add(event_id)
        return [event_id]

    def _note_order_insert(self, state: rules.State) -> None:
        """Append to the dense timeline order when the event sorts last; else mark it stale."""
        if self.order_changed:
            return
        if self._last_order is None:
            if not order_is_fresh(self.conn):
                self.order_changed = True
                return
            last = self.conn.execute(
                "SELECT o.ord, e.earliest, e.latest, e.event_id FROM timeline_order o "
                "JOIN events e ON e.event_id = o.event_id ORDER BY o.ord DESC LIMIT 1"
            ).fetchone()
            self._last_order = (last[0], rules.timeline_key(*last[1:])) if last else (0, ())
        ord_, last_key = self._last_order
        key = rules.timeline_key(state["earliest"], state["latest"], state["event_id"])
        if key > last_key:
            self._pending.order.append((ord_ + 1, state["event_id"]))
            self._last_order = (ord_ + 1, key)
        else:
            self.order_changed = True

    def _new_event_version(self, seq: int, version: int, event: _Event, new: rules.State) -> None:
        old = event.state
        event_id = new["event_id"]
        key = self._current_version.get(event_id)
        if key is not None and key in self._pending.versions:
            self._pending.versions[key][3] = seq
        else:
            self._pending.close_versions.append((seq, event_id))
        self._add_version(event, version, seq, new)
        if old["actors"] != new["actors"] or old["citations"] != new["citations"]:
            if event.in_db:
                self._pending.replace_members.add(event_id)
            self._pending.members[event_id] = new
        if any(old[f] != new[f] for f in ("earliest", "latest", "status")):
            self.order_changed = True
        event.state, event.version, event.updated_seq = new, version, seq
        event.row_dirty = True
        if any(old[f] != new[f] for f in _TEXT_FIELDS):
            self.dirty_text.add(event_id)
        if old["title"] != new["title"]:
            self.dirty_claims.add(event_id)  # its dispute groups carry the title

    def _event_corrected(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        event = self._known_event(d["event_id"])
        self._new_event_version(seq, version, event, rules.corrected_state(event.state, d))
        return [d["event_id"]]

    def _event_retracted(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        event = self._known_event(d["event_id"])
        self._new_event_version(seq, version, event, rules.retracted_state(event.state, d))
        return [d["event_id"]]

    def _event_merged(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        event = self._known_event(d["event_id"])
        self._new_event_version(seq, version, event, rules.merged_state(event.state, d["into"]))
        self.dirty_claims.add(d["into"])
        return [d["event_id"], d["into"]]

    def _event_linked(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        self._pending.links.append((d["event_id"], d["relation"], d["target"], seq))
        event = self._known_event(d["event_id"])
        event.version, event.updated_seq, event.row_dirty = version, seq, True
        return [d["event_id"], d["target"]]

    # claims

    def _add_claim_version(self, claim_id: str, version: int, seq: int, claim: _Claim) -> None:
        values = {**claim.state, "source_id": claim.state["source"],
                  "asserted_seq": claim.asserted_seq}  # fmt: skip
        key = (claim_id, version)
        self._pending.claims[key] = [claim_id, version, seq, None,
                                     *(values[c] for c in _CLAIM_COLS)]  # fmt: skip
        self._current_claim[claim_id] = key
        self.dirty_claims.add(claim.state["event_id"])

    def _claim_asserted(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        self._absent_claims.discard(d["claim_id"])
        claim = self._claims[d["claim_id"]] = _Claim(rules.claim_state(d), seq)
        self._add_claim_version(d["claim_id"], version, seq, claim)
        return [d["event_id"]]

    def _new_claim_version(
        self, seq: int, version: int, claim_id: str, change: Callable[[rules.State], rules.State]
    ) -> list[str]:
        claim = self._claim(claim_id)
        if claim is None:
            raise LookupError(f"projecting an entry about unknown claim {claim_id!r}")
        key = self._current_claim.get(claim_id)
        if key is not None and key in self._pending.claims:
            self._pending.claims[key][3] = seq
        else:
            self._pending.close_claims.append((seq, claim_id))
        claim.state = change(claim.state)
        self._add_claim_version(claim_id, version, seq, claim)
        return [claim.state["event_id"]]

    def _claim_ranked(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        return self._new_claim_version(
            seq, version, d["claim_id"], lambda s: rules.ranked_claim(s, d["rank"])
        )

    def _claim_retracted(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        return self._new_claim_version(seq, version, d["claim_id"], rules.retracted_claim)

    # --- writing ----------------------------------------------------------------------

    def flush(self) -> None:
        """Send every waiting row to SQLite, one executemany per table."""
        p, many = self._pending, self.conn.executemany
        self._before_changes(p)
        many("INSERT INTO sources VALUES (?,?,?,?,?,?,?,?,?,?,?)", p.sources)
        many("INSERT INTO entities VALUES (?,?,?,?,?,?,?)", p.entities)
        many("UPDATE entities SET lat = ?, lon = ? WHERE entity_id = ?", p.locations)
        many(
            "UPDATE event_versions SET to_seq = ? WHERE event_id = ? AND to_seq IS NULL",
            p.close_versions,
        )
        many(_INSERT_VERSION, p.versions.values())
        self._write_events()
        self._write_members()
        many(
            "UPDATE claim_versions SET to_seq = ? WHERE claim_id = ? AND to_seq IS NULL",
            p.close_claims,
        )
        many(_INSERT_CLAIM, p.claims.values())
        many("INSERT INTO event_links VALUES (?, ?, ?, ?)", p.links)
        many("INSERT OR IGNORE INTO event_touches (event_id, seq) VALUES (?, ?)", p.touches)
        many("INSERT INTO timeline_order (ord, event_id) VALUES (?, ?)", p.order)
        self._pending = _Unflushed()
        if self.fresh:  # nothing but this run writes them: what is kept stays true
            self._forget_oldest_events()
        else:
            self._events.clear()
        self._claims.clear()
        self._current_version.clear()
        self._current_claim.clear()

    def _forget_oldest_events(self) -> None:
        """Keep the ``KEPT_EVENTS`` events last met (created or read), all written now."""
        excess = len(self._events) - KEPT_EVENTS
        if excess > 0:
            for event_id in list(itertools.islice(self._events, excess)):
                del self._events[event_id]

    def _start_batch(self) -> None:
        """Empty the temp tables of touched events before a batch first fills them."""
        if self._batch_started:
            return
        for table in ("dirty_text", "dirty_claims", "unindexing"):
            self.conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {table} (event_id TEXT PRIMARY KEY)"
            )
            self.conn.execute(f"DELETE FROM temp.{table}")
        self._batch_started = True

    def _before_changes(self, p: _Unflushed) -> None:
        """Take out what the rows about to change were read into: documents, actor keys."""
        if self.fresh:  # nothing is indexed or counted yet (see __init__)
            self.dirty_text.clear()
            self.dirty_claims.clear()
            return
        if self.dirty_text:
            self._unindex("SELECT value FROM json_each(?)", (json.dumps(sorted(self.dirty_text)),))
            self.dirty_text.clear()
        if self.dirty_claims:
            self._start_batch()
            self.conn.executemany(
                "INSERT OR IGNORE INTO temp.dirty_claims VALUES (?)",
                [(e,) for e in self.dirty_claims],
            )
            self._counts_due = True
        self.dirty_claims.clear()
        if p.replace_members:
            self.conn.execute(_DROP_ACTOR_KEYS, (json.dumps(sorted(p.replace_members)),))

    def _unindex(self, events: str, args: tuple = ()) -> None:
        """Take the documents of the events the query ``events`` gives out of the full-text
        index until finish, those not already out (FTS5 can remove a text only once).

        Only events already in SQLite are in the index (one asserted in this batch
        is not yet): the statement finds no document for the others.
        """
        self._start_batch()
        self._text_due = True
        self.conn.execute("DELETE FROM temp.unindexing")
        self.conn.execute(f"INSERT OR IGNORE INTO temp.unindexing {events}", args)
        self.conn.execute(
            "DELETE FROM temp.unindexing WHERE event_id IN (SELECT event_id FROM temp.dirty_text)"
        )
        self.conn.execute(_FTS_UNINDEX)
        self.conn.execute("INSERT INTO temp.dirty_text SELECT event_id FROM temp.unindexing")

    def _write_events(self) -> None:
        inserts, updates = [], []
        key = None
        for event_id, event in self._events.items():
            if not event.row_dirty:
                continue
            row = event.row if event.row is not None else self._event_row(event.state)
            if event.in_db:
                updates.append((*row, event.version, event.updated_seq, event_id))
            else:
                key = self._last_key() if key is None else key
                key += 1
                inserts.append((key, event_id, *row, event.version, event.created_seq,
                                event.updated_seq))  # fmt: skip
                event.in_db = True
            event.row_dirty = False
        self.conn.executemany(_INSERT_EVENT, inserts)
        self.conn.executemany(_UPDATE_EVENT, updates)
        self.conn.executemany("INSERT INTO event_keys VALUES (?, ?)", (r[:2] for r in inserts))

    def _last_key(self) -> int:
        """The events' largest rowid, asked at each flush: a rolled-back batch leaves none."""
        return self.conn.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0]

    def _write_members(self) -> None:
        """The entity -> event keys of the events whose actors are new or changed."""
        if self.fresh:  # finish writes every event's at once (see __init__)
            return
        keys = {
            (event_id, a["entity"])
            for event_id, state in self._pending.members.items()
            for a in state["actors"]
        }
        self.conn.executemany("INSERT INTO event_actor_keys VALUES (?, ?)", sorted(keys))

    # --- finishing a batch ----------------------------------------------------------

    def finish(self, checkpoint: int) -> None:
        """Flush, refresh what depends on many rows of the touched events, checkpoint."""
        self.flush()
        self._restore_indexes()
        self._write_aliases()
        if self.fresh:
            self._finish_fresh()
        else:
            due = (_REFRESH_COUNTS if self._counts_due else ()) + (
                (_FTS_INDEX,) if self._text_due else ()
            )
            for statement in due:
                self.conn.execute(statement)
        self._batch_started = self._text_due = self._counts_due = False
        meta = [("checkpoint", checkpoint)]
        if self.order_changed:
            meta.append(("order_fresh", 0))
            self.order_changed = False
        self.conn.executemany("INSERT OR REPLACE INTO projection_meta VALUES (?, ?)", meta)

    def _write_aliases(self) -> None:
        """Write the batch's aliases, first taking out the documents that gain them.

        An alias is searchable text of every event with its entity as an actor or
        as the place: those documents leave the index with the names they had.
        """
        if self._aliased and not self.fresh:
            self._unindex(
                "SELECT event_id FROM event_actor_keys "
                "WHERE entity_id IN (SELECT value FROM json_each(?1)) "
                "UNION SELECT event_id FROM events "
                "WHERE place_id IN (SELECT value FROM json_each(?1))",
                (json.dumps(sorted(self._aliased)),),
            )
            self._aliased.clear()
        self.conn.executemany("INSERT OR IGNORE INTO entity_aliases VALUES (?, ?, ?)",
                              self._alias_rows)  # fmt: skip
        self._alias_rows = []

    def _finish_fresh(self) -> None:
        """Make whole what a fresh run left to its end: actor keys, counts, full text."""
        for statement in (_ALL_ACTOR_KEYS, *_COUNT_ALL, *_SEARCH_NAMES_ONCE):
            self.conn.execute(statement)
        self._aliased.clear()


# What each entry type does to the projections, by type: every type of the
# vocabulary has exactly one handler, checked below when the module loads, so a type
# added to the vocabulary without a projection fails at import, not at its first append.
Handler = Callable[[Projector, int, dict[str, Any], int], list[str]]
HANDLERS: dict[str, Handler] = {
    "source.registered": Projector._source_registered,
    "entity.registered": Projector._entity_registered,
    "entity.aliased": Projector._entity_aliased,
    "entity.located": Projector._entity_located,
    "event.asserted": Projector._event_asserted,
    "event.corrected": Projector._event_corrected,
    "event.retracted": Projector._event_retracted,
    "event.merged": Projector._event_merged,
    "event.linked": Projector._event_linked,
    "claim.asserted": Projector._claim_asserted,
    "claim.ranked": Projector._claim_ranked,
    "claim.retracted": Projector._claim_retracted,
}


def _check_handlers() -> None:
    missing, extra = set(ENTRY_TYPES) - HANDLERS.keys(), HANDLERS.keys() - set(ENTRY_TYPES)
    if missing or extra:
        raise ImportError(
            f"projector handlers do not match the vocabulary: missing {sorted(missing)}, "
            f"unknown {sorted(extra)}"
        )


_check_handlers()


def order_is_fresh(conn: sqlite3.Connection) -> bool:
    """Whether the dense timeline ordinal is current, so pages can be read by range."""
    row = conn.execute("SELECT value FROM projection_meta WHERE key = 'order_fresh'").fetchone()
    return bool(row and row[0])


def rebuild_order(conn: sqlite3.Connection) -> None:
    """Renumber the dense chronological ordinal that timeline paging reads by range."""
    conn.execute("DELETE FROM timeline_order")
    conn.execute(
        "INSERT INTO timeline_order (ord, event_id) "
        f"SELECT row_number() OVER (ORDER BY {timeline_order()}), event_id "
        f"FROM events WHERE status = 'active' ORDER BY {timeline_order()}"
    )
    conn.execute("INSERT OR REPLACE INTO projection_meta VALUES ('order_fresh', 1)")


def replay(
    conn: sqlite3.Connection,
    log: str = "log",
    check: Callable[[list[tuple]], None] | None = None,
) -> int:
    """Apply every entry of the table ``log`` to empty projections; returns the last seq.

    ``log`` is the store's own log for a rebuild, or an attached store's
    (``live.log``) for a check against it. Nothing is parsed or validated again:
    what each entry understood when it was written is what it means now. ``check``
    is handed each chunk of log rows (every column, in ``LOG_COLUMNS`` order) before
    any of it is applied, and may stop the replay by raising: a rebuild walks the
    chain that way in the same read of the log.
    """
    projector = Projector(conn, fresh=True)
    projector.go_bulk()  # before the log is read: an open read blocks DROP INDEX
    last = 0
    rows = conn.execute(f"SELECT {LOG_COLUMN_LIST} FROM {log} ORDER BY seq")
    while chunk := rows.fetchmany(REPLAY_CHUNK):
        if check is not None:
            check(chunk)
        entries = [
            (seq, entry_type, upcast(entry_type, schema, json.loads(data)), version)
            for seq, _, entry_type, _, version, _, _, schema, data, _, _ in chunk
        ]
        # The events and claims the chunk changes, loaded at once (see ``prefetch``).
        named = rules.Referenced()
        for _, entry_type, data, _ in entries:
            if entry_type != "event.asserted" and entry_type != "claim.asserted":
                named.add(entry_type, data)
        projector.prefetch(named.events, named.claims)
        for seq, entry_type, data, version in entries:
            projector.apply(seq, entry_type, data, version)
        last = chunk[-1][0]
    projector.finish(last)
    rebuild_order(conn)
    return last
