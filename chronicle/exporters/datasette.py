"""A standalone SQLite file of the projection, and the Datasette metadata that explains it.

The file is built from a copy, never by editing the store: ``VACUUM INTO`` takes a
consistent snapshot in one statement (constant memory, and allowed on a read-only
connection); an as-of export then cuts the copy's log at the seq and replays it,
which is exactly how the store itself would have looked. Filters delete the other
events from the copy. Last, the log goes (the history view is kept as a table),
so the file holds the chronology and nothing the filter left out.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chronicle import queries
from chronicle.errors import ChronicleError
from chronicle.exporters import files
from chronicle.exporters.rows import Scope
from chronicle.projector import reindex_every_document
from chronicle.schema import INTERNAL_TABLES, PROJECTION_OBJECTS
from chronicle.store import Store

DROPPED = ("log", "store_meta", *INTERNAL_TABLES)
FTS_TABLE = "events_fts"

TABLE_NOTES = {
    "timeline": "Active events in chronological order (earliest, latest, event_id), with "
    "their actors. Search it: the full-text index covers titles, summaries, quotes, "
    "place and actor names and every alias.",
    "events": "The state of every event, retracted and merged ones included.",
    "event_versions": "Every version of every event: the state between from_seq and to_seq.",
    "event_actors": "Who took part in each event, and in what role.",
    "event_citations": "The sources each event cites, with the quote and the name each uses.",
    "event_links": "Relations between events (part_of, follows, causes, responds_to, contradicts).",
    "claim_versions": "Every version of every claim (a figure someone states about an "
    "event), ranked or retracted versions included.",
    "claims": "The current version of every claim: who says what figure, and who reports it.",
    "disputes": "Per event, property and about-entity: how many claim it, the range of "
    "their figures, and whether they cannot all be true.",
    "sources": "The documents claims and events cite.",
    "entities": "Actors and places.",
    "entity_aliases": "Every other name of an entity (spellings, acronyms).",
    "history": "Every log entry that touched each event: assertions, corrections with "
    "their reasons, retractions, merges, claims.",
    FTS_TABLE: "Full-text index of events (titles, summaries, quotes, places, actors and "
    "their aliases); its rowid is the events table's rowid.",
    "export_info": "How this file was made: the seq it shows, the head hash of the log at "
    "that seq, the filter.",
}

COLUMN_NOTES = {
    "event_id": "Event id (stable; the log's subject).",
    "rowid": "The event's rowid in events: the key the full-text index uses.",
    "title": "Title.",
    "display": "The date as written for reading (e.g. '25–27 Jul 2024', 'summer 2023').",
    "when_edtf": "The date in EDTF, as asserted (e.g. 2024-07-25/2024-07-27, 2023-22, 2012~).",
    "earliest": "Earliest day the date allows (ISO); empty for an open start.",
    "latest": "Latest day the date allows (ISO); empty for an open end.",
    "precision": "How precise the date is: day, days, week, month, season, year, decade, "
    "century or interval.",
    "approximate": "1 when the date is approximate (EDTF ~).",
    "uncertain": "1 when the date is uncertain (EDTF ?).",
    "place_id": "Place entity id.",
    "place": "Place name.",
    "actors": "Actors: names in timeline; JSON list of {entity, role} in event_versions; "
    "actor names and aliases in the full-text index.",
    "tags": "Tags, a JSON list.",
    "summary": "Summary in the recorder's words.",
    "status": "active, retracted or merged (events); active or retracted (claims).",
    "merged_into": "The event a merged event was merged into.",
    "version": "Version number of the event or claim (1 when first asserted).",
    "created_seq": "Log seq of the entry that asserted the event.",
    "updated_seq": "Log seq of the latest entry that changed it.",
    "n_sources": "Number of distinct sources cited.",
    "actor_names": "The actors' names, in the order the event lists them, separated by '; '.",
    "n_claims": "Number of active claims about it.",
    "disputed": "1 when claims about it cannot all be true.",
    "from_seq": "Log seq from which this version holds.",
    "to_seq": "Log seq at which a later version replaced it; empty for the current one.",
    "citations": "JSON list of {source, quote?, locator?, named_as?}.",
    "entity_id": "Entity id.",
    "name": "Name.",
    "role": "Role in the event (attacker, defender, party…).",
    "source_id": "Source id.",
    "quote": "Short quote from the source.",
    "locator": "Where in the source (page, paragraph, file name).",
    "named_as": "The spelling the source itself uses.",
    "relation": "part_of, follows, causes, responds_to or contradicts.",
    "target_id": "The event it relates to.",
    "seq": "Log seq of the entry.",
    "claim_id": "Claim id.",
    "claimant": "Who says it: an entity or source id (never the reporting source).",
    "property": "What is claimed: killed, wounded, captured, missing, fighters, "
    "vehicles_lost, aircraft_lost, when or other.",
    "about": "Entity id the figure is about (whose dead).",
    "low": "Lowest figure (claims); lowest figure any claimant gives (disputes).",
    "best": "Best single figure.",
    "high": "Highest figure (claims); highest figure any claimant gives (disputes).",
    "unit": "Unit of the figure.",
    "value_text": "The words the claimant used ('dozens').",
    "rank": "preferred, normal or deprecated (deprecated claims leave disputes).",
    "asserted_seq": "Log seq of the entry that asserted the claim.",
    "n_claimants": "Number of distinct claimants.",
    "claimants": "JSON list of the claims: claimant, figures, words, source, rank.",
    "publisher": "Publisher.",
    "author": "Author (sources); who recorded the entry (history).",
    "published": "Publication date, EDTF.",
    "published_earliest": "Earliest day of the publication date (ISO).",
    "url": "URL.",
    "language": "Language.",
    "kind": "news, statement, report, social or other (sources); actor or place (entities).",
    "registered_seq": "Log seq of the entry that registered it.",
    "description": "Description.",
    "lat": "Latitude.",
    "lon": "Longitude.",
    "alias": "Another name.",
    "added_seq": "Log seq of the entry that added the alias.",
    "type": "Entry type (event.asserted, event.corrected, claim.asserted…).",
    "recorded_at": "When the entry was recorded (UTC).",
    "reason": "The reason given (corrections, retractions, merges, rankings).",
    "data": "The entry's payload, JSON.",
    "quotes": "Quotes and source spellings of the event's citations.",
    "places": "The place's name and aliases.",
    "key": "Property.",
    "value": "Value.",
}
# Where a column means something else in one table than in the others.
COLUMN_OVERRIDES = {
    ("disputes", "n_claims"): "Number of claims in the group.",
    ("disputes", "low"): "Lowest figure any claimant gives.",
    ("disputes", "high"): "Highest figure any claimant gives.",
}


class ExportError(ChronicleError):
    """An export that cannot be made as asked."""


def metadata_path(out_path: Path) -> Path:
    """The Datasette metadata file written next to the database: NAME.metadata.json."""
    return out_path.with_name(out_path.stem + ".metadata.json")


def write_sqlite(
    conn: sqlite3.Connection, out_path: Path, scope: Scope, title: str
) -> tuple[Path, int]:
    """Write the projection file and its metadata; returns the metadata path and event count.

    ``conn`` must not be inside a transaction (``VACUUM INTO`` cannot run in one).
    The file appears at ``out_path`` only once complete.
    """
    out_path = Path(out_path)
    scratch = out_path.with_name(f".{out_path.name}.partial")
    _remove(scratch)
    try:
        os.close(files.create(scratch))  # VACUUM INTO fills an empty file, keeping its mode
        conn.execute("VACUUM INTO ?", (str(scratch),))
        if scope.as_of is not None and scope.as_of < queries.head_seq(conn):
            _cut_log(scratch, scope.as_of)
        with _connect(scratch) as copy:
            info = _snapshot_info(copy, scope)
            if scope.narrowing is not None:
                _keep_only(copy, scope.narrowing)
                reindex_every_document(copy)
            _detach_from_log(copy)
            count = copy.execute("SELECT count(*) FROM timeline").fetchone()[0]
            _write_info(copy, {**info, "events_in_timeline": count})
            copy.execute("CREATE TEMP TABLE keyed AS SELECT rowid AS key, event_id FROM events")
            copy.commit()
            copy.execute("VACUUM")
            _align_fts(copy)
            copy.commit()
            meta = metadata(copy, out_path.stem, title, scope)
        meta_path = metadata_path(out_path)
        meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
        os.replace(scratch, out_path)
    except BaseException:
        _remove(scratch)
        raise
    return meta_path, count


def _remove(path: Path) -> None:
    for extra in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{extra}")


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        yield conn
    finally:
        conn.close()


def _cut_log(path: Path, as_of: int) -> None:
    """Make the copy the store as it was after entry ``as_of``: cut its log, replay it."""
    with _connect(path) as copy:
        copy.execute("DROP TRIGGER IF EXISTS log_no_delete")
        copy.execute("DELETE FROM log WHERE seq > ?", (as_of,))
        # The cut is chronicle's own: its head is noted, so the rebuild's chain walk
        # checks the entries kept rather than taking the cut for tampering.
        head = copy.execute("SELECT seq || ':' || hash FROM log ORDER BY seq DESC LIMIT 1")
        kept = head.fetchone()
        if kept is None:
            copy.execute("DELETE FROM store_meta WHERE key = 'head'")
        else:
            copy.execute("UPDATE store_meta SET value = ? WHERE key = 'head'", kept)
        copy.commit()
    with Store.open(path) as store:
        store.rebuild()


def _snapshot_info(copy: sqlite3.Connection, scope: Scope) -> dict[str, Any]:
    seq, digest = copy.execute(
        "SELECT coalesce(max(seq), 0), (SELECT hash FROM log ORDER BY seq DESC LIMIT 1) FROM log"
    ).fetchone()
    return {
        "format": "chronicle projection",
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "as_of_seq": seq,
        "log_head_hash": digest,
        "filter": scope.narrowing.describe() if scope.narrowing else "",
    }


def _keep_only(copy: sqlite3.Connection, flt: queries.TimelineFilter) -> None:
    """Delete every event the filter does not keep, with its members, claims and links."""
    sql, params = queries.filtered_events_sql(copy, flt)
    copy.execute("CREATE TEMP TABLE kept (event_id TEXT PRIMARY KEY)")
    copy.execute(f"INSERT INTO temp.kept {sql}", params)
    gone = "NOT IN (SELECT event_id FROM temp.kept)"
    for table in _event_tables(copy):
        copy.execute(f"DELETE FROM {table} WHERE event_id {gone}")
    copy.execute(f"DELETE FROM event_links WHERE target_id {gone}")


def _event_tables(copy: sqlite3.Connection) -> list[str]:
    """The projection tables holding rows of one event each: those with an event_id."""
    return [
        name
        for kind, name in PROJECTION_OBJECTS
        if kind == "table"
        and name != FTS_TABLE  # made anew from what is kept
        and any(row[1] == "event_id" for row in copy.execute(f"PRAGMA table_info({name})"))
    ]


def _detach_from_log(copy: sqlite3.Connection) -> None:
    """Keep history and disputes as tables, drop the log and the store's bookkeeping."""
    _materialize(copy, "history", "event_id, seq")
    _materialize(copy, "disputes", "event_id, property, about")
    for table in DROPPED:
        copy.execute(f"DROP TABLE IF EXISTS {table}")


def _materialize(copy: sqlite3.Connection, view: str, key: str) -> None:
    """Turn a view over tables this file drops into a table of its rows, indexed by ``key``."""
    copy.execute(f"CREATE TABLE {view}_rows AS SELECT * FROM {view} ORDER BY {key}")
    copy.execute(f"DROP VIEW {view}")
    copy.execute(f"ALTER TABLE {view}_rows RENAME TO {view}")
    copy.execute(f"CREATE INDEX {view}_event ON {view} ({key})")


def _write_info(copy: sqlite3.Connection, info: dict[str, Any]) -> None:
    copy.execute("CREATE TABLE export_info (key TEXT PRIMARY KEY, value TEXT)")
    copy.executemany("INSERT INTO export_info VALUES (?, ?)", [(k, v) for k, v in info.items()])


def _align_fts(copy: sqlite3.Connection) -> None:
    """Re-index the full text if a VACUUM renumbered the events' rowids.

    SQLite may renumber the rowids of a table without an INTEGER PRIMARY KEY on
    VACUUM; the index is keyed by them (its documents are read by rowid), so they
    are compared with those noted before (``temp.keyed``).
    """
    (moved,) = copy.execute(
        "SELECT count(*) FROM events e LEFT JOIN temp.keyed k ON k.key = e.rowid "
        "WHERE k.event_id IS NOT e.event_id"
    ).fetchone()
    if moved:
        reindex_every_document(copy)


# --- Datasette metadata --------------------------------------------------------------------


def _objects(copy: sqlite3.Connection) -> list[tuple[str, str]]:
    """Tables and views a reader sees (the index's own shadow tables left out)."""
    rows = copy.execute(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE ? ORDER BY name",
        (f"{FTS_TABLE}_%",),
    )
    return [(r[0], r[1]) for r in rows]


def metadata(copy: sqlite3.Connection, database: str, title: str, scope: Scope) -> dict:
    """Datasette metadata: a title and a description for every table, view and column."""
    tables: dict[str, dict[str, Any]] = {}
    for _kind, name in _objects(copy):
        columns = [r[1] for r in copy.execute(f"PRAGMA table_info({name})")]
        tables[name] = {
            "description": TABLE_NOTES.get(name, ""),
            "columns": {
                c: COLUMN_OVERRIDES.get((name, c), COLUMN_NOTES.get(c, "")) for c in columns
            },
        }
    tables["timeline"]["fts_table"] = FTS_TABLE
    tables["events"]["fts_table"] = FTS_TABLE
    tables[FTS_TABLE]["hidden"] = True
    return {
        "title": title,
        "description": f"A chronology exported from chronicle ({scope.describe()}).",
        "databases": {
            database: {
                "description": "The projection of a chronicle log: events, their claims "
                "and disputes, sources, entities and history.",
                "tables": tables,
            }
        },
    }
