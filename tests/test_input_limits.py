"""Input is read within limits: a line never costs more memory than the line limit,
and running out of memory ends in one line, never a traceback.
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from fixtures.rel_support import log_rows, mini_store

from chronicle.errors import EntryError
from chronicle.importers.spreadsheet import import_csv
from chronicle.intake import bounded_lines
from chronicle.store import Store
from chronicle.terms import MAX_LINE_BYTES

MIB = 1 << 20


class Endless(io.RawIOBase):
    """A stream of ``size`` bytes of one letter and no newline, made as it is read."""

    def __init__(self, size: int, letter: bytes = b"x") -> None:
        self.left, self.letter = size, letter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.left)
        buffer[:n] = self.letter * n
        self.left -= n
        return n


def test_a_line_without_end_is_read_no_further_than_the_limit() -> None:
    stream = io.BufferedReader(Endless(64 * MIB))
    first = next(bounded_lines(stream))
    assert len(first) == MAX_LINE_BYTES + 1
    assert stream.raw.left >= 64 * MIB - 2 * MAX_LINE_BYTES  # type: ignore[attr-defined]


def test_importing_a_40_mb_line_costs_no_more_than_the_limit(store: Store) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(EntryError, match=r"^big, line 1: line longer than 1048576 bytes$"):
            store.import_lines(io.BufferedReader(Endless(40 * MIB)), name="big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB, peak
    assert store.head()[0] == 0


def test_a_spreadsheet_line_without_end_is_refused_by_its_number(store: Store) -> None:
    sheet = io.StringIO("title,when\nA,2020\n" + "x" * (MAX_LINE_BYTES + 10))
    with pytest.raises(EntryError, match=r"^s.csv, line 3: line longer than 1048576 characters$"):
        import_csv(store, sheet, name="s.csv", author="t")
    assert store.head()[0] == 0


def _capped(megabytes: int):  # type: ignore[no-untyped-def]
    def cap() -> None:
        limit = megabytes * MIB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def _capped_chronicle(store: Path, *args: str) -> subprocess.Popen:
    """The command in a process of its own capped at 400 MB, fed on standard input."""
    return subprocess.Popen(
        [sys.executable, "-m", "chronicle", "--store", str(store), *args],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_capped(400),
    )  # fmt: skip


@pytest.mark.slow
def test_two_gigabytes_without_a_newline_under_a_memory_cap(tmp_path: Path) -> None:
    """The issue's case on standard input, with the process capped at 400 MB of address space."""
    store = mini_store(tmp_path / "store.db")
    before = log_rows(store)
    process = _capped_chronicle(store, "import", "-")
    sent = _feed(process, 2048)
    err = process.stderr.read().decode()  # type: ignore[union-attr]
    assert process.wait() == 1
    assert err.splitlines() == ["error: stdin, line 1: line longer than 1048576 bytes"]
    assert sent < 2048
    assert log_rows(store) == before


def _feed(process: subprocess.Popen, megabytes: int, chunk: bytes = b"x" * MIB) -> int:
    """Write up to ``megabytes`` to the process's standard input; how many it took."""
    sent = 0
    try:
        while sent < megabytes:
            process.stdin.write(chunk)  # type: ignore[union-attr]
            sent += 1
        process.stdin.close()  # type: ignore[union-attr]
    except BrokenPipeError:
        pass  # it stopped reading
    return sent


@pytest.mark.slow
def test_input_larger_than_the_memory_it_may_use_is_one_line(tmp_path: Path) -> None:
    """A payload on standard input larger than the process may hold: out of memory, one line."""
    store = mini_store(tmp_path / "store.db")
    before = log_rows(store)
    process = _capped_chronicle(store, "add", "source", "--json", "-")
    _feed(process, 1024, b'{"title": "' + b"x" * (MIB - 11))
    err = process.stderr.read().decode()  # type: ignore[union-attr]
    assert process.wait() == 1, err
    assert err.splitlines() == ["error: out of memory: nothing was written"]
    assert log_rows(store) == before
