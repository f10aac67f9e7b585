"""Chronicle's figures: each measured through the API its users go through, read against a
reference from the same run and checked against the target the issue set.

The figures run in one order on one store: the import fills it, the read-only figures
follow, and the single appends come last, so that every read is of the imported log
and nothing measured before them pays for their corrections. A figure that fails
marks its own row and the others still run; one that cannot run without the import
says so.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import reference
from report import References, Row, Target

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
# The reference for the import: the peer's application append (aggregates,
# repository, notification log), the path an application built on it takes; its bare
# recorder is in the report beside it.
PEER_APPEND = "peer append (application)"

#: Words users search for: frequent report vocabulary, town names, a two-word query.
#: Rare words (names and aliases) are drawn from the store itself.
COMMON_WORDS = ("convoy", "Kidal", "ceasefire", "ambush Gao", "withdrew", "mercenaries")
AUTHOR = "benchmark"


class ChronicleUnavailable(Exception):
    """The store can't be measured (not importable, or its import step failed)."""


@dataclass(frozen=True)
class Sampling:
    """How many samples each figure takes: enough at 1M for a stable median or p99,
    few enough at smoke size for CI to run the whole harness in seconds."""

    appends: int
    pages: int
    as_of_arrays: int
    shows: int
    jumps: int
    rare_words: int
    tui_steps: int
    repeats: int

    @classmethod
    def for_entries(cls, entries: int) -> Sampling:
        if entries >= 100_000:
            return cls(1000, 200, 3, 200, 200, 14, 200, 3)
        return cls(50, 20, 2, 20, 20, 4, 20, 1)


@dataclass(frozen=True)
class Figure:
    """A measured value and what is worth keeping about how it was measured."""

    value: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChronicleContext:
    """What every figure gets: the log, where the store lives, the references so far."""

    ndjson: Path
    db: Path
    entries: int
    refs: References
    seed: int = 1
    store: Any = None
    found: dict[str, Any] = field(default_factory=dict)  # results that later figures reuse

    def __post_init__(self) -> None:
        self.sampling = Sampling.for_entries(self.entries)
        self.rng = random.Random(self.seed)

    @property
    def conn(self) -> sqlite3.Connection:
        if self.store is None:
            raise ChronicleUnavailable("the import step did not run")
        return self.store.conn


@dataclass(frozen=True)
class Hook:
    """A chronicle figure: how to measure it, what it is read against, what it must reach."""

    figure: str
    unit: str
    measure: Callable[[ChronicleContext], Figure]
    reference_key: str | None = None
    target: Target | None = None


# ---- timing ---------------------------------------------------------------------------


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by one call, and what it returned."""
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def timings_ms(calls: Iterable[Callable[[], object]]) -> list[float]:
    """Wall time of calls made one after another, in milliseconds."""
    return [1000 * timed(call)[0] for call in calls]


def spread(samples_ms: list[float]) -> dict[str, float]:
    """Median, p99 and worst of a list of milliseconds, for a row's details."""
    summary = reference.latency([ms / 1000 for ms in samples_ms])
    return {
        "samples": summary.samples,
        "median_ms": round(summary.median_ms, 3),
        "p99_ms": round(summary.p99_ms, 3),
        "max_ms": round(max(samples_ms, default=0.0), 3),
    }


def two_passes_ms(calls: list[Callable[[], object]]) -> tuple[list[float], list[float]]:
    """Each call timed twice: the second pass, then the first.

    A million-entry store (3 GB) is larger than the page cache this machine's
    virtual disk keeps (never above 4 GB here, with 18 GB free), and the run has just
    written the peer's and the bare databases besides: the first pass measures
    whatever the cache happens to hold, often the disk. The second measures the
    query. Both are kept: the first goes into the details as ``first_pass``.
    """
    first = timings_ms(calls)
    return timings_ms(calls), first


def two_pass_figure(calls: list[Callable[[], object]], **details: Any) -> Figure:
    """Median of the second pass, with the first pass's spread in the details."""
    second, first = two_passes_ms(calls)
    return median_figure(second, first_pass=spread(first), **details)


def median_figure(samples_ms: list[float], **details: Any) -> Figure:
    stats = spread(samples_ms)
    return Figure(stats["median_ms"], {**stats, **details})


def load_store_class() -> Any:
    """Imported here, never at module level: the harness's other parts run without it."""
    try:
        from chronicle.store import Store
    except ImportError as error:
        raise ChronicleUnavailable(f"chronicle.store not importable ({error})") from error
    return Store


# ---- sampling the store ------------------------------------------------------------------


def sample_rows(
    conn: sqlite3.Connection,
    table: str,
    column: str,
    count: int,
    rng: random.Random,
    where: str = "1",
) -> list[Any]:
    """``count`` values of ``column`` from rows picked at random, without reading the table.

    Picks are by rowid, so a sample of a million-row table costs ``count`` index lookups.
    """
    high = conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()[0]
    sql = f"SELECT {column} FROM {table} WHERE rowid >= ? AND ({where}) ORDER BY rowid LIMIT 1"
    picked: list[Any] = []
    for _ in range(count * 4 if high else 0):
        found = conn.execute(sql, (rng.randint(1, high),)).fetchone()
        if found is not None:
            picked.append(found[0])
        if len(picked) == count:
            break
    return picked


def active_events(ctx: ChronicleContext, count: int) -> list[str]:
    return sample_rows(ctx.conn, "events", "event_id", count, ctx.rng, "status = 'active'")


def search_words(ctx: ChronicleContext) -> list[str]:
    """Frequent words and rare names (entity names and aliases as the log spells them)."""
    rare = ctx.sampling.rare_words
    names = sample_rows(ctx.conn, "entities", "name", rare // 2, ctx.rng)
    aliases = sample_rows(ctx.conn, "entity_aliases", "alias", rare - len(names), ctx.rng)
    return [*COMMON_WORDS, *names, *aliases]


# ---- import, disk, verify, rebuild ----------------------------------------------------------


def hook_import(ctx: ChronicleContext) -> Figure:
    """The whole import: parse, validate, hash, project, index for search, commit; entries/s."""
    store_class = load_store_class()
    reference.remove_db(ctx.db)
    ctx.store = store_class.open(ctx.db, create=True)
    with ctx.ndjson.open("rb") as lines:
        seconds, result = timed(lambda: ctx.store.import_lines(lines, name=ctx.ndjson.name))
    added = len(result.added)
    if added != ctx.entries:
        raise RuntimeError(f"imported {added} entries of {ctx.entries}")
    ctx.refs.remember("chronicle_import_s", "chronicle import", seconds)
    ctx.found["import_rate"] = added / seconds
    synchronous = ctx.conn.execute("PRAGMA synchronous").fetchone()[0]
    return Figure(
        added / seconds, {"seconds": seconds, "entries": added, "synchronous": synchronous}
    )


FLAT_SLICE = 10  # the rate of the whole import is read against that of its first tenth


def hook_import_first_tenth(ctx: ChronicleContext) -> Figure:
    """The first tenth of the same log (100,000 entries of a million) into a store of its own.

    Read against it, the whole import's rate says whether the cost of an entry grows
    with the store: "flat" is the whole import at ≥ 0.75× the rate of its first tenth.
    Run after the whole import, so that both find the machine in the same state.
    """
    import_rate(ctx)  # measured after the whole import, or not at all
    store_class = load_store_class()
    count = max(1, ctx.entries // FLAT_SLICE)
    db = ctx.db.with_name(f"first-tenth-{ctx.db.name}")
    reference.remove_db(db)
    try:
        with store_class.open(db, create=True) as store, ctx.ndjson.open("rb") as lines:
            first = itertools.islice(lines, count)
            seconds, result = timed(lambda: store.import_lines(first, name=ctx.ndjson.name))
    finally:
        reference.remove_db(db)
    rate = len(result.added) / seconds
    ctx.refs.remember("first_tenth_rate", f"the import of the first {count:,} entries", rate)
    return Figure(rate, {"seconds": seconds, "entries": len(result.added)})


def hook_import_again(ctx: ChronicleContext) -> Figure:
    """The whole import's rate once more, for a row that reads it against another reference."""
    return Figure(import_rate(ctx))


def import_rate(ctx: ChronicleContext) -> float:
    if "import_rate" not in ctx.found:
        raise ChronicleUnavailable("the import step did not run")
    return ctx.found["import_rate"]


def hook_order(ctx: ChronicleContext) -> Figure:
    """Numbering the timeline for paging, which the first open after an import pays; s."""
    seconds, _ = timed(ctx.store.ensure_order)
    return Figure(seconds)


FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")


def fts_tables(conn: sqlite3.Connection) -> list[str]:
    """The full-text tables and their shadow tables, which the disk target leaves out."""
    virtual = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'"
        )
    ]
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    wanted = {*virtual, *(f"{v}_{suffix}" for v in virtual for suffix in FTS5_SHADOWS)}
    return sorted(names & wanted)


def hook_disk(ctx: ChronicleContext) -> Figure:
    """Bytes per entry of every table and index but the full-text ones, after a checkpoint."""
    conn = ctx.conn
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sizes = dict(conn.execute("SELECT name, pgsize FROM dbstat WHERE aggregate = TRUE"))
    fts = set(fts_tables(conn))
    kept = sum(size for name, size in sizes.items() if name not in fts)
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:10]
    return Figure(
        kept / ctx.entries,
        {
            "file_bytes_per_entry": reference.db_size(ctx.db) / ctx.entries,
            "fts_bytes_per_entry": sum(sizes.get(name, 0) for name in fts) / ctx.entries,
            "largest_bytes_per_entry": {
                name: round(size / ctx.entries, 1) for name, size in largest
            },
        },
    )


def hook_disk_with_fts(ctx: ChronicleContext) -> Figure:
    """Bytes per entry of every table and index, the full-text index included."""
    conn = ctx.conn
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE aggregate = TRUE").fetchone()[0]
    return Figure(
        total / ctx.entries, {"file_bytes_per_entry": reference.db_size(ctx.db) / ctx.entries}
    )


def hook_verify(ctx: ChronicleContext) -> Figure:
    """Re-walk the whole hash chain; rows/s."""
    seconds, result = timed(ctx.store.verify)
    if not result.ok:
        raise RuntimeError(f"verify failed at seq {result.first_bad}: {result.problem}")
    ctx.refs.remember("chronicle_verify_s", "chronicle verify (chain walk)", seconds)
    return Figure(result.entries / seconds, {"seconds": seconds, "entries": result.entries})


def hook_views_quick_check(ctx: ChronicleContext) -> Figure:
    """The views' freshness and definitions, as plain ``verify`` and the app's open run it."""
    from chronicle import audit

    samples = timings_ms([lambda: audit.quick_check(ctx.conn)] * 5)
    found = audit.quick_check(ctx.conn)
    if found is not None:
        raise RuntimeError(str(found))
    return median_figure(samples)


def hook_verify_projections(ctx: ChronicleContext) -> Figure:
    """``verify --projections``' own part: replay the log into a scratch file, compare; s."""
    from chronicle import audit

    seconds, found = timed(lambda: audit.compare_with_log(ctx.store.path))
    if found is not None:
        raise RuntimeError(str(found))
    return Figure(seconds, {"entries": ctx.entries, "entries_per_s": ctx.entries / seconds})


def hook_rebuild(ctx: ChronicleContext) -> Figure:
    """Drop every projection and replay the whole log; seconds (read against the import's)."""
    seconds, applied = timed(ctx.store.rebuild)
    return Figure(seconds, {"entries_per_s": applied / seconds, "entries": applied})


# ---- reading ------------------------------------------------------------------------------


def hook_timeline_page(ctx: ChronicleContext) -> Figure:
    """Keyset pages of the current timeline, as many rows as the app's, at random positions;
    median ms."""
    from chronicle import queries
    from chronicle.tui.rows import PAGE_SIZE as PAGE

    conn = ctx.conn
    ctx.store.ensure_order()
    count = queries.timeline_count(conn)
    firsts = [ctx.rng.randint(1, max(count - PAGE + 1, 1)) for _ in range(ctx.sampling.pages)]
    pages = [lambda f=f: queries.timeline_page(conn, f, f + PAGE - 1) for f in firsts]

    def tui_page(first: int) -> None:
        page = queries.timeline_page(conn, first, first + PAGE - 1)
        queries.corrected_ids(conn, [row["event_id"] for row in page])

    figure = two_pass_figure(pages, rows=count)
    with_marks = timings_ms(lambda f=f: tui_page(f) for f in firsts)
    figure.details["tui_page_with_corrected_marks"] = spread(with_marks)
    return figure


def _as_of_points(ctx: ChronicleContext) -> list[int]:
    """Points in the log's history spread over its length: early, middle, late."""
    from chronicle import queries

    head = queries.head_seq(ctx.conn)
    n = ctx.sampling.as_of_arrays
    return [max(1, head * (k + 1) // (n + 1)) for k in range(n)]


def hook_as_of_array(ctx: ChronicleContext) -> Figure:
    """The TUI's id array for a past timeline (built once per as-of, in a worker); median ms."""
    from chronicle import queries
    from chronicle.queries import TimelineFilter

    arrays: dict[int, list[str]] = {}

    def build(seq: int) -> None:
        arrays[seq] = queries.timeline_ids(ctx.conn, TimelineFilter(), seq)

    figure = two_pass_figure([lambda seq=seq: build(seq) for seq in _as_of_points(ctx)])
    ctx.found["as_of_arrays"] = arrays
    figure.details["rows"] = {str(seq): len(ids) for seq, ids in arrays.items()}
    return figure


def hook_as_of_page(ctx: ChronicleContext) -> Figure:
    """A page of ids (the app's page size) of a past timeline read as of its seq; median ms."""
    from chronicle import queries
    from chronicle.tui.rows import PAGE_SIZE as PAGE

    arrays: dict[int, list[str]] = ctx.found.get("as_of_arrays") or {}
    usable = [(seq, ids) for seq, ids in arrays.items() if ids]
    if not usable:
        raise ChronicleUnavailable("no as-of id array was built")
    calls = []
    for k in range(ctx.sampling.pages):
        seq, ids = usable[k % len(usable)]
        first = ctx.rng.randint(0, max(len(ids) - PAGE, 0))
        page = ids[first : first + PAGE]
        calls.append(lambda page=page, seq=seq: queries.events_by_id(ctx.conn, page, seq))
    return two_pass_figure(calls)


def hook_fts_search(ctx: ChronicleContext) -> Figure:
    """Full-text matches (every matching event id) for frequent words and rare names; median ms."""
    from chronicle import queries

    words = search_words(ctx)
    ctx.found["words"] = words
    counts: dict[str, int] = {}

    def search(word: str) -> None:
        counts[word] = len(queries.search_ids(ctx.conn, word))

    return two_pass_figure([lambda word=word: search(word) for word in words], matches=counts)


def hook_search_results(ctx: ChronicleContext) -> Figure:
    """The TUI's search: the ordered ids of the matching timeline; worst ms over the words."""
    from chronicle import queries
    from chronicle.queries import TimelineFilter

    words = ctx.found.get("words") or search_words(ctx)
    filters = [TimelineFilter(search=word) for word in words]
    calls = [lambda flt=flt: queries.timeline_ids(ctx.conn, flt) for flt in filters]
    second, first = two_passes_ms(calls)
    details = {
        **spread(second),
        "ms_per_word": dict(zip(words, second, strict=True)),
        "first_pass": {**spread(first), "ms_per_word": dict(zip(words, first, strict=True))},
    }
    return Figure(max(second), details)


def hook_show(ctx: ChronicleContext) -> Figure:
    """Random events with actors, citations, claims, disputes, links and history; median ms."""
    from chronicle import queries

    events = active_events(ctx, ctx.sampling.shows)
    return two_pass_figure([lambda e=e: queries.show(ctx.conn, e) for e in events])


def hook_disputes(ctx: ChronicleContext) -> Figure:
    """Every disputed (event, property, about) of the whole store; median ms of a few runs.

    The figure is the groups as the SQL view holds them (claimants as JSON text); the
    details add the same read with every group's claimants decoded into Python.
    """
    from chronicle import queries

    found: list[int] = []

    def run(decode: bool) -> None:
        found.append(len(queries.disputes(ctx.conn, disputed_only=True, decode=decode)))

    figure = two_pass_figure([lambda: run(False) for _ in range(ctx.sampling.repeats)])
    decoded = timings_ms(lambda: run(True) for _ in range(ctx.sampling.repeats))
    figure.details.update(disputes=found[-1], claimants_decoded=spread(decoded))
    return figure


def hook_jump(ctx: ChronicleContext) -> Figure:
    """The TUI's jump to a date: a binary search on the timeline's order; p99 ms."""
    from chronicle.tui.rows import OrderedRows

    ctx.store.ensure_order()
    rows = OrderedRows(ctx.conn)
    rng = ctx.rng
    dates = [
        f"{rng.randint(1955, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        for _ in range(ctx.sampling.jumps)
    ]
    second, first = two_passes_ms([lambda d=d: rows.index_at_date(d) for d in dates])
    stats = spread(second)
    return Figure(stats["p99_ms"], {**stats, "first_pass": spread(first)})


# ---- export ---------------------------------------------------------------------------------


def chronicle_command(ctx: ChronicleContext, *args: str) -> list[str]:
    """The CLI as a user runs it, from this checkout whether or not it is installed."""
    return [sys.executable, "-m", "chronicle", "--store", str(ctx.db), *args]


def _environment() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT), path) if p)}


def hook_csv_export(ctx: ChronicleContext) -> Figure:
    """`chronicle export timeline --format csv` to a file, whole command; seconds.

    Read against `sqlite3 -csv` of the store's own timeline view, timed just before.
    """
    shell = reference.sqlite3_csv(ctx.db, "SELECT * FROM timeline")
    ctx.refs.remember("timeline_csv", "sqlite3 -csv timeline", shell.seconds)
    target = ctx.db.with_name(ctx.db.name + ".timeline.csv")
    command = chronicle_command(
        ctx, "export", "timeline", "--format", "csv", "--output", str(target)
    )
    try:
        seconds, done = timed(
            lambda: subprocess.run(command, capture_output=True, text=True, env=_environment())
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
        size = target.stat().st_size
    finally:
        target.unlink(missing_ok=True)
    return Figure(seconds, {"bytes": size, "reference_note": shell.skipped})


def first_line_ms(command: list[str]) -> tuple[float, str]:
    """From launching a command to the first line on its standard output; ms, and the line.

    The command is ended once the line is read: what a reader of a long table waits for
    is its start, not its end.
    """
    start = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment()
    ) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        elapsed = 1000 * (time.perf_counter() - start)
        process.kill()
        _, errors = process.communicate()
    if not line:
        raise RuntimeError(errors.decode(errors="replace").strip()[-300:] or "no output")
    return elapsed, line.decode(errors="replace").rstrip("\n")


def hook_as_of_first_line(ctx: ChronicleContext) -> Figure:
    """`chronicle timeline --as-of SEQ` in table format, from launch to its first line, at
    the as-of points; the worst ms. The details split off the start-up (`--version`)."""
    startup, _ = first_line_ms(chronicle_command(ctx, "--version"))
    per_seq = {
        str(seq): first_line_ms(chronicle_command(ctx, "timeline", "--as-of", str(seq)))[0]
        for seq in _as_of_points(ctx)
    }
    return Figure(max(per_seq.values()), {"ms_per_seq": per_seq, "startup_ms": startup})


# ---- the TUI ---------------------------------------------------------------------------------


def tui_probe(ctx: ChronicleContext) -> dict[str, Any]:
    """Run the TUI headless in its own process, once, and keep what it measured.

    Its own process, so that its memory is the app's alone; the launch time is
    passed in, so that first paint counts the interpreter and the imports too.
    """
    if "tui" not in ctx.found:
        command = [
            sys.executable,
            str(HERE / "tui_probe.py"),
            str(ctx.db),
            "--steps",
            str(ctx.sampling.tui_steps),
            "--launched",
            repr(time.time()),
        ]
        done = subprocess.run(command, capture_output=True, text=True, env=_environment())
        if done.returncode != 0:
            raise RuntimeError(f"TUI probe failed: {(done.stderr or done.stdout).strip()[-300:]}")
        ctx.found["tui"] = json.loads(done.stdout.strip().splitlines()[-1])
    return ctx.found["tui"]


def hook_tui_first_paint(ctx: ChronicleContext) -> Figure:
    """From launching the process to the first timeline rows drawn; ms."""
    probe = tui_probe(ctx)
    return Figure(
        probe["first_paint_ms"],
        {"from_app_start_ms": probe["app_start_to_paint_ms"], "imports_ms": probe["imports_ms"]},
    )


def hook_tui_step(ctx: ChronicleContext) -> Figure:
    """`j` pressed until the new cursor line is drawn; median ms."""
    probe = tui_probe(ctx)
    return Figure(probe["step"]["median_ms"], probe["step"])


def hook_tui_map(ctx: ChronicleContext) -> Figure:
    """`m` pressed until the map pane draws this opening's counts; median ms. The details
    time the two SQL passes alone (the view's summary, then the cells of the fitted view)."""
    from chronicle import geo, queries

    probe = tui_probe(ctx)

    def passes() -> tuple[float, float]:
        summary_s, summary = timed(lambda: queries.place_summary(ctx.conn))
        view = geo.fit(summary.extent, 62, 44)
        cells_s, _ = timed(lambda: queries.place_cells(ctx.conn, view))
        return 1000 * summary_s, 1000 * cells_s

    passes()  # the first pass warms the cache, as the app's first opening did
    summary_ms, cells_ms = passes()
    return Figure(
        probe["map"]["median_ms"],
        {"samples_ms": probe["map"]["samples"], "summary_sql_ms": summary_ms,
         "cells_sql_ms": cells_ms},
    )  # fmt: skip


def hook_tui_rss(ctx: ChronicleContext) -> Figure:
    """The app's peak resident memory over first paint and the steps; MB."""
    probe = tui_probe(ctx)
    return Figure(probe["peak_rss_mb"], {"rows": probe["rows"]})


# ---- writing one entry at a time ------------------------------------------------------------


def corrections(event_ids: list[str], rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    """What users correct most: a title, the tags, a date (which costs a date parse)."""
    for number, event_id in enumerate(event_ids):
        kind = number % 3
        if kind == 0:
            yield event_id, {"title": f"Corrected account {number} of the clash"}
        elif kind == 1:
            yield event_id, {"tags": ["battle", "casualties"]}
        else:
            yield event_id, {"when": f"{rng.randint(2012, 2024)}-{rng.randint(1, 12):02d}"}


def hook_single_append_p99(ctx: ChronicleContext) -> Figure:
    """Corrections appended one durable transaction each on the full store; p99 ms.

    Each event is read (``queries.show``, untimed) before its correction is timed, as
    in the app, where the event a user corrects is the one open in the detail pane:
    what is timed is the append, not a cold read of an event nobody was looking at.
    Like the reads, the corrections run in two passes over different events, and the
    second is the figure: a correction also writes index pages all over the store
    (the log's, the timeline's, the full-text segments), which the first pass finds
    wherever the page cache left them.
    """
    from chronicle import queries
    from chronicle.commands import Commands

    commands = Commands(ctx.store, AUTHOR)
    events = active_events(ctx, 2 * ctx.sampling.appends)
    samples = []
    for event_id, change in corrections(events, ctx.rng):
        queries.show(ctx.conn, event_id)
        seconds, _ = timed(
            lambda e=event_id, c=change: commands.correct(e, c, "benchmark: a later report differs")
        )
        samples.append(1000 * seconds)
    half = len(samples) // 2
    stats = spread(samples[half:])
    synchronous = ctx.conn.execute("PRAGMA synchronous").fetchone()[0]
    details = {**stats, "first_pass": spread(samples[:half]), "synchronous": synchronous}
    return Figure(stats["p99_ms"], details)


HOOKS: tuple[Hook, ...] = (
    Hook("chronicle import", "entries/s", hook_import, "bare_import", Target(0.33, True, True)),
    Hook("chronicle import, vs peer", "entries/s", hook_import_again, PEER_APPEND,
         Target(2, True, True)),
    Hook("import, first tenth alone", "entries/s", hook_import_first_tenth),
    Hook("chronicle import, vs its first tenth (flat)", "entries/s", hook_import_again,
         "first_tenth_rate", Target(0.75, True, True)),
    Hook("timeline order after import", "s", hook_order),
    Hook("chronicle disk, FTS excluded", "bytes/entry", hook_disk, "bare_bytes",
         Target(2.5, False, True)),
    Hook("chronicle disk, FTS included", "bytes/entry", hook_disk_with_fts, "bare_bytes",
         Target(3, False, True)),
    Hook("chronicle verify", "rows/s", hook_verify, "bare_scan_hash", Target(0.5, True, True)),
    Hook("views quick check (median)", "ms", hook_views_quick_check),
    Hook("verify --projections (replay, compare)", "s", hook_verify_projections,
         "chronicle_verify_s"),
    Hook("chronicle rebuild", "s", hook_rebuild, "chronicle_import_s", Target(0.5, False, True)),
    Hook("timeline page (median)", "ms", hook_timeline_page, None, Target(5, False)),
    Hook("as-of id array (median)", "ms", hook_as_of_array),
    Hook("as-of page (median)", "ms", hook_as_of_page, None, Target(10, False)),
    Hook("FTS search (median)", "ms", hook_fts_search, None, Target(20, False)),
    Hook("TUI search results (worst)", "ms", hook_search_results, None, Target(300, False)),
    Hook("show with history (median)", "ms", hook_show, None, Target(10, False)),
    Hook("disputes, whole store", "ms", hook_disputes, None, Target(500, False)),
    Hook("TUI jump to a date (p99)", "ms", hook_jump, None, Target(100, False)),
    Hook("CSV export of the timeline", "s", hook_csv_export, "timeline_csv",
         Target(2, False, True)),
    Hook("timeline --as-of, first line (worst)", "ms", hook_as_of_first_line, None,
         Target(1000, False)),
    Hook("TUI first paint", "ms", hook_tui_first_paint, None, Target(1000, False)),
    Hook("TUI step (median)", "ms", hook_tui_step, None, Target(30, False)),
    Hook("TUI map open and draw (median)", "ms", hook_tui_map, None, Target(200, False)),
    Hook("TUI peak RSS", "MB", hook_tui_rss, None, Target(200, False)),
    Hook("single append p99", "ms", hook_single_append_p99, "bare_append_p99",
         Target(10, False)),
)  # fmt: skip


def measure_chronicle(ctx: ChronicleContext) -> list[Row]:
    """Run every figure in order; one that fails marks its own row, not the run."""
    try:
        load_store_class()
        unavailable = None
    except ChronicleUnavailable as error:
        unavailable = str(error)
    rows = []
    try:
        for hook in HOOKS:
            row = Row(hook.figure, hook.unit, target=hook.target)
            if unavailable is not None:
                row.note = f"n/a: {unavailable}"
            else:
                _run_hook(hook, ctx, row)
            if hook.reference_key is not None:
                row.reference = ctx.refs.values.get(hook.reference_key)
                row.reference_name = ctx.refs.labels.get(hook.reference_key, hook.reference_key)
            rows.append(row)
            if hook is HOOKS[0] and row.value is None and unavailable is None:
                unavailable = "the import step did not run"
            _progress(row)
    finally:
        if ctx.store is not None:
            with contextlib.suppress(Exception):
                ctx.store.close()
    return rows


def _run_hook(hook: Hook, ctx: ChronicleContext, row: Row) -> None:
    try:
        figure = hook.measure(ctx)
    except ChronicleUnavailable as error:
        row.note = f"n/a: {error}"
    except Exception as error:  # a failing figure must not hide the others
        row.note = f"failed: {type(error).__name__}: {error}"
    else:
        row.value, row.details = figure.value, figure.details


def _progress(row: Row) -> None:
    """A line per figure on stderr: a run at 1M takes long enough to want to see it move."""
    value = f"{row.value:,.3f} {row.unit}" if row.value is not None else row.note
    print(f"  {row.figure}: {value}", file=sys.stderr, flush=True)
