"""``chronicle query`` is bounded: a time limit, Ctrl-C at once, rows streamed as they come.

A query that never ends (a recursive CTE without a stop) once gathered its rows
in C with ``fetchall``: no row was ever shown, Ctrl-C was ignored and memory grew
until the kernel killed something. These tests run the command as a process of
its own, as a user does; the waits on it are guards against a hang, not timings.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.rel_support import mini_store, run_cli
from test_bad_input import assert_one_clear_line

from chronicle import queries
from chronicle.store import Store

ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
ENDLESS_ROWS = ENDLESS + "SELECT x FROM c"
ENDLESS_COUNT = ENDLESS + "SELECT count(*) FROM c"  # one row, after forever, all inside SQLite
HANG_GUARD_S = 60


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return mini_store(tmp_path / "store.db")


def _start(store_path: Path, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "chronicle", "--store", str(store_path), "query", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_lines(proc: subprocess.Popen, count: int) -> list[bytes]:
    """The first ``count`` lines the process writes, or a failure if they do not come.

    Read through a selector with a guard, so a command that gathers its rows
    before printing fails the test instead of hanging it.
    """
    assert proc.stdout is not None
    deadline = time.monotonic() + HANG_GUARD_S
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while data.count(b"\n") < count:
            if time.monotonic() > deadline or not selector.select(deadline - time.monotonic()):
                proc.kill()
                pytest.fail(f"no {count} lines in {HANG_GUARD_S} s (got {data[:200]!r})")
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                pytest.fail(f"the output ended after {data[-200:]!r}")
            data += chunk
    return data.split(b"\n")[:count]


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"the query was still running {HANG_GUARD_S} s later")
    return proc.returncode, err.decode()


def test_the_time_limit_stops_a_query(store_path: Path) -> None:
    outcome = run_cli(store_path, "query", "--time-limit", "0.5", ENDLESS_COUNT)
    assert outcome.code == 1
    assert_one_clear_line(outcome.err, r"query stopped after 0\.5 s \(--time-limit to change\)")


def test_the_default_limit_is_thirty_seconds(store_path: Path) -> None:
    assert queries.DEFAULT_TIME_LIMIT_S == 30
    outcome = run_cli(store_path, "query", "--help")
    assert "--time-limit SECONDS" in outcome.out and "[default: 30.0" in outcome.out


def test_the_limit_counts_only_the_time_sqlite_works(store_path: Path) -> None:
    """A reader that pauses between rows does not use up the limit: only SQLite's time counts."""
    with (
        Store.open(store_path, readonly=True) as store,
        queries.read_only_query(store.conn, "SELECT seq FROM log", 0.2) as (_, rows),
    ):
        got = []
        for row in rows:
            got.append(row)
            time.sleep(0.1)
    assert len(got) == 8  # 0.8 s of pauses, under a 0.2 s limit


def test_a_limit_of_zero_is_none_and_a_negative_one_is_refused(store_path: Path) -> None:
    assert run_cli(store_path, "query", "--time-limit", "0", "SELECT 1").code == 0
    outcome = run_cli(store_path, "query", "--time-limit", "-1", "SELECT 1")
    assert outcome.code == 2 and "--time-limit" in outcome.err


def test_ctrl_c_stops_a_query_running_inside_sqlite(store_path: Path) -> None:
    """The count never returns to Python by itself: SIGINT must reach it through SQLite."""
    proc = _start(store_path, "--time-limit", "0", ENDLESS_COUNT)
    # Past start-up (well under a second of CPU): the process is inside the count.
    while _cpu_seconds(proc.pid) < 3 and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    code, err = _finish(proc)
    assert code == 130
    assert_one_clear_line(err, "interrupted.*")


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_an_endless_query_streams_its_first_rows(store_path: Path, fmt: str) -> None:
    """The first rows come through the pipe while the query still runs; Ctrl-C then ends it."""
    proc = _start(store_path, "--time-limit", "0", "--format", fmt, ENDLESS_ROWS)
    first = first_lines(proc, 5)
    assert proc.poll() is None  # still running: nothing was gathered first
    assert any(b"1" in line for line in first), first
    proc.send_signal(signal.SIGINT)
    code, err = _finish(proc)
    assert code in (130, 1)  # Ctrl-C, or the pipe closed first: both quietly
    assert "Traceback" not in err


def test_rows_are_not_gathered(store_path: Path) -> None:
    """Reading the first of a billion rows takes no more than reading the first of ten."""
    with (
        Store.open(store_path, readonly=True) as store,
        queries.read_only_query(store.conn, ENDLESS_ROWS, 0) as (columns, rows),
    ):
        assert columns == ["x"]
        assert [next(rows) for _ in range(3)] == [(1,), (2,), (3,)]


def test_the_reader_lock_is_kept_off_writes(store_path: Path) -> None:
    """The progress handler and the authorizer are gone once the query ends."""
    with Store.open(store_path) as store:
        with queries.read_only_query(store.conn, "SELECT 1") as (_, rows):
            list(rows)
        store.conn.execute("CREATE TEMP TABLE t (x)")  # allowed again
        assert store.conn.execute("SELECT count(*) FROM log").fetchone()[0] > 0


def test_a_refused_query_is_still_refused(store_path: Path) -> None:
    outcome = run_cli(store_path, "query", "DELETE FROM log")
    assert outcome.code == 1
    assert_one_clear_line(outcome.err, r"query refused: only reading is allowed .*")
