"""The team log on a real PostgreSQL, side by side with the peer's PostgreSQL recorder.

Starts a private PostgreSQL (the tests' server helper, with fsync on: the durability a
team would run), then, in one run:

- appends with 1, 4 and 16 concurrent writers, each a process appending one entry at a
  time, each on a replica of its own (server first, then its local SQLite store at the
  store's default durability), against the same number of processes appending one
  stored event at a time through eventsourcing's ``PostgresApplicationRecorder``
  (one aggregate per writer); throughput over the wall time and p50/p99 latency;
- the rate of cloning a server log of N synthetic entries, against the local import
  rate of the same log (the import that made the store that was then shared).

    python benchmarks/team.py [--appends 200] [--entries 100000] [--writers 1,4,16]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from postgres import PgServer, server_programs

from chronicle.commands import Commands
from chronicle.replica import clone, share
from chronicle.store import Store

FORK = multiprocessing.get_context("fork")


def _source(writer: int, n: int) -> dict[str, Any]:
    return {"source_id": f"src:w{writer}-{n}", "title": f"Report {n} by writer {writer}",
            "kind": "news", "publisher": "Bench"}  # fmt: skip


def _chronicle_writer(path: Path, writer: int, appends: int, go, out) -> None:
    with Store.open(path) as store:
        commands = Commands(store, f"writer{writer}")
        go.wait()
        times = []
        for n in range(appends):
            started = time.perf_counter()
            commands.add("source.registered", _source(writer, n))
            times.append(time.perf_counter() - started)
    out.put(times)


def _peer_writer(params: dict[str, Any], writer: int, appends: int, go, out) -> None:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    datastore = PostgresDatastore(**params)
    recorder = PostgresApplicationRecorder(datastore)
    aggregate = uuid.uuid4()
    go.wait()
    times = []
    for n in range(appends):
        state = json.dumps(_source(writer, n)).encode()
        started = time.perf_counter()
        recorder.insert_events([StoredEvent(aggregate, n + 1, "source.registered", state)])
        times.append(time.perf_counter() - started)
    datastore.close()
    out.put(times)


def _run_writers(target, args_for, writers: int) -> dict[str, float]:
    go, out = FORK.Barrier(writers + 1), FORK.Queue()
    children = [FORK.Process(target=target, args=(*args_for(w), go, out)) for w in range(writers)]
    for child in children:
        child.start()
    go.wait()
    started = time.perf_counter()
    latencies = [t for _ in children for t in out.get(timeout=600)]
    wall = time.perf_counter() - started
    for child in children:
        child.join()
    latencies.sort()
    return {
        "appends": len(latencies),
        "per_s": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
    }


def appends(server: PgServer, work: Path, writers: int, count: int) -> dict[str, Any]:
    database = server.new_database()
    url = server.url(database)
    origin = work / f"origin-{writers}.db"
    with Store.open(origin, create=True) as store:
        share(store, url)
    replicas = [work / f"w{writers}-{n}.db" for n in range(writers)]
    for path in replicas:
        clone(path, url)
    ours = _run_writers(_chronicle_writer, lambda w: (replicas[w], w, count), writers)

    peer_database = server.new_database()
    params = {"dbname": peer_database, "host": str(server.folder), "port": 5432,
              "user": "postgres", "password": ""}  # fmt: skip
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    setup = PostgresDatastore(**params)
    PostgresApplicationRecorder(setup).create_table()
    setup.close()
    peer = _run_writers(_peer_writer, lambda w: (params, w, count), writers)
    return {"writers": writers, "chronicle": ours, "peer": peer}


def clone_rate(server: PgServer, work: Path, entries: int) -> dict[str, Any]:
    log = work / f"log-{entries}.ndjson"
    generate.write_file(log, entries)
    origin = work / "clone-origin.db"
    with Store.open(origin, create=True) as store, log.open("rb") as lines:
        started = time.perf_counter()
        store.import_lines(lines, name=log.name)
        imported = time.perf_counter() - started
        url = server.url(server.new_database())
        started = time.perf_counter()
        share(store, url)
        pushed = time.perf_counter() - started
    started = time.perf_counter()
    cloned_entries = clone(work / "clone.db", url)
    cloned = time.perf_counter() - started
    assert cloned_entries == entries
    return {
        "entries": entries,
        "import_per_s": entries / imported,
        "share_push_per_s": entries / pushed,
        "clone_per_s": entries / cloned,
        "clone_vs_import": imported / cloned,
    }


def measure(server: PgServer, writers: list[int], count: int, entries: int) -> dict[str, Any]:
    """Every figure, on ``server``; each row is printed as it comes."""
    results: dict[str, Any] = {"appends": [], "clone": None}
    with tempfile.TemporaryDirectory(prefix="chronicle-team-bench-") as folder:
        work = Path(folder)
        for number in writers:
            row = appends(server, work, number, count)
            results["appends"].append(row)
            print(json.dumps(row), flush=True)
        if entries:
            results["clone"] = clone_rate(server, work, entries)
            print(json.dumps(results["clone"]), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=200, help="appends per writer")
    parser.add_argument("--entries", type=int, default=100_000, help="log size for the clone")
    parser.add_argument("--writers", default="1,4,16")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    programs = server_programs()
    if programs is None:
        print("PostgreSQL's server programs are not installed", file=sys.stderr)
        return 1
    server = PgServer()
    server.start_private(programs, {"fsync": "on", "max_connections": "100"})
    try:
        writers = [int(w) for w in args.writers.split(",")]
        results = measure(server, writers, args.appends, args.entries)
    finally:
        server.remove()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
