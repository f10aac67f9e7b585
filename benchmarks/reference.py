"""The limit: what bare SQLite and hashing achieve on the same log, with no store around them.

Every figure of chronicle is read against these: an import can't beat parsing each line
and inserting it in one durable transaction, a chain verification can't beat hashing
each row once, and an export can't beat the sqlite3 shell writing CSV.

    python benchmarks/reference.py LOG.ndjson [--db bare.db]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BARE_SCHEMA = """
CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    recorded_at TEXT,
    author TEXT,
    data TEXT NOT NULL
)
"""
ROW_COLUMNS = "seq, id, type, subject, recorded_at, author, data"
SQLITE3_CLI = "sqlite3"

_dump = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass(frozen=True)
class ImportResult:
    """The bare import's rate and what the data costs on disk."""

    entries: int
    seconds: float
    ndjson_bytes: int
    db_bytes: int

    @property
    def rate(self) -> float:
        return self.entries / self.seconds if self.seconds else 0.0

    @property
    def db_bytes_per_entry(self) -> float:
        return self.db_bytes / self.entries if self.entries else 0.0

    @property
    def ndjson_bytes_per_entry(self) -> float:
        return self.ndjson_bytes / self.entries if self.entries else 0.0


@dataclass(frozen=True)
class ScanResult:
    """The bare chain walk: how fast every row can be read and hashed in order."""

    rows: int
    seconds: float
    head: str

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class LatencyResult:
    """Durable single-row appends: what one user's one correction costs at least."""

    samples: int
    median_ms: float
    p99_ms: float


@dataclass(frozen=True)
class CsvResult:
    """The sqlite3 shell's CSV export time; `skipped` says why there is none."""

    seconds: float | None
    skipped: str | None = None


def open_bare(db: Path) -> sqlite3.Connection:
    """Same durability as the store promises: WAL, and fsync on every commit."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def _rows(ndjson: Path) -> Iterator[tuple[str, str, str, str | None, str | None, str]]:
    with ndjson.open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            yield (
                entry["id"],
                entry["type"],
                entry["subject"],
                entry.get("recorded_at"),
                entry.get("author"),
                _dump(entry["data"]),
            )


def db_files(db: Path) -> list[Path]:
    return [db.with_name(db.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def db_size(db: Path) -> int:
    """The database with its WAL and shared-memory files: all of it is disk the user pays."""
    return sum(path.stat().st_size for path in db_files(db) if path.exists())


def remove_db(db: Path) -> None:
    for path in db_files(db):
        path.unlink(missing_ok=True)


def bare_import(ndjson: Path, db: Path) -> ImportResult:
    """Parse each line and insert it, all in ONE durable transaction (a fresh table)."""
    remove_db(db)
    conn = open_bare(db)
    try:
        conn.execute(BARE_SCHEMA)
        start = time.perf_counter()
        conn.execute("BEGIN")
        cursor = conn.executemany(
            "INSERT INTO log (id, type, subject, recorded_at, author, data) VALUES (?,?,?,?,?,?)",
            _rows(ndjson),
        )
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        entries = cursor.rowcount
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return ImportResult(entries, seconds, ndjson.stat().st_size, db_size(db))


def canonical_row(row: tuple) -> bytes:
    """One unambiguous byte string per row: a JSON array of its columns."""
    return _dump(row).encode()


def bare_scan_hash(db: Path) -> ScanResult:
    """Walk the table in seq order chaining SHA-256: h = sha256(prev + canonical row)."""
    conn = open_bare(db)
    try:
        start = time.perf_counter()
        head = ""
        rows = 0
        sha256 = hashlib.sha256
        for row in conn.execute(f"SELECT {ROW_COLUMNS} FROM log ORDER BY seq"):
            head = sha256(head.encode() + canonical_row(row)).hexdigest()
            rows += 1
        seconds = time.perf_counter() - start
    finally:
        conn.close()
    return ScanResult(rows, seconds, head)


def bare_single_append(ndjson: Path, db: Path, samples: int = 200) -> LatencyResult:
    """Append rows one transaction each to the imported table (each commit is an fsync).

    The rows are copies of the log's first lines under fresh ids, so their size is typical.
    """
    conn = open_bare(db)
    timings: list[float] = []
    try:
        for number, row in enumerate(_rows(ndjson), start=1):
            if number > samples:
                break
            fresh = (f"{row[0]}:again", *row[1:])
            start = time.perf_counter()
            conn.execute("BEGIN")
            conn.execute(
                "INSERT INTO log (id, type, subject, recorded_at, author, data) "
                "VALUES (?,?,?,?,?,?)",
                fresh,
            )
            conn.execute("COMMIT")
            timings.append(time.perf_counter() - start)
    finally:
        conn.close()
    return latency(timings)


def latency(seconds: list[float]) -> LatencyResult:
    """Median and 99th percentile in milliseconds (p99 is the maximum below 100 samples)."""
    if not seconds:
        return LatencyResult(0, 0.0, 0.0)
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return LatencyResult(len(ordered), 1000 * statistics.median(ordered), 1000 * p99)


def sqlite3_cli() -> str | None:
    return shutil.which(SQLITE3_CLI)


def sqlite3_csv(db: Path, sql: str) -> CsvResult:
    """Time `sqlite3 -csv DB SQL > /dev/null`: the floor for any CSV export of a view."""
    cli = sqlite3_cli()
    if cli is None:
        return CsvResult(None, "sqlite3 command-line shell not found on PATH")
    start = time.perf_counter()
    done = subprocess.run(
        [cli, "-csv", str(db), sql],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        return CsvResult(None, f"sqlite3 failed: {message}")
    return CsvResult(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ndjson", type=Path)
    parser.add_argument("--db", type=Path, help="bare database (default: a temporary file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or Path(scratch) / "bare.db"
        imported = bare_import(args.ndjson, db)
        print(
            f"bare import   {imported.entries:,} entries in {imported.seconds:.2f} s: "
            f"{imported.rate:,.0f} entries/s; {imported.db_bytes_per_entry:.0f} bytes/entry "
            f"on disk ({imported.ndjson_bytes_per_entry:.0f} in NDJSON)"
        )
        scanned = bare_scan_hash(db)
        print(
            f"bare scan+hash {scanned.rows:,} rows in {scanned.seconds:.2f} s: "
            f"{scanned.rate:,.0f} rows/s (head {scanned.head[:16]}…)"
        )
        single = bare_single_append(args.ndjson, db)
        print(
            f"bare single append {single.samples} commits: median {single.median_ms:.2f} ms, "
            f"p99 {single.p99_ms:.2f} ms"
        )
        csv = sqlite3_csv(db, f"SELECT {ROW_COLUMNS} FROM log ORDER BY seq")
        if csv.seconds is None:
            print(f"sqlite3 -csv  skipped: {csv.skipped}")
        else:
            print(f"sqlite3 -csv  {csv.seconds:.2f} s for the whole table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
