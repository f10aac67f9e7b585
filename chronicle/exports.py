"""``chronicle export``: every kind of row in every format, streamed, for the CLI and the TUI.

``write_export`` is the one entry point: the CLI calls it with standard output or
a file, the TUI with the file its export action chose. Rows come from generators
over SQLite cursors and go straight to the output, so memory stays flat from
fifty events to a million; only the ``sqlite`` format, which builds a file,
takes a path instead of a stream (see ``write_export``).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO, TypeVar, cast

from rich.console import Console

from chronicle import queries
from chronicle.exporters import datasette, files, tabular, timelinejs
from chronicle.exporters.datasette import ExportError, metadata_path
from chronicle.exporters.rows import (
    FILTERED,
    WHATS,
    Scope,
    event_views,
    table_rows,
    table_values,
    timeline_utf8,
    values_in,
)
from chronicle.queries import (
    TIMELINE_COLUMNS,
    TimelineFilter,
    density,
    located_places,
    place_summary,
)
from chronicle.store import Store, is_store_file, store_files

__all__ = [
    "CHRONOLOGIES",
    "FORMATS",
    "SUFFIXES",
    "WHATS",
    "ExportError",
    "ExportResult",
    "TerminalProgress",
    "check",
    "check_output",
    "export_file",
    "metadata_path",
    "write_export",
    "write_rows",
]

CHRONOLOGIES = ("markdown", "html", "timelinejs", "timelinejs-csv", "acled-csv", "ucdp-csv")
FORMATS = (*tabular.TABULAR, *CHRONOLOGIES, "sqlite")
SUFFIXES = {
    "csv": ".csv", "json": ".json", "ndjson": ".ndjson", "markdown": ".md", "html": ".html",
    "timelinejs": ".json", "timelinejs-csv": ".csv", "acled-csv": ".csv", "ucdp-csv": ".csv",
    "sqlite": ".db",
}  # fmt: skip
DEFAULT_TITLE = "Chronology"
PROGRESS_EVERY = 256
# A streamed export reads most of the store once. Mapped, its pages cost no read()
# call each: at a million entries the timeline's CSV spent 2.3 s of its 6 s in those
# calls, 0.4 s mapped. The store maps only its first 256 MB, as random reads of a
# page want; SQLite maps at most 2 GB whatever is asked. Mapped pages are the OS's
# file cache, not the process's memory, though they count in its resident size.
EXPORT_MMAP_BYTES = 2**31

Progress_ = Callable[[int], None]
T = TypeVar("T")


@dataclass
class ExportResult:
    """What an export wrote: how many rows (events for chronologies), and where."""

    rows: int
    path: Path | None = None
    metadata: Path | None = None


def check(what: str, fmt: str, flt: TimelineFilter | None = None) -> None:
    """Refuse a combination that has no meaning, before a byte is written."""
    if what not in WHATS:
        raise ExportError(f"cannot export {what!r}: choose from {', '.join(WHATS)}")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    if fmt in CHRONOLOGIES and what not in ("timeline", "events"):
        raise ExportError(f"{fmt} writes a chronology: export timeline or events, not {what}")
    if fmt == "sqlite" and what == "log":
        raise ExportError("the log exports as ndjson (or json, csv), not sqlite")
    if flt is not None and flt.active and what not in FILTERED:
        raise ExportError(f"filters select events; {what} cannot be filtered")


def write_export(
    conn: sqlite3.Connection,
    what: str,
    fmt: str,
    out: BinaryIO | TextIO | None = None,
    flt: TimelineFilter | None = None,
    as_of: int | None = None,
    *,
    out_path: str | os.PathLike | None = None,
    title: str | None = None,
    group_by: str = "place",
    progress: Progress_ | None = None,
    raw_cells: bool = False,
) -> ExportResult:
    """Export ``what`` (one of WHATS) as ``fmt`` (one of FORMATS).

    Streamed formats write to ``out``, a binary file object (UTF-8 is written) or
    a text one. ``sqlite`` builds a database file instead and needs ``out_path``:
    the file appears there only once complete, with the Datasette metadata beside
    it (``metadata_path(out_path)``); it always holds every projection table and
    view, narrowed by ``flt``. ``as_of`` is a resolved seq (``queries.resolve_as_of``).
    ``progress`` is called now and then with the number of rows written so far.
    The ``csv`` and ``timelinejs-csv`` formats write text cells spreadsheet-safe
    (``exporters.text.spreadsheet_safe``) unless ``raw_cells``; the dataset layouts
    (``acled-csv``, ``ucdp-csv``) are for scripts and always raw.
    """
    check(what, fmt, flt)
    scope = Scope(flt, as_of)
    title = title or DEFAULT_TITLE
    if fmt == "sqlite":
        if out_path is None:
            raise ExportError("the sqlite format writes a file: give it a path")
        meta, count = datasette.write_sqlite(conn, Path(out_path), scope, title)
        return ExportResult(count, Path(out_path), meta)
    if out is None:
        raise ExportError(f"the {fmt} format writes to a stream: give it one")
    with _text(out) as text, _mapped(conn, EXPORT_MMAP_BYTES):
        count = _write_stream(
            conn, what, fmt, text, scope, _Options(title, group_by, progress, not raw_cells)
        )
    return ExportResult(count)


@dataclass(frozen=True)
class _Options:
    """How a streamed export is written, beyond what and which rows."""

    title: str
    group_by: str
    progress: Progress_ | None
    safe_cells: bool


def _write_stream(
    conn: sqlite3.Connection, what: str, fmt: str, out: TextIO, scope: Scope, options: _Options
) -> int:
    title, group_by, progress = options.title, options.group_by, options.progress
    if fmt == "csv" and what == "timeline":  # the largest export, written as bytes throughout
        batches = _Counted(timeline_utf8(conn, scope), progress, len)
        tabular.write_csv_utf8(out, TIMELINE_COLUMNS, batches, safe=options.safe_cells)
        return batches.n
    if fmt in tabular.TABULAR:
        read = table_values if fmt == "csv" else table_rows
        columns, rows = read(conn, what, scope, _log_reader(conn))
        counted = _Counted(rows, progress)
        tabular.write_tabular(out, fmt, columns, counted, safe=options.safe_cells)
        return counted.n
    # The chronology and dataset writers are imported by the formats that use them: a
    # CSV export, the most frequent, never pays for them (10 ms of start-up).
    from chronicle.exporters import chronology, conflict

    views = _Counted(event_views(conn, scope, every_status=what == "events"), progress)
    if fmt == "markdown":
        chronology.write_markdown(out, views, scope, title)
    elif fmt == "html":
        chart = density(conn, "year", scope.as_of, scope.narrowing)
        where = chronology.Where(
            located_places(conn, scope.narrowing, scope.as_of),
            place_summary(conn, scope.narrowing, scope.as_of).unlocated,
        )
        chronology.write_html(out, views, scope, title, chart, where)
    elif fmt == "timelinejs":
        timelinejs.write_timelinejs(out, views, scope, title, group_by)
    elif fmt == "timelinejs-csv":
        timelinejs.write_timelinejs_csv(out, views, scope, title, group_by, options.safe_cells)
    else:
        places = functools.lru_cache(maxsize=4096)(functools.partial(queries.place_detail, conn))
        write = conflict.write_acled if fmt == "acled-csv" else conflict.write_ucdp
        write(out, views, places)
    return views.n


def write_rows(
    out: BinaryIO | TextIO, fmt: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> int:
    """Rows of any read (a command's, a query's) in a tabular format, as an export writes them.

    One writer per format: what ``chronicle timeline --format csv`` prints is
    escaped exactly as ``chronicle export … --format csv`` writes it.
    """
    if fmt not in tabular.TABULAR:
        raise ExportError(f"unknown format {fmt!r}: choose from {', '.join(tabular.TABULAR)}")
    counted = _Counted(rows, None)
    with _text(out) as text:
        values = map(values_in(columns), counted) if fmt == "csv" else counted
        tabular.write_tabular(text, fmt, columns, values)
    return counted.n


class _Counted(Iterable[T]):
    """Passes items through, counting the rows in them and telling ``progress`` every so often.

    An item is a row, or with ``rows`` (``len`` for a batch) as many as that says.
    """

    def __init__(
        self,
        items: Iterable[T],
        progress: Progress_ | None,
        rows: Callable[[T], int] | None = None,
    ) -> None:
        self.items, self.progress, self.rows, self.n = items, progress, rows, 0

    def __iter__(self) -> Iterator[T]:
        told = 0
        for item in self.items:
            yield item
            self.n += 1 if self.rows is None else self.rows(item)
            if self.progress and self.n - told >= PROGRESS_EVERY:
                told = self.n
                self.progress(self.n)
        if self.progress:
            self.progress(self.n)


def _log_reader(conn: sqlite3.Connection) -> Callable[[int | None], Iterator[dict[str, Any]]]:
    """The store's own reader of the log (interchange format, seq and hashes), on ``conn``."""
    store = Store(conn, Path(), readonly=True)
    return lambda as_of: store.entries(1, as_of)


@contextlib.contextmanager
def _mapped(conn: sqlite3.Connection, size: int) -> Iterator[None]:
    """Map up to ``size`` bytes of the store while an export reads it, then map as before."""
    before = conn.execute("PRAGMA mmap_size").fetchone()[0]
    conn.execute(f"PRAGMA mmap_size = {max(size, before)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA mmap_size = {before}")


@contextlib.contextmanager
def _text(out: BinaryIO | TextIO) -> Iterator[TextIO]:
    """A text view of ``out`` that leaves it open (and flushed) for its owner."""
    if isinstance(out, io.TextIOBase):
        yield cast(TextIO, out)  # a text stream already (typing's TextIO is no io class)
        out.flush()
        return
    text = io.TextIOWrapper(cast(BinaryIO, out), encoding="utf-8", newline="")
    try:
        yield text
    finally:
        text.flush()
        text.detach()


def check_output(
    conn: sqlite3.Connection,
    path: str | os.PathLike,
    fmt: str = "csv",
    *,
    force: bool = False,
    asked_by: str = "cli",
) -> None:
    """Refuse an output that would destroy a store, before a byte is written.

    The store ``conn`` reads, or one of its -wal, -shm and -journal files, is never
    an output (links resolved, hard links caught by inode): renaming an export
    over it would leave nothing to recover. Another chronicle store is an output
    only with ``force``. ``asked_by`` ("cli" or "app") words the refusal for its user.
    """
    name, instead = (
        ("--output", "--force to overwrite it") if asked_by == "cli" else
        ("the file", "choose another file")
    )  # fmt: skip
    targets = [Path(path)]
    if fmt == "sqlite":
        targets.append(metadata_path(Path(path)))
    own = store_files(conn)
    for target in targets:
        if target.resolve() in own or any(_same_file(target, f) for f in own):
            raise ExportError(f"{name} is the store itself")
    if not force and is_store_file(Path(path)):
        raise ExportError(f"{name} {path} is a chronicle store: {instead}")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def export_file(
    conn: sqlite3.Connection,
    what: str,
    fmt: str,
    path: str | os.PathLike,
    flt: TimelineFilter | None = None,
    as_of: int | None = None,
    *,
    force: bool = False,
    **options: Any,
) -> ExportResult:
    """``write_export`` to a file that appears only once complete (never half-written).

    ``check_output`` runs first: the store itself is never overwritten, another
    store only with ``force``.
    """
    path = Path(path)
    check_output(conn, path, fmt, force=force)
    if not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: there is no directory {path.parent}")
    if fmt == "sqlite":
        return write_export(conn, what, fmt, None, flt, as_of, out_path=path, **options)
    check(what, fmt, flt)
    # os.urandom, as secrets.token_hex reads it: importing secrets (hmac) was 5 ms of start-up.
    partial = path.with_name(f".{path.name}.{os.urandom(6).hex()}.partial")
    try:
        with open(files.create(partial), "wb") as handle:
            result = write_export(conn, what, fmt, handle, flt, as_of, **options)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        raise
    result.path = path
    return result


class TerminalProgress:
    """A progress bar on stderr that shows up only once an export has run a while.

    Short exports finish before it would appear, so they print nothing extra;
    a million-row export shows its count, rate and elapsed time.
    """

    def __init__(self, label: str, delay: float = 0.5) -> None:
        self.label, self.delay = label, delay
        self.started = time.monotonic()
        self.bar: Any = None  # a rich Progress once shown
        self.task: Any = None

    def __call__(self, done: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < self.delay:
                return
            # Imported once a bar is due: most exports end before (9 ms of start-up).
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(),
                TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
                console=Console(stderr=True), transient=True,
            )  # fmt: skip
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=None)
        self.bar.update(self.task, completed=done)

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
