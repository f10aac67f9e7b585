"""The table format streams: its first lines come after one window of rows is read, at any size.

The read commands' table was a Rich table built whole before its first line was
drawn: 74 s and 1.6 GB for a 64,599-event timeline, never for an endless query.
Now the widths are fitted to the first window of rows and the rows are drawn a
piece at a time as they are read (``render.print_table``); these tests count the
rows read before each write instead of timing anything.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.rel_support import run_cli
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from support import generated_store

from chronicle import queries
from chronicle.render import TABLE_DRAW, TABLE_WINDOW, fit_widths, print_table, table

COLUMNS = ("n", "text")


class Pulled:
    """Rows handed out so far by a wrapped row source."""

    def __init__(self) -> None:
        self.n = 0

    def wrap(self, rows) -> Iterator:
        for row in rows:
            self.n += 1
            yield row


class Recorder(io.StringIO):
    """A terminal stand-in noting how many rows had been read at each write."""

    def __init__(self, pulled: Pulled) -> None:
        super().__init__()
        self.pulled, self.at_writes = pulled, []

    def write(self, text: str) -> int:
        self.at_writes.append(self.pulled.n)
        return super().write(text)


def _rows(count: int | None) -> Iterator[dict]:
    numbers = itertools.count(1) if count is None else range(1, count + 1)
    return ({"n": i, "text": f"row {i} " + "x" * (i % 37)} for i in numbers)


def _console(file: io.StringIO, width: int = 80) -> Console:
    return Console(file=file, width=width, highlight=False, markup=False, emoji=False)


def test_each_piece_is_written_before_the_next_is_read() -> None:
    pulled = Pulled()
    out = Recorder(pulled)
    total = 5 * TABLE_WINDOW + 3
    assert print_table(_console(out), pulled.wrap(_rows(total)), COLUMNS) == total
    # Write k (from 0) draws piece k, once piece k + 1 has been read to know it is not the
    # last; the first window is read whole before anything, for the widths.
    for k, seen in enumerate(out.at_writes):
        assert seen <= max(TABLE_WINDOW, (k + 2) * TABLE_DRAW), out.at_writes
    assert len(out.at_writes) == -(-total // TABLE_DRAW)


def test_an_endless_source_prints_its_first_rows() -> None:
    class Enough(Exception):
        pass

    pulled = Pulled()

    class Stop(Recorder):
        def write(self, text: str) -> int:
            super().write(text)
            raise Enough

    out = Stop(pulled)
    with pytest.raises(Enough):
        print_table(_console(out), pulled.wrap(_rows(None)), COLUMNS)
    assert "│ 1 " in out.getvalue() and pulled.n == TABLE_WINDOW


@pytest.mark.parametrize(
    "count",
    [0, 1, TABLE_DRAW, TABLE_DRAW + 1, TABLE_WINDOW, TABLE_WINDOW + 1, 3 * TABLE_WINDOW - 7],
)
def test_the_windows_read_as_one_table(count: int) -> None:
    """Joined, the pieces are exactly the one table Rich draws of every row at those widths."""
    rows = list(_rows(count))
    streamed = io.StringIO()
    print_table(_console(streamed), iter(rows), COLUMNS)
    whole = io.StringIO()
    widths = fit_widths(80, COLUMNS, rows[:TABLE_WINDOW])
    _console(whole).print(table(rows, COLUMNS, widths=widths))
    assert streamed.getvalue() == whole.getvalue()


@given(
    st.integers(min_value=0, max_value=300),
    st.lists(st.text(max_size=60), min_size=1, max_size=12),
)
def test_fitted_widths_fit(total: int, texts: list[str]) -> None:
    columns = [f"c{i}" for i in range(len(texts))]
    window = [dict(zip(columns, texts, strict=True))]
    widths = fit_widths(total, columns, window)
    natural = fit_widths(10**6, columns, window)
    assert all(1 <= w <= n for w, n in zip(widths, natural, strict=True))
    if sum(natural) + 3 * len(columns) + 1 <= total:
        assert widths == natural
    elif total >= 4 * len(columns) + 1:
        assert sum(widths) + 3 * len(columns) + 1 == total  # all the room, no more


@pytest.fixture(scope="module")
def large_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_store(tmp_path_factory.mktemp("table") / "store.db", 4000)


READS = {
    "timeline": (("timeline",), "timeline"),
    "log": (("log",), "log_entries"),
    "disputes": (("disputes", "--all"), "iter_disputes"),
}


@pytest.mark.parametrize("name", READS)
def test_read_commands_print_their_first_window_first(
    large_store: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command, on a store of many windows: the first write comes after one."""
    args, source = READS[name]
    pulled = Pulled()
    original = getattr(queries, source)
    monkeypatch.setattr(queries, source, lambda *a, **k: pulled.wrap(original(*a, **k)))
    recorder = Recorder(pulled)
    monkeypatch.setattr("chronicle.cli.console", lambda: _console(recorder, 120))
    outcome = run_cli(large_store, *args)
    assert outcome.code == 0, outcome.err
    assert pulled.n > 2 * TABLE_WINDOW  # more rows than the first write may have read
    assert recorder.at_writes[0] <= TABLE_WINDOW
    assert recorder.getvalue().count("\n") >= pulled.n
