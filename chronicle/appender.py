"""One append transaction: numbering, hashing and writing entries to the log in chunks.

Each chunk of entries costs two lookups (which ids are already logged, the current
version of each subject), one per kind of thing its entries name (``Projector.prefetch``)
and one ``executemany`` into the log, instead of statements per entry; the projector
batches its own writes the same way. The payload's canonical text comes encoded from
the intake, so hashing it is the only work on it here. The
caller owns the transaction, so a failure anywhere still leaves nothing behind.

Nothing is kept from one chunk to the next but the head: the earlier chunks are in
the log already (uncommitted, but this connection reads them), so the log's own
indexes answer which ids this input has written and each subject's version. An
import of any length holds a chunk's worth of entries, not a set of every id.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from chronicle import rules
from chronicle.chain import canonical_json, entry_hash
from chronicle.errors import ConflictError, EntryError, HashMismatch
from chronicle.intake import AppendResult, PendingEntry
from chronicle.projector import Projector
from chronicle.timestamps import next_stamp

CHUNK = 512
# A write goes bulk (Projector.go_bulk) once it has added more entries than this and
# than the store held before it: remaking the indexes then costs less than the write
# saves, and a small append never pays for rebuilding a large store's indexes.
BULK_AFTER = 20_000
LOG_INSERT = (
    "INSERT INTO log (seq, id, type, subject, subject_version, recorded_at, author, schema, "
    "data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Appender:
    """Writes validated entries after ``seq``/``prev``, projecting each as it goes."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        head: tuple[int, str],
        expect: dict[str, int] | None,
        *,
        restamp: bool = False,
    ) -> None:
        self.conn = conn
        self.seq, self.prev = head
        self.restamp = restamp
        row = conn.execute("SELECT recorded_at FROM log WHERE seq = ?", (self.seq,)).fetchone()
        self.last_time: str | None = row[0] if row else None
        self.bulk_after = max(BULK_AFTER, self.seq)
        self.expect = expect or {}
        self.projector = Projector(conn)
        self.start = self.seq  # entries after it were written by this input
        self.versions: dict[str, int] = {}  # this chunk's subjects
        self.seen: set[str] = set()  # this chunk's ids

    def write(self, pending: Iterable[PendingEntry], result: AppendResult) -> None:
        for chunk in chunks(pending):
            self._write_chunk(chunk, result)
        self.projector.finish(self.seq)

    def _write_chunk(self, chunk: list[PendingEntry], result: AppendResult) -> None:
        logged = self._logged({item.entry_id for item in chunk})
        self.seen.clear()
        self._load_versions({item.subject for item in chunk})
        named = rules.Referenced()
        for item in chunk:
            named.add(item.entry_type, item.data)
        self.projector.prefetch(named.events, named.claims, named.entities, named.sources)
        rows = []
        for item in chunk:
            if self._already_logged(item, logged):
                result.skipped += 1
                continue
            version = self._next_version(item.subject)
            try:
                rules.check_references(item.entry_type, item.data, self.projector)
            except EntryError as err:
                raise EntryError(f"{item.where}{err}") from None
            try:
                row = self._row(version, item)
            except EntryError as err:
                raise EntryError(f"{item.where}{err}") from None
            rows.append(row)
            self.projector.apply(self.seq, item.entry_type, item.data, version)
            self.seen.add(item.entry_id)
        self.conn.executemany(LOG_INSERT, rows)
        result.added = range(self.start + 1, self.seq + 1)  # seqs are given in a run
        if len(result.added) > self.bulk_after:
            self.projector.go_bulk()

    def _logged(self, ids: set[str]) -> dict[str, tuple]:
        """The chunk's ids already in the log: (seq, type, subject, author, data) by id."""
        rows = self.conn.execute(
            "SELECT id, seq, type, subject, author, data FROM log "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(ids)),),
        )
        return {row[0]: row[1:] for row in rows}

    def _load_versions(self, subjects: set[str]) -> None:
        rows = self.conn.execute(
            "SELECT subject, max(subject_version) FROM log "
            "WHERE subject IN (SELECT value FROM json_each(?)) GROUP BY subject",
            (json.dumps(sorted(subjects)),),
        )
        found = dict(rows.fetchall())
        self.versions = {subject: found.get(subject, 0) for subject in subjects}

    def _already_logged(self, item: PendingEntry, logged: dict[str, tuple]) -> bool:
        row = logged.get(item.entry_id)
        if item.entry_id in self.seen or (row is not None and row[0] > self.start):
            raise EntryError(f"{item.where}entry id {item.entry_id!r} appears twice in this input")
        if row is None:
            return False
        same = (row[1], row[2], row[3]) == (item.entry_type, item.subject, item.author)
        logged, stored = json.loads(row[4]), item.stored
        if "first_recorded_at" not in stored:
            logged.pop("first_recorded_at", None)  # the same entry, re-stamped when it came
        if not same or logged != stored:
            raise EntryError(
                f"{item.where}entry id {item.entry_id!r} is already in the log with other content"
            )
        return True

    def _next_version(self, subject: str) -> int:
        current = self.versions[subject]
        if subject in self.expect and self.expect[subject] != current:
            raise ConflictError(
                f"{subject} is at version {current}, not {self.expect[subject]}: "
                "it changed since you read it; reload and try again"
            )
        self.versions[subject] = current + 1
        return current + 1

    def _row(self, version: int, item: PendingEntry) -> tuple:
        """Number, stamp and hash one entry: its time is never before the entry it follows."""
        recorded_at, first_recorded_at = next_stamp(
            self.last_time, item.recorded_at, restamp=self.restamp
        )
        data_json = item.stored_json
        if first_recorded_at is not None:
            data_json = canonical_json({**item.stored, "first_recorded_at": first_recorded_at})
        self.seq += 1
        digest = entry_hash(
            self.seq, item.entry_id, item.entry_type, item.subject, version,
            recorded_at, item.author, item.schema, data_json, self.prev,
        )  # fmt: skip
        row = (
            self.seq, item.entry_id, item.entry_type, item.subject, version,
            recorded_at, item.author, item.schema, data_json, self.prev, digest,
        )  # fmt: skip
        if item.hash is not None and digest != item.hash:
            raise HashMismatch(
                f"entry at seq {self.seq} does not hash here as it does where it came from",
                self.seq,
            )
        self.prev, self.last_time = digest, recorded_at
        return row
