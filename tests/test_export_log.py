"""The log round trip: exported NDJSON imported into a fresh store gives the same store.

Row for row identical projections, the same hashes and a valid chain; an import
into a store that already holds part of the log adds only the rest.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from export_samples import build_store, corrected_at, export_text

from chronicle.cli import cli
from chronicle.schema import COMPARABLE_TABLES
from chronicle.store import Store


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = build_store(tmp_path_factory.mktemp("log-source") / "store.db")
    yield store
    store.close()


def _tables(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every comparable projection table and the log, in a stable order."""
    out = {}
    for table in (*COMPARABLE_TABLES, "log"):
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        order = ", ".join(columns)
        out[table] = conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    return out


def _import(path: Path, text: str) -> tuple[int, int]:
    with Store.open(path, create=True) as store:
        result = store.import_lines(io.StringIO(text), name="export.ndjson")
    return len(result.added), result.skipped


def test_round_trip_gives_an_identical_store(source: Store, tmp_path: Path) -> None:
    text = export_text(source.conn, "log", "ndjson")
    added, skipped = _import(tmp_path / "copy.db", text)
    assert (added, skipped) == (source.head()[0], 0)
    with Store.open(tmp_path / "copy.db") as copy:
        assert copy.head() == source.head()
        assert copy.verify(source.head()[1]).ok
        assert _tables(copy.conn) == _tables(source.conn)


def test_importing_over_a_part_adds_only_the_rest(source: Store, tmp_path: Path) -> None:
    lines = export_text(source.conn, "log", "ndjson").splitlines(keepends=True)
    half = len(lines) // 2
    path = tmp_path / "partial.db"
    assert _import(path, "".join(lines[:half])) == (half, 0)
    assert _import(path, "".join(lines)) == (len(lines) - half, half)
    with Store.open(path) as copy:
        assert copy.verify().ok and copy.head() == source.head()
        assert _tables(copy.conn) == _tables(source.conn)


def test_an_as_of_export_is_the_log_up_to_then(source: Store, tmp_path: Path) -> None:
    seq = corrected_at(source.conn) - 1
    _import(tmp_path / "then.db", export_text(source.conn, "log", "ndjson", as_of=seq))
    with Store.open(tmp_path / "then.db") as then:
        assert then.head() == next((e["seq"], e["hash"]) for e in source.entries(seq, seq))
        title = then.conn.execute("SELECT title FROM events WHERE event_id = 'ev:hostile'")
        assert "(v2)" not in title.fetchone()[0]


def test_the_cli_round_trip(source: Store, tmp_path: Path) -> None:
    runner = CliRunner()
    exported = tmp_path / "log.ndjson"
    done = runner.invoke(
        cli,
        ["--store", str(source.path), "export", "log", "--format", "ndjson", "-o", str(exported)],
    )
    assert done.exit_code == 0, done.output
    copy = tmp_path / "copy.db"
    done = runner.invoke(cli, ["--store", str(copy), "import", str(exported)])
    assert done.exit_code == 0, done.output
    done = runner.invoke(cli, ["--store", str(copy), "verify", "--against", str(exported)])
    assert done.exit_code == 0, done.output
    again = runner.invoke(cli, ["--store", str(copy), "import", str(exported)])
    assert f"imported 0 entries, skipped {source.head()[0]}" in again.output
