"""``recorded_at`` never goes backwards along ``seq``, so as-of by time stays right.

As-of by time takes the longest prefix of entries recorded by then. An entry
stamped before the log's last one is refused, or with ``import --restamp``
recorded now, its own time kept in ``data.first_recorded_at``. Entries arriving
without a time are stamped inside the append transaction, never before the head.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from fixtures.rel_support import log_rows, mini_store, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronicle.errors import EntryError
from chronicle.store import Store
from chronicle.timestamps import TimeOrderError, next_stamp, utc_now


def _source(n: int, recorded_at: str | None) -> str:
    line = {"id": f"o-{n}", "type": "source.registered", "author": "t",
            "data": {"source_id": f"src:o{n}", "title": f"Old {n}", "kind": "report"}}  # fmt: skip
    if recorded_at is not None:
        line["recorded_at"] = recorded_at
    return json.dumps(line)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return mini_store(tmp_path / "store.db")


def _times(path: Path) -> list[str]:
    return [row[5] for row in log_rows(path)]


def test_an_entry_stamped_before_the_head_is_refused(store_path: Path, tmp_path: Path) -> None:
    head_time = _times(store_path)[-1]
    old = tmp_path / "old.ndjson"
    old.write_text(_source(1, "1990-05-01T12:00:00Z") + "\n", encoding="utf-8")
    before = log_rows(store_path)
    outcome = run_cli(store_path, "import", str(old))
    assert outcome.code == 1
    assert outcome.err.splitlines() == [
        f"error: old.ndjson, line 1: recorded_at 1990-05-01T12:00:00.000000Z is before the "
        f"log's last entry ({head_time}): the log's times never go backwards (import "
        "--restamp records it now and keeps its time as first_recorded_at)"
    ]
    assert log_rows(store_path) == before


def test_restamp_records_it_now_and_keeps_its_time_inside(store_path: Path, tmp_path: Path) -> None:
    """The issue's case: entries of 1990 into a store of today, then as-of a time between."""
    old = tmp_path / "old.ndjson"
    old.write_text("".join(_source(n, f"1990-05-0{n}T12:00:00Z") + "\n" for n in (1, 2)))
    start = utc_now()
    outcome = run_cli(store_path, "import", "--restamp", str(old))
    assert outcome.code == 0, outcome.err
    rows = log_rows(store_path)[-2:]
    assert all(row[5] >= start for row in rows)
    assert [json.loads(row[8])["first_recorded_at"] for row in rows] == [
        "1990-05-01T12:00:00.000000Z", "1990-05-02T12:00:00.000000Z"]  # fmt: skip
    assert run_cli(store_path, "verify").code == 0
    past = run_cli(store_path, "export", "sources", "--format", "csv", "--as-of", "2021-01-01")
    assert "Old 1" not in past.out
    again = run_cli(store_path, "import", str(old))  # the same entries, not re-stamped
    assert (again.code, again.err.strip()) == (0, "imported 0 entries, skipped 2 already present")
    with Store.open(store_path, readonly=True) as store:
        history = store.conn.execute("SELECT data FROM log WHERE id = 'o-1'").fetchone()[0]
    assert json.loads(history)["first_recorded_at"] == "1990-05-01T12:00:00.000000Z"


def test_entries_in_order_keep_their_times(tmp_path: Path) -> None:
    """A log export re-imported into an empty store: its times are in order, so they stay."""
    lines = tmp_path / "in-order.ndjson"
    lines.write_text("".join(_source(n, f"2001-01-0{n}T00:00:00Z") + "\n" for n in (1, 2, 3)))
    assert run_cli(tmp_path / "new.db", "import", str(lines)).code == 0
    assert _times(tmp_path / "new.db") == [f"2001-01-0{n}T00:00:00.000000Z" for n in (1, 2, 3)]
    exported = run_cli(tmp_path / "new.db", "export", "log", "--format", "ndjson")
    (tmp_path / "log.ndjson").write_text(exported.out, encoding="utf-8")
    assert run_cli(tmp_path / "copy.db", "import", str(tmp_path / "log.ndjson")).code == 0
    assert log_rows(tmp_path / "copy.db") == log_rows(tmp_path / "new.db")


def test_within_one_import_a_step_back_is_refused_at_its_line(tmp_path: Path) -> None:
    lines = tmp_path / "back.ndjson"
    lines.write_text(_source(1, "2001-01-02T00:00:00Z") + "\n"
                     + _source(2, "2001-01-01T00:00:00Z") + "\n")  # fmt: skip
    outcome = run_cli(tmp_path / "new.db", "import", str(lines))
    assert outcome.code == 1
    assert outcome.err.startswith("error: back.ndjson, line 2: recorded_at 2001-01-01T00:00:00")


def test_an_entry_without_a_time_is_never_stamped_before_the_head(tmp_path: Path) -> None:
    """A head stamped ahead of this machine's clock (another machine's, a future import)."""
    ahead = tmp_path / "ahead.ndjson"
    ahead.write_text(_source(1, "2999-01-01T00:00:00Z") + "\n" + _source(2, None) + "\n")
    assert run_cli(tmp_path / "s.db", "import", str(ahead)).code == 0
    assert _times(tmp_path / "s.db") == ["2999-01-01T00:00:00.000000Z"] * 2


def test_next_stamp_reads_years_below_1000_as_moments() -> None:
    """strftime leaves such years unpadded ("999-…"), which text order would put after 2000."""
    with pytest.raises(TimeOrderError):
        next_stamp("2000-01-01T00:00:00.000000Z", "999-01-01T00:00:00.000000Z")
    assert next_stamp("999-01-01T00:00:00.000000Z", "1000-01-01T00:00:00.000000Z") == (
        "1000-01-01T00:00:00.000000Z", None)  # fmt: skip


MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(st.lists(st.none() | MOMENTS, min_size=1, max_size=4), max_size=4),
       restamp=st.booleans())  # fmt: skip
def test_times_never_go_backwards_whatever_comes(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[str | None]], restamp: bool
) -> None:
    path = tmp_path_factory.mktemp("order") / "s.db"
    n = 0
    with Store.open(path, create=True) as store:
        for batch in batches:
            lines = []
            for moment in batch:
                n += 1
                lines.append(_source(n, moment))
            try:
                store.import_lines(lines, name="batch", restamp=restamp)
            except EntryError as err:
                assert not restamp and "go backwards" in str(err)
    times = _times(path)
    assert times == sorted(times)


def test_seeds_into_a_store_written_to_since_are_re_stamped(tmp_path: Path) -> None:
    """`init --empty`, some work, then `seed`: the seeds' own times are before that work."""
    path = tmp_path / "s.db"
    assert run_cli(path, "init", "--empty").code == 0
    assert (
        run_cli(path, "add", "source", "--id", "src:mine", "--title", "M", "--kind", "news").code
        == 0
    )
    done = run_cli(path, "seed")
    assert done.code == 0, done.err
    rows = log_rows(path)
    assert [row[5] for row in rows] == sorted(row[5] for row in rows)
    assert all("first_recorded_at" in json.loads(row[8]) for row in rows[1:])
    assert run_cli(path, "verify").code == 0
    fresh = tmp_path / "fresh.db"
    assert run_cli(fresh, "init").code == 0  # into an empty store the seeds keep their times
    assert not any("first_recorded_at" in json.loads(row[8]) for row in log_rows(fresh))
    assert run_cli(path, "seed").err.strip().endswith("already there")
