"""The dataset import rate: a synthetic ACLED release into a fresh store, then its next release.

Each import is the whole ``chronicle import FILE`` command in a process of its own,
timed from launch to exit (reading the file twice, checking every row, writing
and projecting every entry, committing durably). Memory is that process's peak
resident size, measured at the full size and at a tenth of it: flat memory means
the two are close, whatever the number of rows.

    python benchmarks/datasets.py                 # 300,000 rows, then their next release
    python benchmarks/datasets.py --rows 20000    # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import acled_rows

DEFAULT_ROWS = 300_000
DEFAULT_OUT = Path(__file__).resolve().parent / "out"


def _import(store: Path, release: Path) -> dict[str, Any]:
    """One import command, timed, with its own peak memory (it is this process's only child)."""
    command = [sys.executable, "-m", "chronicle", "--store", str(store), "import", str(release)]
    env = {**os.environ, "CHRONICLE_AUTHOR": "benchmark"}
    script = (
        "import resource, subprocess, sys, time, json;"
        "t = time.perf_counter();"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "took = time.perf_counter() - t;"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(json.dumps({'seconds': took, 'cpu_seconds': use.ru_utime + use.ru_stime,"
        " 'peak_rss_kb': use.ru_maxrss, 'code': done.returncode,"
        " 'summary': done.stderr.strip()}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *command], capture_output=True, text=True, env=env
    )
    result = json.loads(done.stdout)
    if result["code"] != 0:
        raise SystemExit(f"import of {release.name} failed: {result['summary']}")
    return result


def _rates(result: dict[str, Any], rows: int) -> dict[str, Any]:
    """Rows per second of wall time, and per second of the import's own CPU time: on a
    shared machine the second says what the import costs, the first what a user waits."""
    return {
        **result,
        "rows": rows,
        "rows_per_second": rows / result["seconds"],
        "rows_per_cpu_second": rows / max(result["cpu_seconds"], 1e-9),
    }


def measure(rows: int, out: Path, seed: int) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    first, second = out / f"acled-{rows}.csv", out / f"acled-{rows}-next.csv"
    counts = []
    for path, revise in ((first, False), (second, True)):
        with path.open("w", newline="", encoding="utf-8") as handle:
            counts.append(acled_rows.write(handle, rows, seed, revise))
    store = out / f"datasets-{rows}.db"
    for leftover in out.glob(f"datasets-{rows}.db*"):
        leftover.unlink()
    started = _import(store, first)
    revised = _import(store, second)
    return {
        "rows": rows,
        "first_release": _rates(started, counts[0]),
        "next_release": _rates(revised, counts[1]),
        "file_bytes": first.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=acled_rows.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="work directory")
    parser.add_argument("--json", type=Path, help="results file (default: in --out)")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    full = measure(args.rows, args.out, args.seed)
    tenth = measure(max(args.rows // 10, 1), args.out, args.seed)
    report = {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average": {"before": load, "after": os.getloadavg()},
        "full": full,
        "tenth": tenth,
        "memory_ratio": full["first_release"]["peak_rss_kb"]
        / tenth["first_release"]["peak_rss_kb"],
    }
    target = args.json or args.out / f"datasets-{args.rows}.json"
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for name in ("full", "tenth"):
        got = report[name]
        for release in ("first_release", "next_release"):
            r = got[release]
            print(
                f"{got['rows']:>9,} rows, {release.replace('_', ' ')}: "
                f"{r['rows_per_second']:,.0f} rows/s ({r['seconds']:.1f} s; "
                f"{r['rows_per_cpu_second']:,.0f} rows per CPU second), "
                f"peak {r['peak_rss_kb'] / 1024:.0f} MB; {r['summary']}"
            )
    print(f"peak memory, full size over a tenth: {report['memory_ratio']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
