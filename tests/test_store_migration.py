"""A store written by an earlier chronicle opens and brings its views up to date by itself.

``fixtures/stores/projection-v7.db.gz`` is a store file exactly as chronicle wrote it
at projection version 7: the seed chronology, an ACLED release and its revision, a
GED release, a merge and a retraction. Whatever the projections' layout has become
since (a table turned into a view, a full-text index kept another way), opening the
file must rebuild them from its log, leave the log itself untouched, and answer
reading commands from the new projections, never from the old rows.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest
from support import main_on, snapshot

from chronicle import audit
from chronicle import store as store_module
from chronicle.schema import LOG_COLUMN_LIST, PROJECTION_VERSION
from chronicle.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "stores" / "projection-v7.db.gz"
FIXTURE_VERSION = 7


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    with gzip.open(FIXTURE, "rb") as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return path


def raw(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def projection_version(path: Path) -> int:
    return raw(path, "SELECT value FROM projection_meta WHERE key = 'version'")[0][0]


def log_rows(path: Path) -> list[tuple]:
    return raw(path, f"SELECT {LOG_COLUMN_LIST} FROM log ORDER BY seq")


def test_the_fixture_was_written_by_an_earlier_version(old_store: Path) -> None:
    assert projection_version(old_store) == FIXTURE_VERSION <= PROJECTION_VERSION
    assert len(log_rows(old_store)) == 269


def test_opening_it_rebuilds_the_views_and_keeps_the_log(old_store: Path) -> None:
    before = log_rows(old_store)
    with Store.open(old_store) as store:
        assert store.verify().ok
    assert projection_version(old_store) == PROJECTION_VERSION
    assert log_rows(old_store) == before
    assert audit.compare_with_log(old_store) is None


def mark_older(path: Path) -> None:
    """As if the projections were made by a version older still than the fixture's."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE projection_meta SET value = 1 WHERE key = 'version'")
    conn.close()


@pytest.mark.parametrize("older", [False, True], ids=["as-written", "older-still"])
def test_a_reading_command_migrates_before_it_answers(
    old_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], older: bool
) -> None:
    """``timeline`` opens read-only; it must not read the old layout's rows."""
    if older:
        mark_older(old_store)
    out, _ = main_on(capsys, old_store, "timeline", "--include-retracted", "--format", "csv")
    assert projection_version(old_store) == PROJECTION_VERSION
    fresh = tmp_path / "fresh.db"
    main_on(capsys, fresh, "init", "--empty")
    exported, _ = main_on(capsys, old_store, "log", "--ndjson")
    (tmp_path / "log.ndjson").write_text(exported, encoding="utf-8")
    main_on(capsys, fresh, "import", str(tmp_path / "log.ndjson"))
    expected, _ = main_on(capsys, fresh, "timeline", "--include-retracted", "--format", "csv")
    assert out == expected
    with Store.open(old_store) as migrated, Store.open(fresh) as made_today:
        assert snapshot(migrated.conn) == snapshot(made_today.conn)


def test_a_store_it_may_not_write_is_refused_in_one_line(
    old_store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the old rows, the answer would follow other rules: it is refused instead.

    The tests may run as root, for whom every file is writable: the permission the
    store asks about is what this test sets.
    """
    mark_older(old_store)
    real_access = store_module.os.access
    monkeypatch.setattr(
        store_module.os,
        "access",
        lambda path, mode: False if mode == store_module.os.W_OK else real_access(path, mode),
    )
    _, err = main_on(capsys, old_store, "timeline", code=1)
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "another version of chronicle" in err
    assert projection_version(old_store) == 1
