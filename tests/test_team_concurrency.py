"""Four analysts append at once, each on a replica of their own, while a fifth pulls.

The server serializes the appends on its head row, so seq is gapless and in commit
order; after a pull every replica holds the same log, hash for hash, with projections
equal to a rebuild.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from processes import FORK, finish, outcome_of, report_to, start
from support import log_rows, snapshot

from chronicle.commands import Commands
from chronicle.replica import Replica, clone, share
from chronicle.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
WRITERS = 4
APPENDS = 500
SHARED = [f"ev:shared-{n}" for n in range(5)]


def _writer(path: Path, number: int, go) -> dict:
    """New events and corrections of five events every writer touches."""
    go.wait()
    with Store.open(path) as store:
        commands = Commands(store, author=f"analyst{number}")
        for i in range(APPENDS):
            if i % 4 == 0:
                commands.add("event.asserted", {
                    "event_id": f"ev:a{number}-{i}", "title": f"Analyst {number}, {i}",
                    "when": "2024-07", "actors": [], "tags": [], "summary": "",
                    "citations": [{"source": "src:a"}]})  # fmt: skip
            else:
                commands.correct(SHARED[i % 5], {"summary": f"{number}:{i}"}, reason="detail")
    return {}


def _puller(path: Path, done, go) -> dict:
    """Pull in a loop: the head only moves forward and the chain always holds."""
    go.wait()
    pulls, last = 0, 0
    with Store.open(path) as store, Replica(store) as replica:
        while not done.is_set() or pulls < 2:
            replica.pull()
            head = store.head()[0]
            assert head >= last and store.verify().ok
            pulls, last = pulls + 1, head
    return {"pulls": pulls}


@pytest.mark.slow
def test_four_writers_on_four_replicas_and_a_puller(
    tmp_path: Path, team_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHRONICLE_SYNCHRONOUS", "NORMAL")  # locking is what is tested here
    origin = tmp_path / "origin.db"
    with Store.open(origin, create=True) as store, (FIXTURES / "mini.ndjson").open("rb") as f:
        store.import_lines(f, name="mini.ndjson")
        for event_id in SHARED:
            Commands(store, "t").add("event.asserted", {
                "event_id": event_id, "title": event_id, "when": "2024", "actors": [],
                "tags": [], "summary": "", "citations": [{"source": "src:a"}]})  # fmt: skip
        share(store, team_url)
        before = store.head()[0]
    replicas = [tmp_path / f"analyst{n}.db" for n in range(WRITERS + 1)]
    for path in replicas:
        clone(path, team_url)
    go, done = FORK.Barrier(WRITERS + 1), FORK.Event()
    reports = [tmp_path / f"analyst{n}.json" for n in range(WRITERS + 1)]
    writers = [
        start(lambda n=n: report_to(reports[n], lambda: _writer(replicas[n], n, go)))
        for n in range(WRITERS)
    ]
    puller = start(lambda: report_to(reports[-1], lambda: _puller(replicas[-1], done, go)))
    for child in writers:
        finish(child)
    done.set()
    finish(puller)
    for report in reports:
        outcome = outcome_of(report)
        assert outcome["ok"], outcome["error"] + "\n" + outcome["trace"]

    logs = []
    for path in [origin, *replicas]:
        with Store.open(path) as store, Replica(store) as replica:
            replica.pull()
            assert replica.verify_remote().ok
            logs.append(log_rows(store.conn))
            incremental = snapshot(store.conn)
            store.rebuild()
            assert snapshot(store.conn) == incremental
    assert [row[0] for row in logs[0]] == list(range(1, before + WRITERS * APPENDS + 1))
    assert all(log == logs[0] for log in logs)
