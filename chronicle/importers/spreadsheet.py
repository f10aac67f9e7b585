"""Bulk entry from a spreadsheet: a CSV in the timeline export's columns, one event a row.

Each row becomes an ``event.asserted`` entry. The entry id is derived from the
row's content, so importing the same sheet twice adds nothing the second time.
Rows reach the store through ``Store.import_lines``: the import is atomic and each
error names the CSV line (the physical line where the row starts, so a summary
with newlines inside does not shift the count).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from chronicle import queries
from chronicle.chain import canonical_json
from chronicle.errors import EntryError
from chronicle.exporters.text import spreadsheet_value
from chronicle.intake import AppendResult, bounded_lines
from chronicle.store import Store
from chronicle.terms import MAX_LINE_BYTES
from chronicle.vocabulary import read_json

# Columns the export writes that a row may carry but which the store computes.
COMPUTED = {
    "display", "earliest", "latest", "precision", "approximate", "uncertain", "status",
    "merged_into", "version", "n_sources", "n_claims", "disputed", "updated_seq",
}  # fmt: skip
ENTERED = {"event_id", "title", "when_edtf", "when", "place_id", "place", "actors", "tags",
           "summary", "citations", "sources"}  # fmt: skip


class _Row:
    """One CSV row, read as what a user typed: blank cells are absent.

    A cell an export made spreadsheet-safe (``'=…``) is read as the text it holds.
    """

    def __init__(self, header: list[str], values: list[str]) -> None:
        if any(v.strip() for v in values[len(header) :]):
            raise EntryError(f"{len(values)} cells, but the header names {len(header)} columns")
        cells = (spreadsheet_value(v).strip() for v in values)
        self.cells = {h: v for h, v in zip(header, cells, strict=False) if v}

    def get(self, *names: str) -> str | None:
        for name in names:
            if self.cells.get(name):
                return self.cells[name]
        return None


def _header(row: list[str]) -> list[str]:
    header = [h.strip().lower() for h in row]
    unknown = [h for h in header if h and h not in COMPUTED | ENTERED]
    if unknown:
        raise EntryError(f"unknown column {unknown[0]!r} (expected the timeline export's columns)")
    if "title" not in header or not {"when_edtf", "when"} & set(header):
        raise EntryError("the header needs a title column and a when_edtf (or when) column")
    return header


def _list(text: str | None) -> list[Any]:
    """A list cell: JSON (as the events export writes it) or words split on ; or ,."""
    if not text:
        return []
    if text.startswith("["):
        try:
            value = read_json(text)
        except (json.JSONDecodeError, EntryError):
            raise EntryError(f"{text[:40]!r} looks like JSON but is not valid") from None
        if not isinstance(value, list):
            raise EntryError("a list cell must hold a JSON list")
        return value
    return queries.list_items(text)


def _citations(row: _Row) -> list[dict[str, Any]]:
    out = []
    for item in _list(row.get("citations")) + _list(row.get("sources")):
        if isinstance(item, dict):
            citation = {"source": item.get("source_id") or item.get("source")}
            citation |= {k: item[k] for k in ("quote", "locator", "named_as") if item.get(k)}
        else:
            citation = {"source": str(item)}
        out.append(citation)
    return out


def _payload(conn, row: _Row) -> dict[str, Any]:
    title, when = row.get("title"), row.get("when_edtf", "when")
    if not title:
        raise EntryError("title is empty")
    if not when:
        raise EntryError("when_edtf is empty")
    data: dict[str, Any] = {
        "title": title,
        "when": when,
        "actors": queries.actors_from(conn, _list(row.get("actors"))),
        "tags": [str(t) for t in _list(row.get("tags"))],
        "summary": row.get("summary") or "",
        "citations": _citations(row),
    }
    place = row.get("place_id", "place")
    if place:
        data["place"] = queries.one_entity(conn, place, "place")
    digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()
    data["event_id"] = row.get("event_id") or f"ev:csv-{digest[:16]}"
    return data


def _entry(data: dict[str, Any], author: str) -> dict[str, Any]:
    digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()
    return {"id": f"csv-{digest[:32]}", "type": "event.asserted", "author": author, "data": data}


class _PhysicalLines:
    """The file's lines for the CSV reader, each at most MAX_LINE_BYTES characters long.

    It also tells when the reader has asked past the last line. The reader asks
    for a line only while a row is unfinished, and a row is finished by the end of
    a line outside quotes; so a row handed back after the lines ran out is one
    whose quote was never closed, and which swallowed the rest of the file.
    """

    def __init__(self, handle: Iterable[str], name: str) -> None:
        self.lines = bounded_lines(handle)
        self.name = name
        self.number = 0
        self.exhausted = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self.lines, None)
        if line is None:
            self.exhausted = True
            raise StopIteration
        self.number += 1
        if len(line) > MAX_LINE_BYTES:
            raise EntryError(
                f"{self.name}, line {self.number}: line longer than {MAX_LINE_BYTES} characters"
            )
        return str(line)


def _lines(store: Store, handle: Iterable[str], name: str, author: str) -> Iterator[str]:
    """NDJSON for ``import_lines``, padded with blank lines so its line numbers are the CSV's."""
    source = _PhysicalLines(handle, name)
    reader = csv.reader(source)
    header: list[str] | None = None
    emitted = 0  # lines handed on so far (the importer counts them, skipping blanks)
    seen: dict[str, int] = {}
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as err:
            raise EntryError(f"{name}, line {start}: not readable as CSV ({err})") from None
        if values is None:
            break
        if source.exhausted:
            raise EntryError(
                f"{name}, line {start}: a quote opened in this row is never closed "
                "(the rest of the file would be one cell)"
            )
        try:
            if header is None:
                header = _header(values)
                continue
            if not any(v.strip() for v in values):
                continue
            entry = _entry(_payload(store.conn, _Row(header, values)), author)
        except (EntryError, queries.QueryError) as err:
            raise EntryError(f"{name}, line {start}: {err}") from None
        if entry["id"] in seen:
            raise EntryError(f"{name}, line {start}: the same event as line {seen[entry['id']]}")
        seen[entry["id"]] = start
        yield from [""] * (start - 1 - emitted)
        yield json.dumps(entry, ensure_ascii=False)
        emitted = start
    if header is None:
        raise EntryError(f"{name}: empty file (expected a header row)")


def import_csv(store: Store, handle: Iterable[str], *, name: str, author: str) -> AppendResult:
    """Import a spreadsheet of events atomically: every row, or none if any row is wrong.

    ``handle`` yields text lines (open the file with ``newline=""`` and encoding
    ``utf-8-sig``, which also accepts the byte-order mark spreadsheets write).
    """
    return store.import_lines(_lines(store, handle, name, author), name=name)
