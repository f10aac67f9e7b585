"""A conflict-dataset file into the log: the first release as assertions, later ones as history.

The file is read twice, streaming both times (memory stays flat however many rows
it holds): a first pass counts its rows and finds the countries and dates it
covers, which the release's source entry and ``--retract-missing`` need before
anything is written; the second turns each event into entries and hands them to
``Store.import_lines``, the store's one atomic import, so the file lands whole or
not at all. An event already in the store is compared with what the new release
says: changed fields become one ``event.corrected`` whose reason names the release
and the fields, a changed toll a new claim by the dataset with the previous one
ranked deprecated, and an unchanged row adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

from sqlite_utils.utils import Format, rows_from_file
from sqlite_utils.utils import RowError as ExtraCells

from chronicle import queries, wording
from chronicle.chain import canonical_json
from chronicle.errors import EntryError
from chronicle.importers import acled, ucdp
from chronicle.importers.records import DatasetEvent, PlaceRecord, Row, RowError, acronym, slug
from chronicle.store import Store
from chronicle.terms import ID_PATTERN

DATASETS: dict[str, ModuleType] = {"acled": acled, "ucdp": ucdp}
_KEY = re.compile(ID_PATTERN)
# The event fields a release may change, and the dataset columns behind each.
FIELD_WORDS = {
    "title": "title", "when": "date", "place": "location", "actors": "actors",
    "tags": "coded fields", "summary": "notes",
}  # fmt: skip


@dataclass
class Summary:
    """What an import did, event by event."""

    added: int = 0
    corrected: int = 0
    unchanged: int = 0
    retracted: int = 0
    rows: int = 0
    entries: int = 0

    def line(self, name: str) -> str:
        entries = f"{self.entries} {'entry' if self.entries == 1 else 'entries'}"
        return (
            f"{name}: {wording.counted(self.rows, 'row')}, {self.added} added, "
            f"{self.corrected} corrected, {self.unchanged} unchanged, "
            f"{self.retracted} retracted ({entries})"
        )


@dataclass
class Scan:
    """What the first pass learns: enough to register the release and bound its cover."""

    dataset: ModuleType
    header: list[str]
    rows: int = 0
    countries: set[str] = field(default_factory=set)
    earliest: date | None = None
    latest: date | None = None
    stamp: int | None = None  # ACLED's latest `timestamp`
    sha: str = ""


# --- reading the file ---------------------------------------------------------------


def _header(fp: BinaryIO) -> tuple[list[str], Format]:
    first = fp.readline()
    fp.seek(0)
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EntryError("row 1: not UTF-8 text") from None
    fmt = Format.TSV if "\t" in line else Format.CSV
    cells = next(csv.reader([line], dialect=csv.excel_tab if fmt is Format.TSV else csv.excel), [])
    return [_column(c) for c in cells], fmt


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def detect(header: Sequence[str], wanted: str | None) -> ModuleType:
    """The dataset a header belongs to; refuses one line naming the first missing column."""
    if wanted is None:
        found = [m for m in DATASETS.values() if m.matches(header)]
        if not found:
            raise EntryError(
                "the header is neither ACLED's (event_id_cnty, event_date, actor1…) "
                "nor UCDP GED's (id, side_a, side_b, date_start…): use --format"
            )
        dataset = found[0]
    else:
        dataset = DATASETS[wanted]
    missing = [c for c in dataset.REQUIRED if c not in header]
    if missing:
        raise EntryError(f"row 1: no column {missing[0]} ({dataset.NAME} files have it)")
    return dataset


def sniff_dataset(path: Path) -> str | None:
    """Which dataset, "acled" or "ucdp", a .csv/.tsv/.txt file's header belongs to, if any."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None
    with path.open("rb") as fp:
        try:
            header, _ = _header(fp)
        except EntryError:
            return None
    return next((name for name, m in DATASETS.items() if m.matches(header)), None)


def rows_of(fp: BinaryIO, header: list[str], fmt: Format) -> Iterator[tuple[int, Row]]:
    """(row number, cells by lower-case column); the header is row 1, as in a spreadsheet."""
    rows, _ = rows_from_file(fp, format=fmt)
    renamed: bool | None = None  # whether the file's own names need lower-casing
    number = 1
    iterator = iter(rows)
    while True:
        number += 1
        try:
            row = next(iterator)
        except StopIteration:
            return
        except ExtraCells:
            raise EntryError(f"row {number}: more cells than the header names") from None
        except UnicodeDecodeError:
            raise EntryError(f"row {number}: not UTF-8 text") from None
        except csv.Error as err:
            raise EntryError(f"row {number}: not readable as CSV ({err})") from None
        if renamed is None:
            renamed = any(k is not None and _column(k) != k for k in row)
        yield number, ({_column(k): v for k, v in row.items()} if renamed else row)


def groups(numbered: Iterator[tuple[int, Row]], dataset: ModuleType, header: list[str]):
    """Rows of one event together: one for a dyadic file, one per party for a monadic one."""
    is_dyadic = dataset.dyadic(header)
    key_column = dataset.KEY
    current: list[Row] = []
    first_number = 0
    for number, row in numbered:
        key = str(row.get(key_column) or "").strip()
        if current and key == str(current[0].get(key_column) or "").strip() and not is_dyadic:
            current.append(row)
            continue
        if current:
            yield first_number, current
        current, first_number = [row], number
    if current:
        yield first_number, current


def _read(dataset: ModuleType, number: int, rows: list[Row], is_dyadic: bool) -> DatasetEvent:
    try:
        dataset.check_group(rows, is_dyadic)
        event = dataset.read_event(rows)
    except RowError as err:
        raise EntryError(f"row {number}, {err}") from None
    if not _KEY.match(event.key) or len(event.key) > 64:
        problem = f"{event.key[:40]!r} is not usable as an id"
        raise EntryError(f"row {number}, column {dataset.KEY}: {problem}")
    return event


def scan(path: Path, wanted: str | None) -> Scan:
    """The first pass: each row's country and dates read and checked, nothing kept but
    counts and bounds (the second pass checks the rest before anything is committed)."""
    sha = hashlib.sha256()
    with path.open("rb") as raw:
        for block in iter(lambda: raw.read(1 << 20), b""):
            sha.update(block)
    with path.open("rb") as fp:
        header, fmt = _header(fp)
        result = Scan(detect(header, wanted), header, sha=sha.hexdigest())
        for number, rows in groups(rows_of(fp, header, fmt), result.dataset, header):
            try:
                country, earliest, latest = result.dataset.cover(rows[0])
            except RowError as err:
                raise EntryError(f"row {number}, {err}") from None
            result.rows += len(rows)
            _cover(result, country, earliest, latest, rows[0])
    return result


def _cover(result: Scan, country: str, earliest: date, latest: date, row: Row) -> None:
    result.countries.add(country)
    if result.earliest is None or earliest < result.earliest:
        result.earliest = earliest
    if result.latest is None or latest > result.latest:
        result.latest = latest
    stamp = str(row.get("timestamp") or "").strip()
    if stamp.isdigit() and (result.stamp is None or int(stamp) > result.stamp):
        result.stamp = int(stamp)


# --- the store's side ------------------------------------------------------------


@dataclass
class Release:
    """One file being imported: its source, its dataset, what it has written so far."""

    store: Store
    scan: Scan
    name: str
    author: str
    published: str
    summary: Summary = field(default_factory=Summary)
    names: dict[str, str] = field(default_factory=dict)  # an actor's name or alias -> id
    called: dict[str, str] = field(default_factory=dict)  # an entity id -> its name
    places: dict[tuple[str, Any, Any], str] = field(default_factory=dict)

    @property
    def dataset(self) -> ModuleType:
        return self.scan.dataset

    @property
    def prefix(self) -> str:
        return self.dataset.NAME.lower()

    @property
    def source_id(self) -> str:
        return f"src:{self.prefix}:{self.scan.sha[:16]}"

    @property
    def claimant(self) -> str:
        return self.dataset.CLAIMANT[0]

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    def entry(self, entry_type: str, data: dict[str, Any]) -> str:
        body = canonical_json([entry_type, data])
        self.summary.entries += 1
        return json.dumps(
            {
                "id": f"{self.prefix}-{hashlib.sha256(body.encode()).hexdigest()[:32]}",
                "type": entry_type,
                "author": self.author,
                "data": data,
            },
            ensure_ascii=False,
        )

    def why(self) -> str:
        return f"{self.dataset.NAME} release {self.name} ({self.published})"


def _exists(conn: sqlite3.Connection, table: str, key: str, value: str) -> bool:
    return conn.execute(f"SELECT 1 FROM {table} WHERE {key} = ?", (value,)).fetchone() is not None


def _preamble(rel: Release) -> Iterator[str]:
    """The dataset as a claimant and the file as a source, once each."""
    entity_id, name, aliases = rel.dataset.CLAIMANT
    if not _exists(rel.conn, "entities", "entity_id", entity_id):
        yield rel.entry(
            "entity.registered",
            {"entity_id": entity_id, "kind": "actor", "name": name, "aliases": aliases},
        )
    if not _exists(rel.conn, "sources", "source_id", rel.source_id):
        yield rel.entry(
            "source.registered",
            {
                "source_id": rel.source_id,
                "title": f"{rel.dataset.NAME} release {rel.name}",
                "kind": "report",
                "publisher": rel.dataset.NAME,
                "published": rel.published,
                "locator": f"{rel.scan.rows} rows",
            },
        )


def _resolve(rel: Release, words: str) -> str | None:
    """The one actor called ``words`` (by name or alias), from this import or the store."""
    cached = rel.names.get(words.casefold())
    if cached:
        return cached
    try:
        found = queries.resolve_entities(rel.conn, words, "actor")
    except queries.QueryError:
        return None
    if len(found) != 1:
        return None
    rel.names[words.casefold()] = found[0]
    return found[0]


def _actor(rel: Release, name: str, out: list[str]) -> str:
    """An actor by the dataset's name; "ACR: Long name" also meets an entity called ACR."""
    found = _resolve(rel, name)
    if found:
        return found
    parts = list(acronym(name) or ())
    for words in parts:
        found = _resolve(rel, words)
        if found:
            out.append(rel.entry("entity.aliased", {"entity_id": found, "alias": name}))
            rel.names[name.casefold()] = found
            return found
    entity_id = f"actor:{slug(name)}"
    aliases = [p for p in parts if p.casefold() != name.casefold()]
    data = {"entity_id": entity_id, "kind": "actor", "name": name, "aliases": aliases}
    out.append(rel.entry("entity.registered", data))
    for words in (name, *aliases):
        rel.names[words.casefold()] = entity_id
    rel.called[entity_id] = name
    return entity_id


def _name_of(rel: Release, entity_id: str) -> str:
    if entity_id not in rel.called:
        row = rel.conn.execute(
            "SELECT name FROM entities WHERE entity_id = ?", (entity_id,)
        ).fetchone()
        rel.called[entity_id] = row[0] if row else ""
    return rel.called[entity_id]


def _place(rel: Release, place: PlaceRecord, out: list[str]) -> str:
    """A place is its name and coordinates: the same name elsewhere is another place."""
    key = (place.name, place.lat, place.lon)
    cached = rel.places.get(key)
    if cached:
        return cached
    row = rel.conn.execute(
        "SELECT entity_id FROM entities WHERE name = ?1 COLLATE NOCASE AND name = ?1 "
        "AND kind = 'place' AND lat IS ?2 AND lon IS ?3 ORDER BY entity_id LIMIT 1",
        key,
    ).fetchone()
    if row:
        rel.places[key] = row[0]
        return row[0]
    entity_id = f"place:{slug(place.name, salt=f'{place.lat},{place.lon}')}"
    data: dict[str, Any] = {"entity_id": entity_id, "kind": "place", "name": place.name}
    data["aliases"] = []
    for attr in ("lat", "lon", "country", "admin1", "admin2", "admin3", "geo_precision"):
        value = getattr(place, attr)
        if value not in (None, ""):
            data[attr] = value
    out.append(rel.entry("entity.registered", data))
    rel.places[key] = entity_id
    return entity_id


def _payload(rel: Release, event: DatasetEvent, out: list[str]) -> dict[str, Any]:
    """The event as ``event.asserted`` states it (entities it needs appended to ``out``)."""
    actors = []
    for record in event.actors:
        entity = _actor(rel, record.name, out)
        actor: dict[str, Any] = {"entity": entity, "side": record.side}
        if _name_of(rel, entity) != record.name:
            actor["named_as"] = record.name
        actors.append(actor)
    citation: dict[str, Any] = {"source": rel.source_id, "locator": event.key}
    if event.coded_from:
        citation["coded_from"] = event.coded_from[:2000]
    data: dict[str, Any] = {
        "event_id": f"ev:{rel.prefix}:{event.key}",
        "title": event.title,
        "when": event.when,
        "actors": actors,
        "tags": event.tags,
        "summary": event.summary,
        "citations": [citation],
    }
    if event.place:
        data["place"] = _place(rel, event.place, out)
    return data


_CURRENT = """SELECT e.status, e.title, e.when_edtf, e.place_id, v.actors, e.tags, e.summary
FROM events e JOIN event_versions v ON v.event_id = e.event_id AND v.to_seq IS NULL
WHERE e.event_id = ?"""


def _current(conn: sqlite3.Connection, event_id: str) -> dict[str, Any] | None:
    row = conn.execute(_CURRENT, (event_id,)).fetchone()
    if row is None:
        return None
    status, title, when, place, actors, tags, summary = row
    return {
        "status": status, "title": title, "when": when, "place": place,
        "actors": json.loads(actors), "tags": json.loads(tags), "summary": summary,
    }  # fmt: skip


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {f: new.get(f) for f in FIELD_WORDS if old.get(f) != new.get(f)}


def _tag_columns(old: list[str], new: list[str]) -> list[str]:
    changed = set(old) ^ set(new)
    return sorted({t.split(":", 1)[0] for t in changed})


def _reason(rel: Release, fields: list[str], changes: dict[str, Any], old: dict) -> str:
    words = []
    for f in fields:
        if f == "tags" and "tags" in changes:
            words.append(
                "coded fields (" + ", ".join(_tag_columns(old["tags"], changes["tags"])) + ")"
            )
        else:
            words.append(FIELD_WORDS.get(f, f))
    return f"{rel.why()} changes {', '.join(words)}"


def _claims(rel: Release, event_id: str) -> dict[str | None, tuple[str, Any, Any, Any]]:
    """The dataset's standing tolls for an event, by whom they are about."""
    rows = rel.conn.execute(
        "SELECT about, claim_id, low, best, high FROM claims WHERE event_id = ? "
        "AND claimant = ? AND property = 'killed' AND status = 'active' AND rank <> 'deprecated'",
        (event_id, rel.claimant),
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def _figures(rel: Release, event: DatasetEvent, event_id: str, out: list[str]) -> dict:
    """The tolls this release gives, by the id of whom they are about (None: all sides)."""
    figures = {}
    for figure in event.figures:
        about = _actor(rel, figure.about, out) if figure.about else None
        figures[about] = figure
    return figures


def _claim(rel: Release, event_id: str, about: str | None, figure) -> dict[str, Any]:
    suffix = f":{about.split(':', 1)[-1][:40]}" if about else ""
    data: dict[str, Any] = {
        "claim_id": f"cl:{event_id.split(':', 1)[1]}:{rel.scan.sha[:12]}{suffix}",
        "event_id": event_id,
        "claimant": rel.claimant,
        "property": "killed",
        "low": figure.low,
        "best": figure.best,
        "high": figure.high,
        "source": rel.source_id,
    }
    if about:
        data["about"] = about
    return data


def _toll_entries(
    rel: Release, event: DatasetEvent, event_id: str, out: list[str], *, new_event: bool = False
) -> bool:
    """New claims where a toll changed, the old ones deprecated; True when any changed.

    An event this import asserts has no claims yet, and is not looked up: a large
    import runs without the projections' secondary indexes (see ``Projector.go_bulk``),
    so a look-up by event there would read every claim, once a row.
    """
    standing = {} if new_event else _claims(rel, event_id)
    new = _figures(rel, event, event_id, out)
    changed = False
    for about, figure in new.items():
        old = standing.pop(about, None)
        if old and old[1:] == (figure.low, figure.best, figure.high):
            continue
        out.append(rel.entry("claim.asserted", _claim(rel, event_id, about, figure)))
        if old:
            reason = f"{rel.why()} gives {figure.best} killed instead of {wording.number(old[2])}"
            out.append(
                rel.entry(
                    "claim.ranked", {"claim_id": old[0], "rank": "deprecated", "reason": reason}
                )
            )
        changed = True
    for claim_id, *_ in standing.values():
        reason = f"{rel.why()} no longer gives this toll"
        out.append(
            rel.entry(
                "claim.ranked", {"claim_id": claim_id, "rank": "deprecated", "reason": reason}
            )
        )
        changed = True
    return changed


def _event_entries(rel: Release, event: DatasetEvent) -> list[str]:
    out: list[str] = []
    data = _payload(rel, event, out)
    event_id = data["event_id"]
    old = _current(rel.conn, event_id)
    if old is None:
        out.append(rel.entry("event.asserted", data))
        _toll_entries(rel, event, event_id, out, new_event=True)
        rel.summary.added += 1
        return out
    if old["status"] != "active":  # retracted or merged by someone: left as it is
        rel.summary.unchanged += 1
        return []
    changes = _changes(old, data)
    if changes:
        fields = list(changes)
        correction = {
            "event_id": event_id, "changes": changes,
            "reason": _reason(rel, fields, changes, old), "citations": data["citations"],
        }  # fmt: skip
        out.append(rel.entry("event.corrected", correction))
    tolls = _toll_entries(rel, event, event_id, out)
    if changes or tolls:
        rel.summary.corrected += 1
    else:
        rel.summary.unchanged += 1
    return out


# The events of this file, kept in a temp table rather than a set: a repeat is refused
# by its primary key, and ``--retract-missing`` asks SQL for the events not in it.
_SEEN = "temp.dataset_seen"
_MISSING = f"""SELECT event_id FROM events WHERE event_id > ? AND event_id < ?
AND status = 'active' AND earliest >= ? AND latest <= ?
AND event_id NOT IN (SELECT event_id FROM {_SEEN}) AND EXISTS (SELECT 1
    FROM json_each(events.tags) t WHERE t.value IN (SELECT value FROM json_each(?)))
ORDER BY event_id LIMIT ?"""
MISSING_PAGE = 512


def _start_seen(conn: sqlite3.Connection) -> None:
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_SEEN[5:]} (event_id TEXT PRIMARY KEY)")
    conn.execute(f"DELETE FROM {_SEEN}")


def _note_seen(rel: Release, number: int, event: DatasetEvent) -> None:
    try:
        rel.conn.execute(f"INSERT INTO {_SEEN} VALUES (?)", (f"ev:{rel.prefix}:{event.key}",))
    except sqlite3.IntegrityError:
        raise EntryError(f"row {number}: event {event.key} appears twice in this file") from None


def _retractions(rel: Release) -> Iterator[str]:
    """Events of this dataset the file would hold (its countries, its dates) but does not.

    Read a page at a time, each page starting after the last id of the one before,
    so nothing is held but a page, however many events the file dropped."""
    scan = rel.scan
    if scan.earliest is None or scan.latest is None:
        return
    after, high = f"ev:{rel.prefix}:", f"ev:{rel.prefix};"
    countries = json.dumps(sorted(f"country:{c}" for c in scan.countries))
    bounds = (scan.earliest.isoformat(), scan.latest.isoformat(), countries, MISSING_PAGE)
    while page := rel.conn.execute(_MISSING, (after, high, *bounds)).fetchall():
        for (event_id,) in page:
            yield _retraction(rel, event_id)
        after = page[-1][0]


def _retraction(rel: Release, event_id: str) -> str:
    scan = rel.scan
    reason = (
        f"{rel.why()} no longer holds this event, though it covers "
        f"{', '.join(sorted(scan.countries))} from {scan.earliest} to {scan.latest}"
    )
    data = {"event_id": event_id, "reason": reason, "citations": [{"source": rel.source_id}]}
    rel.summary.retracted += 1
    return rel.entry("event.retracted", data)


def _lines(rel: Release, path: Path, retract_missing: bool) -> Iterator[str]:
    _start_seen(rel.conn)
    yield from _preamble(rel)
    dataset, header = rel.dataset, rel.scan.header
    is_dyadic = dataset.dyadic(header)
    with path.open("rb") as fp:
        _, fmt = _header(fp)
        for number, rows in groups(rows_of(fp, header, fmt), dataset, header):
            event = _read(dataset, number, rows, is_dyadic)
            _note_seen(rel, number, event)
            rel.summary.rows += len(rows)
            yield from _event_entries(rel, event)
    if retract_missing:
        yield from _retractions(rel)


def import_dataset(
    store: Store,
    path: Path,
    *,
    author: str,
    wanted: str | None = None,
    retract_missing: bool = False,
    published: str | None = None,
) -> Summary:
    """Import one release file atomically; a bad row is one error naming row and column."""
    try:
        found = scan(path, wanted)
    except EntryError as err:
        raise EntryError(f"{path.name}, {err}") from None
    if published is None:
        when = (
            datetime.fromtimestamp(found.stamp, UTC)
            if found.stamp
            else datetime.fromtimestamp(path.stat().st_mtime, UTC)
        )
        published = when.date().isoformat()
    rel = Release(store, found, path.name, author, published)
    try:
        store.import_lines(
            _lines(rel, path, retract_missing), name=path.name, size=path.stat().st_size
        )
    except EntryError as err:
        text = str(err)
        raise EntryError(text if text.startswith(path.name) else f"{path.name}, {text}") from None
    return rel.summary
