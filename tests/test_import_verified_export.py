"""A log export imports only if its hashes verify, line against line.

Every ``seq``, ``prev_hash`` and ``hash`` an export carries is recomputed and
compared, and the first that does not hold is named; an export edited after it
was written (a title changed, the hashes left alone) is refused. Where the
entries land depends on the store (README, "The log round trip"): an empty store,
or one holding exactly the export's first entries, takes them at their own seq
with their own hashes; a store with entries of its own (seeds, other work) skips
the ones it holds and chains the rest after its head.
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fixtures.rel_support import log_rows, mini_store, run_cli

from chronicle.chain import GENESIS, canonical_json, entry_hash
from chronicle.store import Store

SOURCE = {"source_id": "src:x", "title": "Report X", "kind": "news"}
EVENT = {"event_id": "ev:x", "title": "Clash", "when": "2024-07-25", "actors": [], "tags": [],
         "summary": "", "citations": [{"source": "src:x"}]}  # fmt: skip


def exported(*payloads: tuple[str, dict[str, Any]], first_seq: int = 1) -> list[dict[str, Any]]:
    """Lines of a log export as chronicle writes one: each hashed over the one before."""
    lines, prev, versions = [], GENESIS, {}
    for seq, (entry_type, data) in enumerate(payloads, start=first_seq):
        subject = data["source_id"] if entry_type == "source.registered" else data["event_id"]
        versions[subject] = versions.get(subject, 0) + 1
        line = {"seq": seq, "id": f"x-{seq}", "type": entry_type, "subject": subject,
                "subject_version": versions[subject],
                "recorded_at": f"2030-01-01T00:00:{seq:02d}.000000Z", "author": "exporter",
                "schema": 2 if entry_type == "event.asserted" else 1, "data": data,
                "prev_hash": prev}  # fmt: skip
        line["hash"] = rehash(line)
        prev = line["hash"]
        lines.append(line)
    return lines


def rehash(line: dict[str, Any]) -> str:
    return entry_hash(
        line["seq"], line["id"], line["type"], line["subject"], line["subject_version"],
        line["recorded_at"], line["author"], line["schema"], canonical_json(line["data"]),
        line["prev_hash"],
    )  # fmt: skip


def bounded_event(**changes: Any) -> dict[str, Any]:
    bounds = {"earliest": "2024-07-25", "latest": "2024-07-25", "precision": "day",
              "approximate": False, "uncertain": False, "display": "25 Jul 2024"}  # fmt: skip
    return {**EVENT, "when_bounds": {**bounds, **changes}}


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return mini_store(tmp_path / "store.db")


def _refused(store_path: Path, file: Path, message: str) -> None:
    before = log_rows(store_path)
    outcome = run_cli(store_path, "import", str(file))
    assert outcome.code == 1, outcome.err
    assert outcome.err.splitlines() == [f"error: {file.name}, {message}"], outcome.err
    assert log_rows(store_path) == before


def test_a_title_edited_with_the_hashes_left_alone_is_refused(
    store_path: Path, tmp_path: Path
) -> None:
    lines = exported(("source.registered", SOURCE), ("event.asserted", EVENT))
    lines[1]["data"] = {**EVENT, "title": "FORGED"}
    _refused(store_path, write(tmp_path / "log.ndjson", lines),
             "line 2: hash of seq 2 does not match its content: the line was changed after "
             "it was exported")  # fmt: skip


def _edit_hash(lines: list[dict]) -> None:
    lines[0]["hash"] = "f" * 64


def _edit_prev_hash(lines: list[dict]) -> None:
    lines[1]["prev_hash"] = "e" * 64
    lines[1]["hash"] = rehash(lines[1])  # a consistent line that no longer follows


def _drop_a_line(lines: list[dict]) -> None:
    del lines[1]


def _swap_lines(lines: list[dict]) -> None:
    lines[0], lines[1] = lines[1], lines[0]


def _edit_seq(lines: list[dict]) -> None:
    lines[2]["seq"] = 7


def _plain_line_inside(lines: list[dict]) -> None:
    plain = {k: lines[1][k] for k in ("id", "type", "author", "data")}
    lines[1] = {**plain, "id": "x-plain", "data": {**SOURCE, "source_id": "src:p"}}


def _respell_a_time(lines: list[dict]) -> None:
    """The same moment, rehashed; landed in the log's spelling, it would not be this line."""
    lines[0]["recorded_at"] = lines[0]["recorded_at"].replace(".000000Z", "+00:00")
    lines[0]["hash"] = rehash(lines[0])
    for before, line in pairwise(lines):
        line["prev_hash"] = before["hash"]
        line["hash"] = rehash(line)


def _edit_origin(lines: list[dict]) -> None:
    lines[0]["prev_hash"] = "a" * 64
    lines[0]["hash"] = rehash(lines[0])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_edit_hash, "line 1: hash of seq 1 does not match its content: the line was changed "
                     "after it was exported"),
        (_edit_prev_hash, "line 2: prev_hash of seq 2 is not the hash of seq 1"),
        (_drop_a_line, "line 2: seq 3 does not follow seq 1 of the line before"),
        (_swap_lines, "line 2: seq 1 does not follow seq 2 of the line before"),
        (_edit_seq, "line 3: seq 7 does not follow seq 2 of the line before"),
        (_plain_line_inside, "line 2: an entry without seq and hashes among the lines of a "
                             "log export"),
        (_respell_a_time, "line 1: recorded_at of seq 1 is not spelled as the log writes it"),
        (_edit_origin, "line 1: prev_hash of seq 1 is not the chain's origin (64 zeros)"),
    ],
)  # fmt: skip
def test_the_first_line_that_does_not_hold_is_named(
    store_path: Path, tmp_path: Path, edit: Any, message: str
) -> None:
    lines = exported(
        ("source.registered", SOURCE),
        ("source.registered", {**SOURCE, "source_id": "src:y"}),
        ("event.asserted", EVENT),
    )
    edit(lines)
    _refused(store_path, write(tmp_path / "log.ndjson", lines), message)


def test_a_line_missing_part_of_what_its_hash_covers_is_refused(
    store_path: Path, tmp_path: Path
) -> None:
    lines = exported(("source.registered", SOURCE))
    del lines[0]["schema"]
    _refused(store_path, write(tmp_path / "log.ndjson", lines),
             "line 1: a line of a log export needs schema too")  # fmt: skip


def test_into_an_empty_store_an_export_keeps_its_seq_and_hashes(tmp_path: Path) -> None:
    lines = exported(("source.registered", SOURCE), ("event.asserted", bounded_event()))
    outcome = run_cli(tmp_path / "new.db", "import", str(write(tmp_path / "log.ndjson", lines)))
    assert outcome.code == 0, outcome.err
    rows = log_rows(tmp_path / "new.db")
    assert [(r[0], r[-1]) for r in rows] == [(line["seq"], line["hash"]) for line in lines]
    verified = run_cli(tmp_path / "new.db", "verify", "--against", str(tmp_path / "log.ndjson"))
    assert verified.code == 0, verified.err


def test_into_a_store_with_entries_of_its_own_it_chains_after_the_head(
    store_path: Path, tmp_path: Path
) -> None:
    """Seeds or other work first: the export's entries are checked, then chained anew."""
    own = len(log_rows(store_path))
    lines = exported(("source.registered", SOURCE), ("event.asserted", bounded_event()))
    outcome = run_cli(store_path, "import", str(write(tmp_path / "log.ndjson", lines)))
    assert outcome.code == 0, outcome.err
    rows = log_rows(store_path)[own:]
    assert [r[1] for r in rows] == ["x-1", "x-2"]
    assert [r[0] for r in rows] == [own + 1, own + 2]
    assert rows[0][-2] != GENESIS  # it follows the store's own head
    assert run_cli(store_path, "verify").code == 0
    again = run_cli(store_path, "import", str(tmp_path / "log.ndjson"))
    assert (again.code, again.err.strip()) == (0, "imported 0 entries, skipped 2 already present")


def test_a_verified_entry_keeps_the_bounds_it_was_written_with(tmp_path: Path) -> None:
    """What the date library understood then stays, even where today's reading differs."""
    then = bounded_event(earliest="2024-07-24", display="24–25 Jul 2024 (as first read)")
    lines = exported(("source.registered", SOURCE), ("event.asserted", then))
    outcome = run_cli(tmp_path / "new.db", "import", str(write(tmp_path / "log.ndjson", lines)))
    assert outcome.code == 0, outcome.err
    with Store.open(tmp_path / "new.db", readonly=True) as store:
        row = store.conn.execute("SELECT earliest, display FROM events").fetchone()
    assert row == ("2024-07-24", "24–25 Jul 2024 (as first read)")
    export_only = ("seq", "subject_version", "prev_hash", "hash")
    plain = [{k: v for k, v in line.items() if k not in export_only} for line in lines]
    refused = run_cli(tmp_path / "other.db", "import", str(write(tmp_path / "plain.ndjson", plain)))
    assert refused.code == 1
    assert refused.err.splitlines() == [
        "error: plain.ndjson, line 2: when_bounds do not follow from when '2024-07-25': "
        "earliest '2024-07-24', not '2024-07-25'"
    ]


def test_a_verified_entry_still_needs_bounds_that_are_dates(tmp_path: Path) -> None:
    """A hash proves the lines agree with each other, not who wrote them: shapes still hold."""
    lines = exported(("source.registered", SOURCE), ("event.asserted", bounded_event(
        earliest="banana")))  # fmt: skip
    outcome = run_cli(tmp_path / "new.db", "import", str(write(tmp_path / "log.ndjson", lines)))
    assert outcome.code == 1
    assert outcome.err.splitlines() == [
        "error: log.ndjson, line 2: entry x-2 (event.asserted): data.when_bounds.earliest: "
        "must be a day written YYYY-MM-DD"
    ]


def test_an_export_that_starts_later_is_checked_from_its_first_line(tmp_path: Path) -> None:
    """``log --ndjson --from N``: its first prev_hash names an entry the file does not hold."""
    lines = exported(("source.registered", SOURCE), ("event.asserted", bounded_event()))
    outcome = run_cli(
        tmp_path / "new.db", "import", str(write(tmp_path / "tail.ndjson", lines[1:]))
    )
    assert outcome.code == 1  # the event's source is not there: refused by reference, not hash
    assert "unknown source 'src:x'" in outcome.err
    first = exported(("source.registered", SOURCE), first_seq=5)
    first[0]["prev_hash"] = "c" * 64
    first[0]["hash"] = rehash(first[0])
    landed = run_cli(tmp_path / "new.db", "import", str(write(tmp_path / "mid.ndjson", first)))
    assert landed.code == 0, landed.err
    assert [r[0] for r in log_rows(tmp_path / "new.db")] == [1]  # renumbered in this log
