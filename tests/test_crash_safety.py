"""Crash safety: a writer SIGKILLed at a random moment leaves a store that is whole.

Each attempt forks a process that imports a file, streams appends, rebuilds the
projections or creates a store, and kills it with SIGKILL after a random delay:
no handler runs, no ``finally``, no rollback by chronicle, only what SQLite's
journal guarantees. After every kill the store must open, pass ``verify``, hold
every import whole or not at all, number its entries without a gap, and have
projections equal to a rebuild from its log.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support import snapshot

from chronicle import store as store_module
from chronicle.cli import load_seeds, seed_files
from chronicle.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
KILLS = 56
IMPORT_SIZE = 240  # entries in each imported file (one transaction)
STREAM_BATCH = 2  # entries in each streamed append (one transaction each)
RNG_SEED = 20240725
HANG_LIMIT_S = 300
FORK = multiprocessing.get_context("fork")


# --- what the killed processes do ------------------------------------------------


def import_file(tag: str, size: int = IMPORT_SIZE) -> list[str]:
    """An NDJSON file of ``size`` entries whose ids all start with ``tag``."""
    source = {"source_id": f"src:{tag}", "title": f"Report {tag}", "kind": "report"}
    lines = [_line(f"{tag}-src", "source.registered", source)]
    for i in range(size - 1):
        lines.append(_line(f"{tag}-{i}", "event.asserted", {
            "event_id": f"ev:{tag}-{i}", "title": f"Clash {i} near Kidal", "actors": [],
            "when": ("2012-01-17", "2023-11", "2024-07-25/2024-07-27", "2013~")[i % 4],
            "place": "place:tinz", "tags": ["clash"], "summary": f"Imported {tag}",
            "citations": [{"source": f"src:{tag}", "quote": f"line {i}"}],
        }))  # fmt: skip
    return lines


def _line(entry_id: str, entry_type: str, data: dict) -> str:
    return json.dumps({"id": entry_id, "type": entry_type, "author": "crash", "data": data})


def stream_batch(tag: str, i: int) -> list[dict]:
    """Batch ``i`` of a stream: an event and a claim about it, appended together."""
    event = {"event_id": f"ev:{tag}-{i}", "title": f"Streamed {i}", "when": "2024-07",
             "actors": [{"entity": "actor:jnim"}], "tags": [], "summary": "",
             "citations": [{"source": "src:a"}]}  # fmt: skip
    claim = {"claim_id": f"cl:{tag}-{i}", "event_id": f"ev:{tag}-{i}", "claimant": "actor:jnim",
             "property": "killed", "best": i, "source": "src:a"}  # fmt: skip
    return [
        {"id": f"{tag}-{i}-e", "type": "event.asserted", "author": "crash", "data": event},
        {"id": f"{tag}-{i}-c", "type": "claim.asserted", "author": "crash", "data": claim},
    ]


def _run_import(path: Path, lines: list[str], large: bool = False) -> None:
    """One import; a ``large`` one goes through the rollback journal, as a big file does."""
    if large:
        store_module.LARGE_WRITE_BYTES = 0  # in the forked child only
    with Store.open(path, create=True) as store:
        store.import_lines(lines, name="crash.ndjson", size=sum(map(len, lines)))


def _run_stream(path: Path, tag: str) -> None:
    with Store.open(path) as store:
        for i in range(1_000_000):
            store.append(stream_batch(tag, i))


def _run_rebuild(path: Path, large: bool = False) -> None:
    """Rebuilds, one after another; ``large`` ones go through the rollback journal."""
    if large:
        store_module.LARGE_WRITE_BYTES = 0  # in the forked child only
    with Store.open(path) as store:
        while True:
            store.rebuild()


def _run_init(path: Path) -> None:
    with Store.open(path, create=True) as store:
        load_seeds(store)


def _killed_after(target: Callable[[], None], delay: float) -> bool:
    """Run ``target`` in a forked process and SIGKILL it after ``delay`` seconds.

    Returns whether the kill landed (False when the work had already finished).
    """
    child = FORK.Process(target=target, daemon=True)
    child.start()
    child.join(delay)
    finished = child.exitcode is not None
    if not finished:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    else:
        assert child.exitcode == 0, f"the writer failed on its own (exit {child.exitcode})"
    return not finished


def _timed(target: Callable[[], None]) -> float:
    """How long ``target`` takes uninterrupted, in a forked process like the real runs."""
    start = time.monotonic()
    child = FORK.Process(target=target, daemon=True)
    child.start()
    child.join(HANG_LIMIT_S)
    if child.exitcode is None:  # a guard against hanging the suite, not a timing check
        os.kill(child.pid, signal.SIGKILL)
        pytest.fail(f"an uninterrupted writer did not finish in {HANG_LIMIT_S} s")
    assert child.exitcode == 0
    return time.monotonic() - start


# --- what must hold after every kill --------------------------------------------------


def assert_whole(path: Path) -> int:
    """The store opens, verifies, is gapless and projects as a rebuild would; returns size."""
    with Store.open(path, readonly=True) as reader:  # what `chronicle verify` opens
        result = reader.verify()
        assert result.ok, f"verify failed at seq {result.first_bad}: {result.problem}"
        count, top = reader.conn.execute(
            "SELECT count(*), coalesce(max(seq), 0) FROM log"
        ).fetchone()
        assert count == top == result.entries, "seq has a gap"
    with Store.open(path) as store:
        assert store.checkpoint() == count, "the projections are behind the log"
        left_by_the_crash = snapshot(store.conn)
        store.rebuild()
        assert snapshot(store.conn) == left_by_the_crash
    return count


def mini_store(path: Path) -> Path:
    """A store holding the small fixture chronology (the places and sources imports cite)."""
    with Store.open(path, create=True) as store, (FIXTURES / "mini.ndjson").open("rb") as f:
        store.import_lines(f, name="mini.ndjson")
    return path


def ids_like(path: Path, prefix: str) -> set[str]:
    with Store.open(path, readonly=True) as reader:
        rows = reader.conn.execute("SELECT id FROM log WHERE id LIKE ? || '%'", (prefix,))
        return {r[0] for r in rows}


class Harness:
    """One store under repeated kills, and the tally of what the kills interrupted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = mini_store(root / "crash.db")
        self.rng = random.Random(RNG_SEED)
        self.interrupted: dict[str, int] = {}
        self.attempts = 0
        calibration = mini_store(root / "calibrate.db")
        self.import_time = _timed(lambda: _run_import(calibration, import_file("cal")))
        self.init_time = _timed(lambda: _run_init(root / "calibrate-init.db"))

    def _count(self, mode: str, interrupted: bool) -> None:
        self.attempts += 1
        self.interrupted[mode] = self.interrupted.get(mode, 0) + interrupted

    def kill_import(self, large: bool = False) -> None:
        tag = f"imp{self.attempts}"
        lines = import_file(tag)
        killed = _killed_after(lambda: _run_import(self.path, lines, large),
                               self.rng.uniform(0, 1.2 * self.import_time))  # fmt: skip
        present = ids_like(self.path, f"{tag}-")
        assert len(present) in (0, len(lines)), f"import {tag} landed in part: {len(present)}"
        self._count("large import" if large else "import", killed and not present)
        assert_whole(self.path)

    def kill_large_import(self) -> None:
        self.kill_import(large=True)

    def kill_stream(self) -> None:
        tag = f"st{self.attempts}"
        killed = _killed_after(lambda: _run_stream(self.path, tag), self.rng.uniform(0.02, 0.3))
        present = ids_like(self.path, f"{tag}-")
        batches = len(present) // STREAM_BATCH
        expected = {e["id"] for i in range(batches) for e in stream_batch(tag, i)}
        assert present == expected, "the stream landed with a hole or half a batch"
        self._count("stream", killed)
        assert_whole(self.path)

    def kill_rebuild(self) -> None:
        large = self.attempts % 2 == 1
        killed = _killed_after(lambda: _run_rebuild(self.path, large), self.rng.uniform(0.02, 0.4))
        self._count("rebuild", killed)
        assert_whole(self.path)

    def kill_init(self) -> None:
        fresh = self.root / f"init{self.attempts}.db"
        killed = _killed_after(lambda: _run_init(fresh), self.rng.uniform(0, self.init_time))
        with Store.open(fresh, create=True):  # running `chronicle init` again works
            pass
        present = ids_like(fresh, "seed-")
        total = sum(1 for f in seed_files() for line in f.read_bytes().splitlines() if line.strip())
        assert len(present) in (0, total), f"a seed file landed in part: {len(present)}"
        self._count("init", killed and not present)
        assert_whole(fresh)


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_a_whole_store(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    plan = [harness.kill_import, harness.kill_stream, harness.kill_large_import,
            harness.kill_rebuild, harness.kill_stream, harness.kill_import,
            harness.kill_init]  # fmt: skip
    for i in range(KILLS):
        plan[i % len(plan)]()
    assert harness.attempts >= 50
    # The kills must have interrupted real work, or the test proves nothing.
    assert harness.interrupted["import"] >= 1, harness.interrupted
    assert harness.interrupted["large import"] >= 1, harness.interrupted
    assert harness.interrupted["stream"] >= 4 and harness.interrupted["rebuild"] >= 4
    assert assert_whole(harness.path) > 0


def test_a_killed_import_can_be_run_again_and_lands_once(tmp_path: Path) -> None:
    """The user's recovery after a crash: run the same import again."""
    path = mini_store(tmp_path / "again.db")
    lines = import_file("again")
    _killed_after(lambda: _run_import(path, lines), 0.05)
    _run_import(path, lines)
    _run_import(path, lines)
    assert len(ids_like(path, "again-")) == len(lines)
    assert assert_whole(path) == 8 + len(lines)
