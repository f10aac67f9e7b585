"""Benchmark harness: chronicle against the limit (bare SQLite) and a peer (eventsourcing).

    python benchmarks/run.py --entries 1000000 [--seed 1] [--out DIR] [--json FILE]

Generates (or reuses) the synthetic log for N entries, measures the references and the
peer on it, then chronicle's figures on a store imported from the same log, and prints
one table: figure, value, reference, ratio, target, met. Everything also goes to a JSON
file (and the table to a Markdown file) with a description of the machine and its load,
because a figure without its machine can't be compared with anything.
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
from pathlib import Path
from typing import Any

import chronicle_figures
import generate
import peer
import reference
from chronicle_figures import ChronicleContext, Sampling
from report import References, Row, markdown_table, print_table

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out"
DEFAULT_ENTRIES = 1_000_000


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


def revision() -> str | None:
    """The code measured: a table is only comparable with another of the same revision."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True, text=True, check=False, cwd=HERE,
        )  # fmt: skip
    except OSError:
        return None
    return done.stdout.strip() or None


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


def measure_references(
    ndjson: Path, out: Path, entries: int, samples: int
) -> tuple[References, Path]:
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
    single = reference.bare_single_append(ndjson, db, samples)
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


# ---- report --------------------------------------------------------------------------


def _caption(
    host: dict[str, Any],
    before: list[float] | None,
    after: list[float] | None,
    code: str | None,
) -> str:
    return (
        f"{host['cpu']}, {host['cores']} cores, {host['ram_gib']} GiB, Python {host['python']}, "
        f"SQLite {host['sqlite']}; load average before {before and before[0]}, "
        f"after {after and after[0]}; revision {code or 'unknown'}"
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
    sampling = Sampling.for_entries(args.entries)
    code_revision = revision()
    load_before = load_average()
    _warn_if_busy(load_before)
    _stage(f"synthetic log, {args.entries:,} entries")
    ndjson, generator_row = synthetic_log(args.out, args.entries, args.seed)
    _stage("the limit: bare SQLite")
    refs, _ = measure_references(ndjson, args.out, args.entries, sampling.appends)
    _stage("the peer: eventsourcing")
    peer_rows = [] if args.no_peer else measure_peer(ndjson, args.out, args.batch, refs)
    _stage("chronicle")
    db = args.out / f"chronicle-{args.entries}.db"
    ctx = ChronicleContext(ndjson, db, args.entries, refs, seed=args.seed)
    chronicle_rows = chronicle_figures.measure_chronicle(ctx)

    rows = [generator_row, *refs.rows, *peer_rows, *chronicle_rows]
    host = machine()
    load_after = load_average()
    caption = _caption(host, load_before, load_after, code_revision)
    print_table(rows, args.entries, caption)
    report = {
        "entries": args.entries,
        "seed": args.seed,
        "log": ndjson.name,
        "command": "python benchmarks/run.py " + " ".join(argv or sys.argv[1:]),
        "revision": code_revision,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": host,
        "load_average": {"before": load_before, "after": load_after},
        "figures": [row.as_json() for row in rows],
    }
    target = args.json or args.out / f"results-{args.entries}.json"
    target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    table = target.with_suffix(".md")
    table.write_text(f"{caption}\n\n{markdown_table(rows)}", encoding="utf-8")
    print(f"results written to {target} and {table.name}", file=sys.stderr)
    return 0


def _stage(name: str) -> None:
    load = load_average()
    print(
        f"{time.strftime('%H:%M:%S')} {name} (load {load and load[0]})", file=sys.stderr, flush=True
    )


if __name__ == "__main__":
    sys.exit(main())
