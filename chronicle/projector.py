"""Carries log entries into the projection tables, inside the caller's transaction.

The rules (``rules``) decide what an entry means; this module writes it. Work
that depends on many rows of an event (source and claim counts, dispute flags,
the full-text document) is not redone per entry: touched events are collected
and refreshed with one set-based statement each when the batch finishes, so an
import of a million entries pays for it once per batch, not once per entry.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chronicle import rules
from chronicle.schema import disputes_sql, timeline_order


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


_EVENT_COLS = (
    "title", "when_edtf", "earliest", "latest", "precision", "approximate", "uncertain",
    "display", "place_id", "place", "summary", "tags", "status", "merged_into",
)  # fmt: skip
_CLAIM_COLS = (
    "event_id", "claimant", "property", "about", "low", "best", "high", "unit",
    "value_text", "source_id", "quote", "rank", "status", "asserted_seq",
)  # fmt: skip

_INSERT_VERSION = (
    f"INSERT INTO event_versions (event_id, version, from_seq, to_seq, {', '.join(_EVENT_COLS)}, "
    f"actors, citations) VALUES ({', '.join('?' * (len(_EVENT_COLS) + 6))})"
)
_INSERT_EVENT = (
    f"INSERT INTO events (event_id, {', '.join(_EVENT_COLS)}, version, created_seq, updated_seq) "
    f"VALUES ({', '.join('?' * (len(_EVENT_COLS) + 4))})"
)
_UPDATE_EVENT = (
    f"UPDATE events SET {', '.join(c + ' = ?' for c in _EVENT_COLS)}, version = ?, updated_seq = ? "
    "WHERE event_id = ?"
)
_INSERT_CLAIM = (
    f"INSERT INTO claim_versions (claim_id, version, from_seq, to_seq, {', '.join(_CLAIM_COLS)}) "
    f"VALUES ({', '.join('?' * (len(_CLAIM_COLS) + 4))})"
)

_DIRTY = "SELECT event_id FROM temp.dirty_events"

# Aggregates of the touched events, each computed in one grouped pass (UPDATE … FROM)
# rather than a correlated lookup per event, which grew quadratically with the batch.
_REFRESH_COUNTS = (
    f"UPDATE events SET n_sources = 0, n_claims = 0, disputed = 0 WHERE event_id IN ({_DIRTY})",
    f"""UPDATE events SET n_sources = c.n FROM (
        SELECT event_id, count(DISTINCT source_id) AS n FROM event_citations
        WHERE event_id IN ({_DIRTY}) GROUP BY event_id) AS c
    WHERE events.event_id = c.event_id""",
    f"""UPDATE events SET n_claims = c.n FROM (
        SELECT event_id, count(*) AS n FROM claim_versions
        WHERE event_id IN ({_DIRTY}) AND to_seq IS NULL AND status = 'active'
        GROUP BY event_id) AS c
    WHERE events.event_id = c.event_id""",
    f"""UPDATE events SET disputed = d.disputed FROM (
        SELECT event_id, max(disputed) AS disputed FROM ({disputes_sql(
            f"SELECT * FROM claim_versions WHERE to_seq IS NULL AND event_id IN ({_DIRTY})"
        )}) GROUP BY event_id) AS d
    WHERE events.event_id = d.event_id""",
)

_FTS_DELETE = """
DELETE FROM events_fts WHERE rowid IN
    (SELECT e.rowid FROM events e JOIN temp.dirty_events d ON d.event_id = e.event_id)
"""

_NAMES = """(SELECT n.name || ' ' || coalesce((SELECT group_concat(x.alias, ' ')
    FROM entity_aliases x WHERE x.entity_id = n.entity_id), '')
    FROM entities n WHERE n.entity_id = {ref})"""

_FTS_INSERT = f"""
INSERT INTO events_fts (rowid, event_id, title, summary, quotes, places, actors)
SELECT e.rowid, e.event_id, e.title, e.summary,
    (SELECT group_concat(coalesce(c.quote, '') || ' ' || coalesce(c.named_as, ''), ' ')
       FROM event_citations c WHERE c.event_id = e.event_id),
    {_NAMES.format(ref="e.place_id")},
    (SELECT group_concat({_NAMES.format(ref="a.entity_id")}, ' ')
       FROM event_actors a WHERE a.event_id = e.event_id)
FROM events e JOIN temp.dirty_events d ON d.event_id = e.event_id
"""


class Projector:
    """Applies entries to the projections; also answers the rules' reference questions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.dirty: set[str] = set()
        self.order_changed = False
        self._entities: dict[str, tuple[str, str]] = {}
        self._sources: set[str] = set()

    # --- Lookup -------------------------------------------------------------------

    def event_status(self, event_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT status FROM events WHERE event_id = ?", (event_id,)
        ).fetchone()
        return row[0] if row else None

    def _entity(self, entity_id: str) -> tuple[str, str] | None:
        found = self._entities.get(entity_id)
        if found is None:
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
        row = self.conn.execute("SELECT 1 FROM sources WHERE source_id = ?", (source_id,))
        if row.fetchone():
            self._sources.add(source_id)
            return True
        return False

    def claim_status(self, claim_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT status FROM claim_versions WHERE claim_id = ? AND to_seq IS NULL", (claim_id,)
        ).fetchone()
        return row[0] if row else None

    # --- applying -------------------------------------------------------------------

    def apply(self, seq: int, entry_type: str, data: dict[str, Any], version: int) -> None:
        handler = getattr(self, "_" + entry_type.replace(".", "_"))
        touched = handler(seq, data, version)
        self.conn.executemany(
            "INSERT OR IGNORE INTO event_touches (event_id, seq) VALUES (?, ?)",
            [(event_id, seq) for event_id in touched],
        )

    def _source_registered(self, seq: int, d: dict[str, Any], _v: int) -> list[str]:
        bounds = d.get("published_bounds") or {}
        self.conn.execute(
            "INSERT INTO sources VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                d["source_id"], d["title"], d.get("publisher"), d.get("author"),
                d.get("published"), bounds.get("earliest"), d.get("url"), d.get("language"),
                d["kind"], d.get("locator"), seq,
            ),
        )  # fmt: skip
        self._sources.add(d["source_id"])
        return []

    def _entity_registered(self, seq: int, d: dict[str, Any], _v: int) -> list[str]:
        self.conn.execute(
            "INSERT INTO entities VALUES (?,?,?,?,?,?,?)",
            (d["entity_id"], d["kind"], d["name"], d.get("description"),
             d.get("lat"), d.get("lon"), seq),
        )  # fmt: skip
        self.conn.executemany(
            "INSERT OR IGNORE INTO entity_aliases VALUES (?, ?, ?)",
            [(d["entity_id"], alias, seq) for alias in d["aliases"]],
        )
        self._entities[d["entity_id"]] = (d["kind"], d["name"])
        return []

    def _entity_aliased(self, seq: int, d: dict[str, Any], _v: int) -> list[str]:
        self.conn.execute(
            "INSERT OR IGNORE INTO entity_aliases VALUES (?, ?, ?)", (d["entity_id"], d["alias"], seq)
        )
        rows = self.conn.execute(
            "SELECT event_id FROM event_actors WHERE entity_id = ?1 "
            "UNION SELECT event_id FROM events WHERE place_id = ?1",
            (d["entity_id"],),
        )
        self.dirty.update(r[0] for r in rows)
        return []

    # events

    def _event_row(self, state: rules.State) -> tuple:
        place = self._entity(state["place"]) if state["place"] else None
        return (
            state["title"], state["when_edtf"], state["earliest"], state["latest"],
            state["precision"], int(state["approximate"]), int(state["uncertain"]),
            state["display"], state["place"], place[1] if place else None, state["summary"],
            _json(state["tags"]), state["status"], state["merged_into"],
        )  # fmt: skip

    def _event_asserted(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        state = rules.asserted_state(d)
        row = self._event_row(state)
        event_id = state["event_id"]
        self.conn.execute(_INSERT_EVENT, (event_id, *row, version, seq, seq))
        self._insert_version(event_id, version, seq, row, state)
        self._write_members(event_id, state)
        self._note_order_insert(state)
        self.dirty.add(event_id)
        return [event_id]

    def _insert_version(
        self, event_id: str, version: int, seq: int, row: tuple, state: rules.State
    ) -> None:
        self.conn.execute(
            _INSERT_VERSION,
            (event_id, version, seq, None, *row, _json(state["actors"]), _json(state["citations"])),
        )

    def _write_members(self, event_id: str, state: rules.State) -> None:
        self.conn.executemany(
            "INSERT INTO event_actors VALUES (?, ?, ?, ?)",
            [
                (event_id, a["entity"], self._entity(a["entity"])[1], a.get("role"))  # type: ignore[index]
                for a in state["actors"]
            ],
        )
        self.conn.executemany(
            "INSERT INTO event_citations VALUES (?, ?, ?, ?, ?)",
            [
                (event_id, c["source"], c.get("quote"), c.get("locator"), c.get("named_as"))
                for c in state["citations"]
            ],
        )

    def _note_order_insert(self, state: rules.State) -> None:
        """Append to the dense timeline order when the event sorts last; else mark it stale."""
        if self.order_changed or not self._order_is_fresh():
            self.order_changed = True
            return
        last = self.conn.execute(
            "SELECT o.ord, e.earliest, e.latest, e.event_id FROM timeline_order o "
            "JOIN events e ON e.event_id = o.event_id ORDER BY o.ord DESC LIMIT 1"
        ).fetchone()
        key = rules.timeline_key(state["earliest"], state["latest"], state["event_id"])
        if last is None or rules.timeline_key(*last[1:]) < key:
            ord_ = (last[0] if last else 0) + 1
            self.conn.execute(
                "INSERT INTO timeline_order (ord, event_id) VALUES (?, ?)", (ord_, state["event_id"])
            )
        else:
            self.order_changed = True

    def _order_is_fresh(self) -> bool:
        row = self.conn.execute(
            "SELECT value FROM projection_meta WHERE key = 'order_fresh'"
        ).fetchone()
        return bool(row and row[0])

    def current_event(self, event_id: str) -> rules.State:
        row = self.conn.execute(
            f"SELECT {', '.join(_EVENT_COLS)}, actors, citations FROM event_versions "
            "WHERE event_id = ? AND to_seq IS NULL",
            (event_id,),
        ).fetchone()
        state = dict(zip((*_EVENT_COLS, "actors", "citations"), row, strict=True))
        state["event_id"] = event_id
        state["place"] = state.pop("place_id")
        for key in ("tags", "actors", "citations"):
            state[key] = json.loads(state[key])
        state["approximate"] = bool(state["approximate"])
        state["uncertain"] = bool(state["uncertain"])
        return state

    def _new_event_version(
        self, seq: int, version: int, old: rules.State, new: rules.State
    ) -> list[str]:
        event_id = new["event_id"]
        row = self._event_row(new)
        self.conn.execute(
            "UPDATE event_versions SET to_seq = ? WHERE event_id = ? AND to_seq IS NULL",
            (seq, event_id),
        )
        self._insert_version(event_id, version, seq, row, new)
        self.conn.execute(_UPDATE_EVENT, (*row, version, seq, event_id))
        if old["actors"] != new["actors"] or old["citations"] != new["citations"]:
            self.conn.execute("DELETE FROM event_actors WHERE event_id = ?", (event_id,))
            self.conn.execute("DELETE FROM event_citations WHERE event_id = ?", (event_id,))
            self._write_members(event_id, new)
        sort_fields = ("earliest", "latest", "status")
        if any(old[f] != new[f] for f in sort_fields):
            self.order_changed = True
        self.dirty.add(event_id)
        return [event_id]

    def _event_corrected(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        old = self.current_event(d["event_id"])
        return self._new_event_version(seq, version, old, rules.corrected_state(old, d))

    def _event_retracted(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        old = self.current_event(d["event_id"])
        return self._new_event_version(seq, version, old, rules.retracted_state(old, d))

    def _event_merged(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        old = self.current_event(d["event_id"])
        self._new_event_version(seq, version, old, rules.merged_state(old, d["into"]))
        self.dirty.add(d["into"])
        return [d["event_id"], d["into"]]

    def _event_linked(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        self.conn.execute(
            "INSERT INTO event_links VALUES (?, ?, ?, ?)",
            (d["event_id"], d["relation"], d["target"], seq),
        )
        self.conn.execute(
            "UPDATE events SET version = ?, updated_seq = ? WHERE event_id = ?",
            (version, seq, d["event_id"]),
        )
        return [d["event_id"], d["target"]]

    # claims

    def _claim_row(self, state: rules.State, asserted_seq: int) -> tuple:
        values = {**state, "source_id": state["source"], "asserted_seq": asserted_seq}
        return tuple(values[c] for c in _CLAIM_COLS)

    def _claim_asserted(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        state = rules.claim_state(d)
        self.conn.execute(
            _INSERT_CLAIM, (d["claim_id"], version, seq, None, *self._claim_row(state, seq))
        )
        self.dirty.add(d["event_id"])
        return [d["event_id"]]

    def _current_claim(self, claim_id: str) -> tuple[rules.State, int]:
        row = self.conn.execute(
            f"SELECT {', '.join(_CLAIM_COLS)} FROM claim_versions "
            "WHERE claim_id = ? AND to_seq IS NULL",
            (claim_id,),
        ).fetchone()
        state = dict(zip(_CLAIM_COLS, row, strict=True))
        state["source"] = state.pop("source_id")
        state["claim_id"] = claim_id
        return state, state.pop("asserted_seq")

    def _new_claim_version(self, seq: int, version: int, claim_id: str, change) -> list[str]:
        old, asserted_seq = self._current_claim(claim_id)
        new = change(old)
        self.conn.execute(
            "UPDATE claim_versions SET to_seq = ? WHERE claim_id = ? AND to_seq IS NULL",
            (seq, claim_id),
        )
        self.conn.execute(
            _INSERT_CLAIM, (claim_id, version, seq, None, *self._claim_row(new, asserted_seq))
        )
        self.dirty.add(new["event_id"])
        return [new["event_id"]]

    def _claim_ranked(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        return self._new_claim_version(
            seq, version, d["claim_id"], lambda s: rules.ranked_claim(s, d["rank"])
        )

    def _claim_retracted(self, seq: int, d: dict[str, Any], version: int) -> list[str]:
        return self._new_claim_version(seq, version, d["claim_id"], rules.retracted_claim)

    # --- finishing a batch ----------------------------------------------------------

    def finish(self, checkpoint: int) -> None:
        """Refresh what depends on many rows of the touched events, then checkpoint."""
        if self.dirty:
            self.conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS dirty_events (event_id TEXT PRIMARY KEY)"
            )
            self.conn.execute("DELETE FROM temp.dirty_events")
            self.conn.executemany(
                "INSERT OR IGNORE INTO temp.dirty_events VALUES (?)", [(e,) for e in self.dirty]
            )
            for statement in _REFRESH_COUNTS:
                self.conn.execute(statement)
            self.conn.execute(_FTS_DELETE)
            self.conn.execute(_FTS_INSERT)
            self.conn.execute("DELETE FROM temp.dirty_events")
            self.dirty.clear()
        meta = [("checkpoint", checkpoint)]
        if self.order_changed:
            meta.append(("order_fresh", 0))
            self.order_changed = False
        self.conn.executemany("INSERT OR REPLACE INTO projection_meta VALUES (?, ?)", meta)


def rebuild_order(conn: sqlite3.Connection) -> None:
    """Renumber the dense chronological ordinal that timeline paging reads by range."""
    conn.execute("DELETE FROM timeline_order")
    conn.execute(
        "INSERT INTO timeline_order (ord, event_id) "
        f"SELECT row_number() OVER (ORDER BY {timeline_order()}), event_id "
        f"FROM events WHERE status = 'active' ORDER BY {timeline_order()}"
    )
    conn.execute("INSERT OR REPLACE INTO projection_meta VALUES ('order_fresh', 1)")
