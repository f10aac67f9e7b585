"""A large import's lines are parsed by a second process (intake.parse_lines_aside).

What a user relies on does not change with it: the same log and projections as
parsing in the writer's own process, the first error found where the writer would
find it (a line the writer refuses before a later line the parser refuses), nothing
written when a line is refused, and no parsing process left behind.
"""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from support import event, log_rows, snapshot, source

from chronicle import intake
from chronicle import store as store_module
from chronicle.errors import EntryError
from chronicle.store import Store

pytestmark = pytest.mark.skipif(not intake.can_parse_aside(), reason="needs fork and two cores")


def _entries(n: int) -> list[dict]:
    """A source and ``n`` events, stamped alike so that two imports of them are equal."""
    entries = [{**source(), "id": "e-src"}] + [
        {**event(f"ev:{i}", f"{1990 + i % 30}-0{1 + i % 9}", f"Event {i}"), "id": f"e-{i}"}
        for i in range(n)
    ]
    return [{**e, "recorded_at": "2024-05-01T12:00:00Z"} for e in entries]


def _write(path: Path, entries: list[dict], *, extra: str = "") -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries) + extra, encoding="utf-8")
    return path


def _import(store_path: Path, log: Path, aside: bool, monkeypatch: pytest.MonkeyPatch):
    """Import ``log`` into a new store, parsing aside or not; the store's rows, or the error."""
    monkeypatch.setattr(store_module, "PARSE_ASIDE_BYTES", 0 if aside else 1 << 62)
    used = []
    real = intake.parse_lines_aside
    monkeypatch.setattr(intake, "parse_lines_aside", lambda *a: used.append(1) or real(*a))
    with Store.open(store_path, create=True) as store:
        try:
            with log.open("rb") as lines:
                store.import_lines(lines, name="in.ndjson")
        except EntryError as err:
            outcome: object = str(err)
        else:
            outcome = None
        assert bool(used) == aside
        return outcome, log_rows(store.conn), snapshot(store.conn)


def test_parsed_aside_the_store_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More lines than one batch, so batches are joined in order.
    log = _write(tmp_path / "in.ndjson", _entries(3 * intake.ASIDE_BATCH + 7), extra="\n")
    here = _import(tmp_path / "here.db", log, False, monkeypatch)
    aside = _import(tmp_path / "aside.db", log, True, monkeypatch)
    assert aside == here
    assert here[0] is None and len(here[1]) == 3 * intake.ASIDE_BATCH + 8


@pytest.mark.parametrize("where", [5, intake.ASIDE_BATCH + 3])
def test_a_bad_line_is_named_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: int
) -> None:
    entries = _entries(2 * intake.ASIDE_BATCH)
    lines = [json.dumps(e) for e in entries]
    lines[where - 1] = lines[where - 1].replace('"title"', '"titel"')
    log = tmp_path / "in.ndjson"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome, rows, _ = _import(tmp_path / "aside.db", log, True, monkeypatch)
    assert outcome is not None and outcome.startswith(f"in.ndjson, line {where}: ")
    assert rows == []
    assert outcome == _import(tmp_path / "here.db", log, False, monkeypatch)[0]


def test_the_writers_error_before_a_later_bad_line_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bad line comes in a later chunk of the writer (appender.CHUNK) than the unknown place.
    entries = _entries(4 * intake.ASIDE_BATCH)
    entries[10] = {**entries[10], "data": {**entries[10]["data"], "place": "pl:nowhere"}}
    log = _write(tmp_path / "in.ndjson", entries, extra="{not json\n")
    outcome, rows, _ = _import(tmp_path / "aside.db", log, True, monkeypatch)
    assert outcome is not None and "line 11: " in outcome and "pl:nowhere" in outcome
    assert rows == []
    assert outcome == _import(tmp_path / "here.db", log, False, monkeypatch)[0]


def test_no_parsing_process_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _write(tmp_path / "in.ndjson", _entries(600), extra="{not json\n")
    _import(tmp_path / "bad.db", log, True, monkeypatch)
    log = _write(tmp_path / "good.ndjson", _entries(600))
    _import(tmp_path / "good.db", log, True, monkeypatch)
    assert multiprocessing.active_children() == []


def test_a_reader_that_stops_early_ends_the_child(tmp_path: Path) -> None:
    log = _write(tmp_path / "in.ndjson", _entries(20 * intake.ASIDE_BATCH))
    with log.open("rb") as lines:
        parsed = intake.parse_lines_aside(lines, "in.ndjson")
        first = next(parsed)
        assert first.entry_id == "e-src"
        parsed.close()
    assert multiprocessing.active_children() == []


def test_a_failure_reading_the_input_reaches_the_writer(tmp_path: Path) -> None:
    def lines():
        yield (json.dumps(_entries(0)[0]) + "\n").encode()
        raise OSError("the disk went away")

    with pytest.raises(OSError, match="the disk went away"):
        list(intake.parse_lines_aside(lines(), "in.ndjson"))
    assert multiprocessing.active_children() == []
