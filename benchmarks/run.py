"""Benchmark harness: chronicle against the limit (bare SQLite) and a peer (eventsourcing).

    python benchmarks/run.py --entries 1000000 [--seed 1] [--out DIR] [--json FILE]

Generates (or reuses) the synthetic log for N entries, measures the references and the
peer on it, then the chronicle figures, and prints one table: figure, value, reference,
ratio, target, ok. Everything also goes to a JSON file with a description of the machine,
because a figure without its machine can't be compared with anything.

Chronicle's rows are hooks (see "Chronicle hooks" below): until the store exists, or
while a hook is not wired, the row says "not available" and the harness still runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import generate
import peer
import reference

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out"
DEFAULT_ENTRIES = 1_000_000
REPORT_WIDTH = 150  # when printing to a file or pipe, which has no width of its own


# ---- rows and targets ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A bound on a row's value, or on its ratio to the reference when `on_ratio`."""

    bound: float
    higher_is_better: bool
    on_ratio: bool = False

    def met(self, value: float | None, ratio: float | None) -> bool | None:
        measured = ratio if self.on_ratio else value
        if measured is None:
            return None
        return measured >= self.bound if self.higher_is_better else measured <= self.bound

    def describe(self, unit: str) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        if self.on_ratio:
            return f"{sign} {self.bound:g}× ref"
        return f"{sign} {self.bound:g} {unit}"


@dataclass
class Row:
    """One line of the report. `value` None means not measured; `note` says why."""

    figure: str
    unit: str
    value: float | None = None
    reference: float | None = None
    reference_name: str = ""
    target: Target | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.reference:
            return None
        return self.value / self.reference

    @property
    def ok(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value, self.ratio)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = self.target.describe(self.unit) if self.target else None
        data["ratio"] = self.ratio
        data["ok"] = self.ok
        return data


# ---- machine -------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _sqlite3_cli_version() -> str | None:
    cli = reference.sqlite3_cli()
    if cli is None:
        return None
    done = subprocess.run([cli, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.split()[0] if done.returncode == 0 and done.stdout else None


def load_average() -> list[float] | None:
    """Other work on the machine skews every figure; the report has to say how much there was."""
    try:
        return [round(load, 2) for load in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def machine() -> dict[str, Any]:
    """Enough to tell whether two reports can be compared."""
    ram = _ram_bytes()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(ram / 2**30, 1) if ram else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlite3_cli": _sqlite3_cli_version(),
        "eventsourcing": peer.version(),
    }


# ---- the synthetic log ---------------------------------------------------------------


def generator_fingerprint() -> str:
    """Part of the cache name: a changed generator must never reuse an old file."""
    return hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:10]


def synthetic_log(out: Path, entries: int, seed: int) -> tuple[Path, Row]:
    path = out / f"synthetic-{entries}-seed{seed}-{generator_fingerprint()}.ndjson"
    row = Row("generator", "entries/s")
    if path.exists():
        row.note = "cached file reused"
        return path, row
    stats = generate.write_file(path, entries, seed)
    row.value = stats.rate
    row.details = {"seconds": stats.seconds, "bytes": stats.bytes, "types": dict(stats.types)}
    return path, row


# ---- references and peer -------------------------------------------------------------


@dataclass
class References:
    """The limit's figures, kept by name for the chronicle rows to compare with."""

    rows: list[Row] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, row: Row) -> None:
        self.rows.append(row)
        self.remember(key, row.figure, row.value)

    def remember(self, key: str, label: str, value: float | None) -> None:
        """Make a figure available to compare with, without a row of its own."""
        self.labels[key] = label
        if value is not None:
            self.values[key] = value


def measure_references(ndjson: Path, out: Path, entries: int) -> tuple[References, Path]:
    refs = References()
    db = out / f"bare-{entries}.db"
    imported = reference.bare_import(ndjson, db)
    refs.add(
        "bare_import",
        Row("bare import", "entries/s", imported.rate, details={"seconds": imported.seconds}),
    )
    refs.add("ndjson_bytes", Row("NDJSON size", "bytes/entry", imported.ndjson_bytes_per_entry))
    refs.add("bare_bytes", Row("bare table on disk", "bytes/entry", imported.db_bytes_per_entry))
    scanned = reference.bare_scan_hash(db)
    refs.add(
        "bare_scan_hash",
        Row("bare scan + SHA-256 chain", "rows/s", scanned.rate, details={"head": scanned.head}),
    )
    single = reference.bare_single_append(ndjson, db)
    refs.add(
        "bare_append_p99",
        Row(
            "bare single append p99",
            "ms",
            single.p99_ms,
            details={"median_ms": single.median_ms, "samples": single.samples},
        ),
    )
    csv = reference.sqlite3_csv(db, f"SELECT {reference.ROW_COLUMNS} FROM log ORDER BY seq")
    refs.add(
        "bare_csv", Row("sqlite3 -csv, whole bare table", "s", csv.seconds, note=csv.skipped or "")
    )
    return refs, db


def measure_peer(ndjson: Path, out: Path, batch: int, refs: References) -> list[Row]:
    found = peer.version()
    if found is None:
        return [Row("eventsourcing (peer)", "", note="n/a: library not installed")]
    rows = []
    for result in peer.measure(ndjson, out, batch):
        row = Row(f"peer {result.what}", "events/s", result.rate)
        if result.synchronous:
            row.note = f"{result.journal_mode}, synchronous={result.synchronous}"
        row.details = {"count": result.count, "seconds": result.seconds, "batch": batch}
        rows.append(row)
        refs.remember(f"peer {result.what}", row.figure, result.rate)
    return rows


# ---- Chronicle hooks -----------------------------------------------------------------
#
# Each hook measures one figure on a store that `hook_import` filled from the synthetic
# log. Until a hook is wired to the store API it raises NotImplementedError and its row
# reads "not available". Targets are provisional and are to be set with the figures.


class ChronicleUnavailable(Exception):
    """The store can't be measured (not importable yet, or its import step failed)."""


@dataclass
class ChronicleContext:
    """What every hook gets: the log, where the store lives, the references."""

    ndjson: Path
    db: Path
    entries: int
    refs: References
    store: Any = None


@dataclass(frozen=True)
class Hook:
    """A chronicle figure: how to measure it, what it is read against, what it must reach."""

    figure: str
    unit: str
    measure: Callable[[ChronicleContext], float]
    reference_key: str | None = None
    target: Target | None = None


def load_store_class() -> Any:
    """Imported here, never at module level: the harness must run before the store exists."""
    try:
        from chronicle.store import Store
    except ImportError as error:
        raise ChronicleUnavailable(f"chronicle.store not importable ({error})") from error
    return Store


def median_ms(calls: Iterable[Callable[[], object]]) -> float:
    """Median wall time of calls made one after another, in milliseconds."""
    timings = []
    for call in calls:
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return reference.latency(timings).median_ms


def hook_import(ctx: ChronicleContext) -> float:
    """HOOK import rate: a fresh Store at ctx.db, import ctx.ndjson atomically; entries/s.

    Keep the opened store in ctx.store for the hooks below.
    """
    raise NotImplementedError


def hook_rebuild(ctx: ChronicleContext) -> float:
    """HOOK rebuild: drop every projection and replay the whole log; entries/s."""
    raise NotImplementedError


def hook_single_append_p99(ctx: ChronicleContext) -> float:
    """HOOK single append: ~200 one-entry appends (e.g. a correction each); p99 in ms."""
    raise NotImplementedError


def hook_timeline_page(ctx: ChronicleContext) -> float:
    """HOOK timeline page: 256-row keyset pages at ~50 random positions; median ms."""
    raise NotImplementedError


def hook_as_of_page(ctx: ChronicleContext) -> float:
    """HOOK as-of page: a timeline page as of ~50 random seqs; median ms."""
    raise NotImplementedError


def hook_fts_search(ctx: ChronicleContext) -> float:
    """HOOK search: ~50 FTS queries (words and place aliases), first page each; median ms."""
    raise NotImplementedError


def hook_show(ctx: ChronicleContext) -> float:
    """HOOK show: ~200 random events with actors, citations, claims, history; median ms."""
    raise NotImplementedError


def hook_disputes(ctx: ChronicleContext) -> float:
    """HOOK disputes: the disputes of ~50 random disputed events; median ms."""
    raise NotImplementedError


def hook_csv_export(ctx: ChronicleContext) -> float:
    """HOOK CSV export of the timeline to a null sink; seconds.

    First time `reference.sqlite3_csv(ctx.db, "SELECT * FROM timeline")` and keep it with
    `ctx.refs.remember("timeline_csv", "sqlite3 -csv timeline", seconds)`: it is the
    figure this row is read against.
    """
    raise NotImplementedError


def hook_verify(ctx: ChronicleContext) -> float:
    """HOOK verify: re-walk the whole hash chain; rows/s."""
    raise NotImplementedError


def hook_disk(ctx: ChronicleContext) -> float:
    """HOOK disk: reference.db_size(ctx.db) after a checkpoint, per entry; bytes."""
    raise NotImplementedError


HOOKS: tuple[Hook, ...] = (
    Hook("chronicle import", "entries/s", hook_import, "bare_import", Target(0.25, True, True)),
    Hook("chronicle rebuild", "entries/s", hook_rebuild, "bare_import", Target(0.25, True, True)),
    Hook(
        "chronicle single append p99",
        "ms",
        hook_single_append_p99,
        "bare_append_p99",
        Target(50, False),
    ),
    Hook("chronicle timeline page (median)", "ms", hook_timeline_page, None, Target(50, False)),
    Hook("chronicle as-of page (median)", "ms", hook_as_of_page, None, Target(100, False)),
    Hook("chronicle FTS search (median)", "ms", hook_fts_search, None, Target(100, False)),
    Hook("chronicle show (median)", "ms", hook_show, None, Target(20, False)),
    Hook("chronicle disputes (median)", "ms", hook_disputes, None, Target(50, False)),
    Hook("chronicle CSV export", "s", hook_csv_export, "timeline_csv", Target(3, False, True)),
    Hook("chronicle verify", "rows/s", hook_verify, "bare_scan_hash", Target(0.5, True, True)),
    Hook("chronicle disk", "bytes/entry", hook_disk, "bare_bytes", Target(4, False, True)),
)


def measure_chronicle(ctx: ChronicleContext) -> list[Row]:
    """Run every hook; one that isn't wired or fails marks its own row, not the run."""
    try:
        load_store_class()
        unavailable = None
    except ChronicleUnavailable as error:
        unavailable = str(error)
    rows = []
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
    return rows


def _run_hook(hook: Hook, ctx: ChronicleContext, row: Row) -> None:
    try:
        row.value = hook.measure(ctx)
    except NotImplementedError:
        row.note = "n/a: hook not wired yet"
    except Exception as error:  # a failing figure must not hide the others
        row.note = f"failed: {type(error).__name__}: {error}"


# ---- report --------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def print_table(rows: list[Row], entries: int, caption: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"chronicle benchmarks, {entries:,} entries", caption=caption)
    for column, justify in (
        ("figure", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("reference", "right"),
        ("against", "left"),
        ("ratio", "right"),
        ("target", "left"),
        ("ok?", "center"),
        ("note", "left"),
    ):
        table.add_column(column, justify=justify, no_wrap=column != "note")  # type: ignore[arg-type]
    marks = {True: "[green]yes[/]", False: "[red]NO[/]", None: ""}
    for row in rows:
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
        table.add_row(
            row.figure,
            _number(row.value),
            row.unit,
            _number(row.reference) if row.reference is not None else "",
            row.reference_name,
            ratio,
            row.target.describe(row.unit) if row.target else "",
            marks[row.ok],
            row.note,
        )
    Console(width=None if sys.stdout.isatty() else REPORT_WIDTH).print(table)


def _caption(host: dict[str, Any], before: list[float] | None, after: list[float] | None) -> str:
    return (
        f"{host['cores']} cores, {host['ram_gib']} GiB, Python {host['python']}, "
        f"SQLite {host['sqlite']}; load average before {before and before[0]}, "
        f"after {after and after[0]}"
    )


def _warn_if_busy(load: list[float] | None) -> None:
    cores = os.cpu_count() or 1
    if load and load[0] > 0.5 * cores:
        print(
            f"warning: load average {load[0]:.1f} on {cores} cores; figures will be noisy",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=DEFAULT_ENTRIES)
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="work directory")
    parser.add_argument("--json", type=Path, help="results file (default: in --out)")
    parser.add_argument("--batch", type=int, default=peer.DEFAULT_BATCH, help="peer batch size")
    parser.add_argument("--no-peer", action="store_true", help="skip the eventsourcing runs")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    _warn_if_busy(load_before)
    ndjson, generator_row = synthetic_log(args.out, args.entries, args.seed)
    refs, _ = measure_references(ndjson, args.out, args.entries)
    peer_rows = [] if args.no_peer else measure_peer(ndjson, args.out, args.batch, refs)
    ctx = ChronicleContext(ndjson, args.out / f"chronicle-{args.entries}.db", args.entries, refs)
    chronicle_rows = measure_chronicle(ctx)

    rows = [generator_row, *refs.rows, *peer_rows, *chronicle_rows]
    host = machine()
    load_after = load_average()
    print_table(rows, args.entries, _caption(host, load_before, load_after))
    report = {
        "entries": args.entries,
        "seed": args.seed,
        "log": ndjson.name,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": host,
        "load_average": {"before": load_before, "after": load_after},
        "figures": [row.as_json() for row in rows],
    }
    target = args.json or args.out / f"results-{args.entries}.json"
    target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results written to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
