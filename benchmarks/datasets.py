"""The dataset import rate: a synthetic ACLED release into a fresh store, then its next release.

Each import is the whole ``chronicle import FILE`` command in a process of its own,
timed from launch to exit (reading the file twice, checking every row, writing
and projecting every entry, committing durably). Memory is that process's peak
resident size, measured at the full size, at a third and at a tenth of it: flat
memory means they are close, whatever the number of rows. Beside it, the peak of
its anonymous memory (Linux: sampled every 20 ms), which leaves out the pages of
the store that SQLite reads through a memory map: those are the file's, counted
in the resident size while they are mapped, and bounded by ``mmap_size``.

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
FRACTIONS = {"full": 1, "third": 3, "tenth": 10}
# Run in a process of its own, so that RUSAGE_CHILDREN is the import's alone.
CHILD = """
import json, resource, subprocess, sys, time
def anon_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("RssAnon:"))
    except (OSError, StopIteration):
        return None
t = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
peak_anon = None
while child.poll() is None:
    now = anon_kb(child.pid)
    if now is not None and (peak_anon is None or now > peak_anon):
        peak_anon = now
    time.sleep(0.02)
took = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": took, "cpu_seconds": use.ru_utime + use.ru_stime,
    "peak_rss_kb": use.ru_maxrss, "peak_anon_kb": peak_anon, "code": child.returncode,
    "summary": child.stderr.read().strip()}))
"""


def _import(store: Path, release: Path) -> dict[str, Any]:
    """One import command, timed, with its own peak memory (it is this process's only child)."""
    command = [sys.executable, "-m", "chronicle", "--store", str(store), "import", str(release)]
    env = {**os.environ, "CHRONICLE_AUTHOR": "benchmark"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *command], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise SystemExit(f"the timing process failed: {done.stderr.strip()}")
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


def _megabytes(kb: int | None) -> str:
    return "n/a" if kb is None else f"{kb / 1024:.0f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=acled_rows.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="work directory")
    parser.add_argument("--json", type=Path, help="results file (default: in --out)")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    sizes = {name: measure(max(args.rows // n, 1), args.out, args.seed)
             for name, n in FRACTIONS.items()}  # fmt: skip
    full, tenth = sizes["full"], sizes["tenth"]
    report = {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average": {"before": load, "after": os.getloadavg()},
        **sizes,
        "memory_ratio": full["first_release"]["peak_rss_kb"]
        / tenth["first_release"]["peak_rss_kb"],
        "next_memory_ratio": full["next_release"]["peak_rss_kb"]
        / tenth["next_release"]["peak_rss_kb"],
    }
    target = args.json or args.out / f"datasets-{args.rows}.json"
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for got in sizes.values():
        for release in ("first_release", "next_release"):
            r = got[release]
            print(
                f"{got['rows']:>9,} rows, {release.replace('_', ' ')}: "
                f"{r['rows_per_second']:,.0f} rows/s ({r['seconds']:.1f} s; "
                f"{r['rows_per_cpu_second']:,.0f} rows per CPU second), "
                f"peak {_megabytes(r['peak_rss_kb'])} "
                f"(anonymous {_megabytes(r['peak_anon_kb'])}); {r['summary']}"
            )
    print(
        f"peak memory, full size over a tenth: first release {report['memory_ratio']:.2f}x, "
        f"next release {report['next_memory_ratio']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
