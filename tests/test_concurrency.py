"""Concurrency: several processes writing one store, a reader polling it meanwhile.

SQLite lets one writer in at a time; chronicle's part is to wait its turn (a busy
timeout on every connection, ``BEGIN IMMEDIATE`` so a transaction never has to
upgrade a read lock) and to number entries inside the write transaction, so no
"database is locked" reaches a user and no two writers take the same seq.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from processes import FORK, finish, outcome_of, report_to, start
from support import snapshot

from chronicle import queries
from chronicle.cli import main
from chronicle.commands import Commands
from chronicle.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
WRITERS = 4
APPENDS = 500


# --- four writers and a reader ----------------------------------------------------------


def _writer(path: Path, number: int, go) -> dict:
    """500 appends through the command API, each its own transaction, as the CLI makes them."""
    go.wait()
    with Store.open(path) as store:
        commands = Commands(store, author=f"writer{number}")
        for i in range(APPENDS):
            event_id = f"ev:w{number}-{i // 5}"
            if i % 5 == 0:
                commands.add("event.asserted", {
                    "event_id": event_id, "title": f"Writer {number} event {i}", "when": "2024-07",
                    "actors": [], "tags": [f"w{number}"], "summary": "",
                    "citations": [{"source": "src:a"}]})  # fmt: skip
            elif i % 5 in (1, 2):
                commands.correct(event_id, {"summary": f"take {i}"}, reason="more detail")
            else:  # every writer bumps the same subject's version: the hot spot
                commands.alias("place:tinz", f"Tinzaouaten-{number}-{i}")
    return {"appended": APPENDS}


def _reader(path: Path, done, go) -> dict:
    """Poll as `chronicle timeline` would, checking each snapshot is whole and never goes back."""
    go.wait()
    polls, last_head, heads = 0, 0, set()
    while not done.is_set() or polls < 3:
        with Store.open(path, readonly=True) as reader:
            head, checkpoint = reader.conn.execute(
                "SELECT (SELECT coalesce(max(seq), 0) FROM log),"
                " (SELECT value FROM projection_meta WHERE key = 'checkpoint')"
            ).fetchone()
            assert head == checkpoint, f"projections at {checkpoint} behind the log at {head}"
            assert head >= last_head, f"the log went back from {last_head} to {head}"
            rows = list(queries.timeline(reader.conn, queries.TimelineFilter()))
            assert len(rows) >= 2
            result = reader.verify()
            assert result.ok, result.problem
        polls, last_head = polls + 1, head
        heads.add(head)
    return {"polls": polls, "distinct_heads": len(heads)}


@pytest.mark.slow
def test_four_writers_and_a_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Locking is the same at every synchronous level; NORMAL only skips the fsync per
    # commit, which is what durability on power loss costs and not what is tested here.
    monkeypatch.setenv("CHRONICLE_SYNCHRONOUS", "NORMAL")
    path = tmp_path / "busy.db"
    with Store.open(path, create=True) as store, (FIXTURES / "mini.ndjson").open("rb") as f:
        store.import_lines(f, name="mini.ndjson")
        before = store.head()[0]
    go, done = FORK.Barrier(WRITERS + 1), FORK.Event()
    reports = [tmp_path / f"writer{n}.json" for n in range(WRITERS)]
    writers = [start(lambda n=n: report_to(reports[n], lambda: _writer(path, n, go)))
               for n in range(WRITERS)]  # fmt: skip
    reader_report = tmp_path / "reader.json"
    reader = start(lambda: report_to(reader_report, lambda: _reader(path, done, go)))
    for child in writers:
        finish(child)
    done.set()
    finish(reader)

    for report in [*reports, reader_report]:
        outcome = outcome_of(report)
        assert outcome["ok"], outcome["error"] + "\n" + outcome["trace"]
    polled = outcome_of(reader_report)
    assert polled["distinct_heads"] > 2, "the reader never saw the writers at work"

    with Store.open(path) as store:
        seqs = [r[0] for r in store.conn.execute("SELECT seq FROM log ORDER BY seq")]
        assert seqs == list(range(1, before + WRITERS * APPENDS + 1))
        assert store.verify().ok
        aliases = store.conn.execute(
            "SELECT max(subject_version) FROM log WHERE subject = 'place:tinz'"
        ).fetchone()[0]
        assert aliases == 1 + WRITERS * APPENDS * 2 // 5
        incremental = snapshot(store.conn)
        store.rebuild()
        assert snapshot(store.conn) == incremental


CREATION_ROUNDS = 25


def test_writers_creating_the_same_new_store_at_once(tmp_path: Path) -> None:
    """Four `chronicle init` started together: all succeed, the schema is made once.

    The race is narrow (one round in seven failed while the switch to WAL was not
    waited out), so it is run on many new stores.
    """
    for round_number in range(CREATION_ROUNDS):
        _create_together(tmp_path / str(round_number))


def _create_together(folder: Path) -> None:
    folder.mkdir()
    path = folder / "new.db"
    go = FORK.Barrier(WRITERS)

    def create(number: int) -> dict:
        go.wait()
        with Store.open(path, create=True) as store:
            payload = {"source_id": f"src:{number}", "title": f"Source {number}", "kind": "news"}
            Commands(store, "init").add("source.registered", payload)
        return {}

    reports = [folder / f"create{n}.json" for n in range(WRITERS)]
    children = [start(lambda n=n: report_to(reports[n], lambda: create(n)))
                for n in range(WRITERS)]  # fmt: skip
    for child in children:
        finish(child)
    for report in reports:
        outcome = outcome_of(report)
        assert outcome["ok"], outcome["error"] + "\n" + outcome["trace"]
    with Store.open(path) as store:
        assert store.verify().entries == WRITERS


# --- two corrections of the same version ------------------------------------------------


def _correct_via_cli(path: Path, event_id: str, title: str, stderr: Path, go) -> None:
    """`chronicle correct … --expect-version 1` in its own process, its stderr kept."""
    with stderr.open("w") as err:
        sys.stderr = err
        go.wait()
        change = ["correct", event_id, "--set", f"title={title}", "--reason", "I read it first"]
        main(["--store", str(path), *change, "--expect-version", "1"])
        sys.exit(0)


@pytest.mark.parametrize("round_", range(6))
def test_two_writers_correcting_the_same_version(tmp_path: Path, round_: int) -> None:
    path = tmp_path / "race.db"
    with Store.open(path, create=True) as store, (FIXTURES / "mini.ndjson").open("rb") as f:
        store.import_lines(f, name="mini.ndjson")
        before = store.head()[0]
    go = FORK.Barrier(2)
    names = ("alice", "bruno")
    errs = {name: tmp_path / f"{name}.err" for name in names}
    children = {
        name: start(
            lambda name=name: _correct_via_cli(
                path, "ev:kidal", f"Kidal retaken ({name})", errs[name], go
            )
        )
        for name in names
    }
    for child in children.values():
        finish(child)
    codes = {name: child.exitcode for name, child in children.items()}
    assert sorted(codes.values()) == [0, 1], codes
    (winner,) = [n for n in names if codes[n] == 0]
    (loser,) = [n for n in names if codes[n] == 1]
    message = errs[loser].read_text().strip()
    assert message == (
        "error: ev:kidal is at version 2, not 1: it changed since you read it; reload and try again"
    )
    with Store.open(path) as store:
        assert store.head()[0] == before + 1
        title = store.conn.execute("SELECT title FROM events WHERE event_id = 'ev:kidal'")
        assert title.fetchone()[0] == f"Kidal retaken ({winner})"
