"""The intake: where an entry enters chronicle, is validated once and made ready to append.

Everything a caller hands in (an entry built from a command's flags, a line of an
NDJSON import, a row of a spreadsheet) passes through ``prepare`` or ``parse_lines``
here: the envelope's shape, the payload at its schema, its dates parsed once and
kept, its subject and time. What leaves is a ``PendingEntry`` that the appender only
has to number, hash and write; nothing past this point validates again.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from chronicle.chain import GENESIS, canonical_json, entry_hash
from chronicle.dates import DateError, parse_edtf
from chronicle.errors import ChronicleError, EntryError
from chronicle.terms import CURRENT_SCHEMA, MAX_LINE_BYTES, SUBJECT_FIELD
from chronicle.timestamps import normalize
from chronicle.upcasting import upcast
from chronicle.vocabulary import (
    Envelope,
    payload_check,
    validate_envelope,
    validate_envelope_json,
    validate_payload,
)

# What only a line of a log export carries, and what it needs besides: its hash covers all.
EXPORT_FIELDS = ("seq", "subject_version", "prev_hash", "hash")
HASHED_FIELDS = ("seq", "subject", "subject_version", "recorded_at", "schema", "prev_hash", "hash")


@dataclass
class AppendResult:
    """What an append did: the seqs it gave, and the entries already logged it skipped.

    Appends are idempotent by entry id, so a re-run import reports what it skipped
    rather than failing. The seqs an append gives follow each other, so they are a
    range: an import of a million entries does not keep a million numbers.
    """

    added: range = range(0)
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
    recorded_at: str | None  # the time it came with; None: recorded when it is written
    schema: int
    stored_json: str  # the payload as it is written to the log: canonical JSON, encoded once
    data: dict[str, Any]  # the payload at the current schema, for the projection
    where: str = ""  # where it came from, for error messages ("seeds.ndjson, line 4: ")
    hash: str | None = None  # the hash it has in another copy of the log, which it must keep

    @property
    def stored(self) -> dict[str, Any]:
        """The payload as written, read back: only the rare comparisons need it as a dict."""
        stored: dict[str, Any] = json.loads(self.stored_json)
        return stored


class ExportChain:
    """Checks the lines of one log export against each other, as ``verify`` checks a log.

    A line that carries ``seq`` and its hashes is a line of a log export. Each one
    must hash to its ``hash`` (recomputed from its own fields and ``prev_hash``),
    and follow the line before it: ``seq`` one more, ``prev_hash`` that line's
    hash; the first line of an export from seq 1 starts from the chain's origin.
    So an export edited after it was written (a title changed, the hashes left
    alone) is refused, naming the first field that does not hold. An export
    that starts later (``log --ndjson --from N``) is checked from its first line.
    """

    def __init__(self) -> None:
        self.last: tuple[int, str] | None = None  # (seq, hash) of the last export line
        self.plain = False  # a line without seq and hashes came first

    def check(self, env: Envelope) -> bool:
        """True when ``env`` is a verified line of a log export; raises EntryError if not."""
        present = [name for name in EXPORT_FIELDS if name in env]
        if not present:
            if self.last is not None:
                raise EntryError("an entry without seq and hashes among the lines of a log export")
            self.plain = True
            return False
        if self.plain:
            raise EntryError("a line of a log export (with seq and hashes) among plain entries")
        missing = [name for name in HASHED_FIELDS if name not in env]
        if missing:
            raise EntryError(f"a line of a log export needs {', '.join(missing)} too")
        seq, prev, digest = env["seq"], env["prev_hash"], env["hash"]
        self._follows(seq, prev)
        recomputed = entry_hash(
            seq, env["id"], env["type"], env["subject"], env["subject_version"],
            env["recorded_at"], env["author"], env["schema"], canonical_json(env["data"]), prev,
        )  # fmt: skip
        if recomputed != digest:
            raise EntryError(
                f"hash of seq {seq} does not match its content: the line was changed after it "
                "was exported"
            )
        if _check_timestamp(env["recorded_at"]) != env["recorded_at"]:
            raise EntryError(f"recorded_at of seq {seq} is not spelled as the log writes it")
        self.last = (seq, digest)
        return True

    def _follows(self, seq: int, prev: str) -> None:
        if self.last is None:
            if seq == 1 and prev != GENESIS:
                raise EntryError("prev_hash of seq 1 is not the chain's origin (64 zeros)")
            return
        last_seq, last_hash = self.last
        if seq != last_seq + 1:
            raise EntryError(f"seq {seq} does not follow seq {last_seq} of the line before")
        if prev != last_hash:
            raise EntryError(f"prev_hash of seq {seq} is not the hash of seq {last_seq}")


# Each EDTF field of a payload, with the field that keeps what was understood of it.
DATED_FIELDS = {
    "event.asserted": (("when", "when_bounds"),),
    "event.corrected": (("changes.when", "changes.when_bounds"),),
    "source.registered": (("published", "published_bounds"),),
}
BOUNDS_KEYS = ("earliest", "latest", "precision", "approximate", "uncertain", "display")


def _with_bounds(entry_type: str, data: dict[str, Any], trusted: bool) -> dict[str, Any]:
    """Store each EDTF date as the standard writes it, with the bounds parsed from it now.

    Bounds handed in with a date are derived again and must agree; the one
    exception (``trusted``) is an entry of a log export whose hash verified, which
    keeps what was understood when it was written.
    """
    for dated, bounds_field in DATED_FIELDS.get(entry_type, ()):
        holder, key = _holder(data, dated)
        bounds_key = bounds_field.rpartition(".")[2]
        if holder is None or (trusted and bounds_key in holder and key in holder):
            continue
        if key not in holder:
            if bounds_key in holder:
                raise EntryError(f"{bounds_field} without {dated}: bounds follow from the date")
            continue
        text = holder[key].strip() if isinstance(holder[key], str) else holder[key]
        if not isinstance(text, str):
            continue  # the payload's validation names the wrong type
        try:
            derived = parse_edtf(text).to_dict()
        except DateError as err:
            raise EntryError(str(err)) from None
        if bounds_key in holder and holder[bounds_key] != derived:
            raise EntryError(_disagreement(bounds_field, dated, text, holder[bounds_key], derived))
        data = _replaced(data, dated, {**holder, key: text, bounds_key: derived})
    return data


def _holder(data: dict[str, Any], field: str) -> tuple[dict[str, Any] | None, str]:
    """The dict holding ``field`` (``changes.when`` is in ``changes``), and its key there."""
    parent, _, key = field.rpartition(".")
    holder = data.get(parent) if parent else data
    return (holder if isinstance(holder, dict) else None), key


def _replaced(data: dict[str, Any], field: str, holder: dict[str, Any]) -> dict[str, Any]:
    parent = field.rpartition(".")[0]
    return {**data, parent: holder} if parent else holder


def _disagreement(
    bounds_field: str, field: str, text: str, given: Any, derived: dict[str, Any]
) -> str:
    said = f"{bounds_field} do not follow from {field} {text!r}"
    if not isinstance(given, dict):
        return f"{said}: {str(given)[:40]!r} is not bounds"
    key = next((k for k in BOUNDS_KEYS if given.get(k) != derived[k]), None)
    if key is None:
        return f"{said}: only {', '.join(BOUNDS_KEYS)} may be given"
    value = given.get(key)
    return (
        f"{said}: {key} {value[:40] if isinstance(value, str) else value!r}, not {derived[key]!r}"
    )


def _refuse_nul(value: Any, path: str) -> None:
    """NUL ends a string for sqlite3 and every C client: they would show less than is stored."""
    if isinstance(value, str):
        if "\x00" in value:
            raise EntryError(f"{path}: a NUL character (\\x00) is not allowed in text")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, f"{path}.{index}")


def prepare(
    raw: Any,
    default_author: str | None = None,
    *,
    named: bool = True,
    chain: ExportChain | None = None,
) -> PendingEntry:
    """Validate one interchange entry at the edge; raises EntryError with one line.

    ``named`` errors name the entry (imports, files); commands built from a user's
    flags pass False, since the generated entry id would mean nothing to them.
    ``chain`` checks the hashes of a log export's entries against each other.
    """
    if isinstance(raw, dict) and default_author and "author" not in raw:
        raw = {**raw, "author": default_author}
    env = validate_envelope(raw)
    return _prepare_envelope(env, named, trusted=(chain or ExportChain()).check(env))


def _prepare_envelope(
    env: Envelope,
    named: bool,
    *,
    trusted: bool = False,
    may_hold_nul: bool = True,
    text: str | None = None,
) -> PendingEntry:
    """Everything after the envelope's shape: dates, upcasting, payload, subject, time.

    ``text``: the payload as another copy of the log wrote it, kept as its encoding
    when nothing was added to it here (see ``pulled_entry``).
    """
    entry_type, entry_id = env["type"], env["id"]
    schema = env.get("schema", CURRENT_SCHEMA[entry_type])
    where = f"entry {entry_id} ({entry_type}): data." if named else ""
    raw = env["data"]
    stored = _with_bounds(entry_type, raw, trusted) if isinstance(raw, dict) else {}
    data = upcast(entry_type, schema, stored)
    data = validate_payload(entry_type, data, where)
    payload_check(entry_type, data)
    if may_hold_nul:
        _refuse_nul(env["author"], f"entry {entry_id}: author" if named else "author")
        _refuse_nul(stored, where.rstrip("."))
    subject = data[SUBJECT_FIELD[entry_type]]
    if env.get("subject", subject) != subject:
        raise EntryError(
            f"entry {entry_id}: subject {env['subject']!r} is not the payload's {subject!r}"
        )
    recorded_at = _check_timestamp(env["recorded_at"]) if "recorded_at" in env else None
    stored_json = text if text is not None and stored is raw else canonical_json(stored)
    return PendingEntry(
        entry_id, entry_type, subject, env["author"], recorded_at, schema, stored_json, data,
    )  # fmt: skip


def _check_timestamp(value: str) -> str:
    try:
        return normalize(value)
    except ValueError:
        raise EntryError(f"recorded_at {value!r} is not an ISO-8601 time") from None


def bounded_lines(source: Iterable[bytes | str]) -> Iterator[bytes | str]:
    """The lines of ``source``, none read further than MAX_LINE_BYTES + 1.

    Iterating a file reads a whole line before anything can look at its length: a
    2 GB line without a newline is 2 GB in memory. A stream is read with
    ``readline(limit)`` instead, so a longer line comes as its first MAX_LINE_BYTES
    + 1 bytes (or characters), which the caller refuses by its line number.
    """
    readline = getattr(source, "readline", None)
    if readline is None:
        yield from source
        return
    while line := readline(MAX_LINE_BYTES + 1):
        yield line


def parse_lines(lines: Iterable[bytes | str], name: str) -> Iterator[PendingEntry]:
    """The entries of NDJSON ``lines``; an error names the line it was found on."""
    return _parse_numbered(enumerate(bounded_lines(lines), start=1), name, ExportChain())


def _parse_numbered(
    numbered: Iterable[tuple[int, bytes | str]], name: str, chain: ExportChain
) -> Iterator[PendingEntry]:
    for number, line in numbered:
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
            env = validate_envelope_json(line)
            # In JSON text a NUL can only be written as an escape.
            item = _prepare_envelope(
                env, named=True, trusted=chain.check(env), may_hold_nul="\\u0000" in line
            )
        except EntryError as err:
            raise EntryError(f"{name}, line {number}: {err}") from None
        item.where = f"{name}, line {number}: "
        yield item


# --- reading a large input beside the writer ------------------------------------------

ASIDE_BATCH = 512  # lines sent to the parsing process at once
# Bytes each pipe holds (Linux's largest by default): room for the child to be two
# batches ahead, so that the writer rarely waits for it to be scheduled again.
ASIDE_PIPE_BYTES = 1 << 20


def can_parse_aside() -> bool:
    """Whether a second process can parse while this one writes: a second core, and fork.

    A daemonic process (a writer some program runs in one) may not have children.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        (cores or 1) > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def parse_lines_aside(lines: Iterable[bytes | str], name: str) -> Iterator[PendingEntry]:
    """``parse_lines`` with the parsing, validation and encoding done by a child process.

    Reading an entry (JSON, both validations, dates, canonical encoding) was a third
    of a large import's time in the one process that also writes SQLite; beside it,
    on another core, it overlaps the writing. Entries come back in order, and an
    error comes back where it was found, so what is written, refused or reported is
    exactly what ``parse_lines`` gives.
    """
    chain = ExportChain()  # the child's own, after the fork: it checks every line in order

    def parse(first: int, batch: list[Any]) -> Iterator[PendingEntry]:
        return _parse_numbered(enumerate(batch, start=first), name, chain)

    return read_aside(bounded_lines(lines), parse)


def read_aside(
    items: Iterable[Any], read: Callable[[int, list[Any]], Iterator[PendingEntry]]
) -> Iterator[PendingEntry]:
    """The entries ``read`` makes of ``items`` (given in numbered batches), made by a child
    process while this one writes the entries before them.

    A thread of this process takes the items (reading a file, or a team log's rows)
    and feeds them to the child; pipes bound how far ahead it may go. Entries come
    back in order; an EntryError (any refusal of chronicle's) comes back where it was
    raised, after the entries before it; an error of the items themselves is raised
    once those that came before it are written. The child ignores Ctrl-C (the writer decides) and is
    killed when the entries stop being read, however that is.
    """
    forking = multiprocessing.get_context("fork")
    items_in, items_out = forking.Pipe(duplex=False)
    entries_in, entries_out = forking.Pipe(duplex=False)
    import fcntl  # POSIX only, as fork is

    for end in (items_in, entries_in):
        with contextlib.suppress(OSError, AttributeError):  # not Linux, or a lower limit
            fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, ASIDE_PIPE_BYTES)
    child = forking.Process(
        target=_reading_child, args=(items_in, entries_out, (items_out, entries_in), read),
        daemon=True,
    )  # fmt: skip
    child.start()
    items_in.close()
    entries_out.close()
    unread: list[BaseException] = []
    feeder = threading.Thread(target=_feed, args=(items, items_out, unread), daemon=True)
    feeder.start()
    try:
        while True:
            try:
                kind, body = entries_in.recv()
            except EOFError:
                raise RuntimeError("the process reading the input ended unexpectedly") from None
            if kind == "end":
                break
            if kind == "refused":  # an EntryError, or a team log's refusal, as it was raised
                raise body
            if kind == "failed":
                raise RuntimeError(f"reading the input failed: {body}")
            for fields in body:
                yield PendingEntry(*fields)
        if unread:
            raise unread[0]
    finally:
        child.kill()
        child.join()
        entries_in.close()
        feeder.join()
        items_out.close()


def _feed(items: Iterable[Any], out: Connection, unread: list[BaseException]) -> None:
    """Send the items in numbered batches, then the end; a read error is kept for the reader."""
    try:
        batch: list[Any] = []
        first = 1
        for number, item in enumerate(items, start=1):
            batch.append(item)
            if len(batch) == ASIDE_BATCH:
                out.send((first, batch))
                batch, first = [], number + 1
        out.send((first, batch))
    except BrokenPipeError:
        return  # the child is gone: the reader stopped, or will say why
    except BaseException as err:
        unread.append(err)
    with contextlib.suppress(OSError):
        out.send(None)


def _reading_child(
    items: Connection,
    entries: Connection,
    parents: tuple[Connection, ...],
    read: Callable[[int, list[Any]], Iterator[PendingEntry]],
) -> None:
    """The child: read each batch in order and send its entries back as plain tuples,
    ASIDE_BATCH at a time (a batch may make many: a team log's rows, fetched here)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for end in parents:  # the parent's ends: held here, they would hide its exit
        end.close()
    try:
        while (batch := items.recv()) is not None:
            first, raw = batch
            made: list[tuple[Any, ...]] = []
            try:
                for item in read(first, raw):
                    made.append(_fields_of(item))
                    if len(made) == ASIDE_BATCH:
                        entries.send(("entries", made))
                        made = []
            except ChronicleError as err:  # the entries before it first, as they are read
                entries.send(("entries", made))
                entries.send(("refused", err))
                return
            entries.send(("entries", made))
        entries.send(("end", None))
    except (EOFError, BrokenPipeError):
        pass  # the parent stopped reading, or is gone
    except Exception as err:
        entries.send(("failed", f"{type(err).__name__}: {err}"))


def _fields_of(item: PendingEntry) -> tuple[Any, ...]:
    """A PendingEntry's fields in order, for ``PendingEntry(*fields)``: cheaper to send."""
    return (
        item.entry_id, item.entry_type, item.subject, item.author, item.recorded_at,
        item.schema, item.stored_json, item.data, item.where, item.hash,
    )  # fmt: skip


def pulled_entry(line: str, where: str, digest: str, text: str) -> PendingEntry:
    """One entry of another copy of the log (a team log's row), as a line of its export.

    It is validated as any line is, and its dates' bounds are kept as written, as
    for an export line whose hash verified; but its hash is not recomputed here:
    the appender hashes every entry as it writes it and refuses one whose hash is
    not ``digest``. Checking each twice (canonical JSON, then SHA-256) took about
    a tenth of a clone's time. ``text`` is the payload as that copy wrote it: kept
    as its encoding when nothing was added to it here, it is written and hashed
    without encoding the payload again (the hash still has to match).
    """
    try:
        env = validate_envelope_json(line)
        item = _prepare_envelope(
            env, named=True, trusted=True, may_hold_nul="\\u0000" in line, text=text
        )
    except EntryError as err:
        raise EntryError(f"{where}{err}") from None
    item.where, item.hash = where, digest
    return item
