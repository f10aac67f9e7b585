"""The intake: where an entry enters chronicle, is validated once and made ready to append.

Everything a caller hands in (an entry built from a command's flags, a line of an
NDJSON import, a row of a spreadsheet) passes through ``prepare`` or ``parse_lines``
here: the envelope's shape, the payload at its schema, its dates parsed once and
kept, its subject and time. What leaves is a ``PendingEntry`` that the appender only
has to number, hash and write; nothing past this point validates again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chronicle.dates import DateError, parse_edtf
from chronicle.errors import EntryError
from chronicle.timestamps import normalize, utc_now
from chronicle.upcasting import upcast
from chronicle.vocabulary import (
    CURRENT_SCHEMA,
    MAX_LINE_BYTES,
    SUBJECT_FIELD,
    Envelope,
    payload_check,
    validate_envelope,
    validate_envelope_json,
    validate_payload,
)


@dataclass
class AppendResult:
    added: list[int] = field(default_factory=list)
    skipped: int = 0

    @property
    def first(self) -> int | None:
        return self.added[0] if self.added else None


@dataclass
class PendingEntry:
    """One validated entry, ready to be numbered and written."""

    entry_id: str
    entry_type: str
    subject: str
    author: str
    recorded_at: str
    schema: int
    stored: dict[str, Any]  # the payload as it is written to the log
    data: dict[str, Any]  # the payload at the current schema, for the projection
    where: str = ""  # where it came from, for error messages ("seeds.ndjson, line 4: ")


def _with_bounds(entry_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Parse each EDTF field once, now, and keep what was understood in the payload."""
    try:
        if entry_type == "event.asserted" and "when_bounds" not in data:
            return {**data, "when_bounds": parse_edtf(data["when"]).to_dict()}
        if entry_type == "event.corrected":
            changes = data["changes"]
            if "when" in changes and "when_bounds" not in changes:
                bounds = parse_edtf(changes["when"]).to_dict()
                return {**data, "changes": {**changes, "when_bounds": bounds}}
        needs_published = "published" in data and "published_bounds" not in data
        if entry_type == "source.registered" and needs_published:
            return {**data, "published_bounds": parse_edtf(data["published"]).to_dict()}
    except DateError as err:
        raise EntryError(str(err)) from None
    return data


def prepare(raw: Any, default_author: str | None = None, *, named: bool = True) -> PendingEntry:
    """Validate one interchange entry at the edge; raises EntryError with one line.

    ``named`` errors name the entry (imports, files); commands built from a user's
    flags pass False, since the generated entry id would mean nothing to them.
    """
    if isinstance(raw, dict) and default_author and "author" not in raw:
        raw = {**raw, "author": default_author}
    return _prepare_envelope(validate_envelope(raw), named)


def _prepare_envelope(env: Envelope, named: bool) -> PendingEntry:
    """Everything after the envelope's shape: dates, upcasting, payload, subject, time."""
    entry_type, entry_id = env["type"], env["id"]
    schema = env.get("schema", CURRENT_SCHEMA[entry_type])
    stored = _with_bounds(entry_type, env["data"]) if isinstance(env["data"], dict) else {}
    data = upcast(entry_type, schema, stored)
    where = f"entry {entry_id} ({entry_type}): data." if named else ""
    data = validate_payload(entry_type, data, where)
    payload_check(entry_type, data)
    subject = data[SUBJECT_FIELD[entry_type]]
    if env.get("subject", subject) != subject:
        raise EntryError(
            f"entry {entry_id}: subject {env['subject']!r} is not the payload's {subject!r}"
        )
    recorded_at = _check_timestamp(env["recorded_at"]) if "recorded_at" in env else utc_now()
    return PendingEntry(
        entry_id, entry_type, subject, env["author"], recorded_at, schema, stored, data
    )


def _check_timestamp(value: str) -> str:
    try:
        return normalize(value)
    except ValueError:
        raise EntryError(f"recorded_at {value!r} is not an ISO-8601 time") from None


def parse_lines(lines: Iterable[bytes | str], name: str) -> Iterator[PendingEntry]:
    for number, line in enumerate(lines, start=1):
        try:
            if isinstance(line, bytes):
                if len(line) > MAX_LINE_BYTES:
                    raise EntryError(f"line longer than {MAX_LINE_BYTES} bytes")
                try:
                    line = line.decode("utf-8")
                except UnicodeDecodeError:
                    raise EntryError("not valid UTF-8") from None
            if not line.strip():
                continue
            if len(line) > MAX_LINE_BYTES:
                raise EntryError(f"line longer than {MAX_LINE_BYTES} bytes")
            item = _prepare_envelope(validate_envelope_json(line), named=True)
        except EntryError as err:
            raise EntryError(f"{name}, line {number}: {err}") from None
        item.where = f"{name}, line {number}: "
        yield item
