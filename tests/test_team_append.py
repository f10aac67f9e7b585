"""A replica's turn of the team log's lock, and the pull that fetches while it writes.

An append takes the lock, the witness check and the rows the replica lacks in one
round trip, writes those rows and its own in one local transaction, and sends its
rows with the server's COMMIT. A pull fetches on a thread of its own, and every
pulled entry must hash here as it does on the server.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict
from support import log_rows, round_trips, server_log_rows, snapshot, source, two_replicas

from chronicle import replica as replica_module
from chronicle import teamlog
from chronicle.errors import ConflictError
from chronicle.replica import HistoryRewritten, Replica, clone, share
from chronicle.store import Store


@pytest.fixture
def pair(tmp_path: Path, team_url: str) -> Iterator[tuple[Store, Store]]:
    """Two replicas of one team log, both caught up with its first entry."""
    with two_replicas(tmp_path, team_url, [source("src:origin")]) as stores:
        yield stores


def _projections_are_a_rebuilds(store: Store) -> bool:
    written = snapshot(store.conn)
    store.rebuild()
    return written == snapshot(store.conn)


def test_an_append_under_the_lock_takes_two_round_trips(
    pair, tmp_path: Path, pg_server, team_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An import's many entries take the lock (here: any entry, with EARLY_ENTRIES 0).
    monkeypatch.setattr(replica_module, "EARLY_ENTRIES", 0)
    first, second = pair
    second.append([source("src:second")])  # first is now one entry behind
    first.append([source("src:warm")])  # connects and checks the schema
    second.append([source("src:second-again")])
    trips = round_trips(first, tmp_path, lambda: first.append([source("src:first")]))
    assert trips == 2, "one round trip for the lock and the backlog, one for the commit"
    assert log_rows(first.conn) == server_log_rows(pg_server, team_url)
    assert first.head()[0] == 5 and first.verify().ok
    assert _projections_are_a_rebuilds(first)


def test_a_replica_far_behind_pulls_before_it_appends(
    pair, pg_server, team_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = pair
    monkeypatch.setattr(teamlog, "CATCH_UP_ROWS", 3)
    second.append([source(f"src:s{n}") for n in range(4)])
    for n in range(3):
        second.append([source(f"src:t{n}")])
    result = first.append([source("src:first")])
    assert list(result.added) == [9]
    assert log_rows(first.conn) == server_log_rows(pg_server, team_url)
    assert _projections_are_a_rebuilds(first)


def test_a_refused_append_keeps_what_it_caught_up_with(pair, pg_server, team_url: str) -> None:
    first, second = pair
    second.append([source("src:second")])
    with pytest.raises(ConflictError):
        first.append([source("src:first")], expect={"src:first": 3})
    assert log_rows(first.conn) == server_log_rows(pg_server, team_url)
    assert first.conn.execute("SELECT count(*) FROM sources").fetchone() == (2,)


def _change_without_hash(pg_server, url: str, seq: int) -> None:
    with pg_server.admin(conninfo_to_dict(url)["dbname"]) as conn:
        conn.execute("DROP TRIGGER IF EXISTS log_no_change ON chronicle.log")
        conn.execute(
            'UPDATE chronicle.log SET data = replace(data, \'"title":"\', \'"title":"x\') '
            "WHERE seq = %s",
            (seq,),
        )


def test_an_entry_changed_on_the_server_is_refused_by_pull_and_by_append(
    pair, pg_server, team_url: str
) -> None:
    first, second = pair
    second.append([source(f"src:s{n}") for n in range(3)])
    _change_without_hash(pg_server, team_url, 3)
    server_before, local_before = server_log_rows(pg_server, team_url), log_rows(first.conn)
    with pytest.raises(HistoryRewritten, match="seq 3 does not hash the same"):
        Replica(first).pull()
    with pytest.raises(HistoryRewritten, match="seq 3 does not hash the same"):
        first.append([source("src:first")])
    assert log_rows(first.conn) == local_before
    assert server_log_rows(pg_server, team_url) == server_before


@pytest.fixture(params=["here", "aside"])
def reading(request, monkeypatch: pytest.MonkeyPatch) -> str:
    """Pulled rows read into entries by this process, or by a second one (``read_aside``)."""
    monkeypatch.setattr(replica_module, "PULL_ASIDE_ROWS", 1 if request.param == "aside" else 10**9)
    return request.param


def test_a_clone_stops_at_a_changed_entry_and_keeps_nothing(
    tmp_path: Path, pg_server, team_url: str, monkeypatch: pytest.MonkeyPatch, reading: str
) -> None:
    monkeypatch.setattr(replica_module, "READ_AHEAD_ROWS", 5)
    monkeypatch.setattr(replica_module, "READ_AHEAD_BATCHES", 2)
    with Store.open(tmp_path / "origin.db", create=True) as store:
        store.append([source(f"src:{n}") for n in range(400)])
        share(store, team_url)
    _change_without_hash(pg_server, team_url, 50)
    with pytest.raises(HistoryRewritten, match="seq 50 does not hash the same"):
        clone(tmp_path / "copy.db", team_url)
    with Store.open(tmp_path / "copy.db") as copy:
        assert copy.head()[0] == 0
    # The fetching thread stopped with the clone, its rows unread; no reading process is left.
    assert not [t for t in threading.enumerate() if t.name == "chronicle-pull"]
    assert not multiprocessing.active_children()


def test_a_clone_fetches_while_it_writes_and_lands_whole(
    tmp_path: Path, pg_server, team_url: str, monkeypatch: pytest.MonkeyPatch, reading: str
) -> None:
    monkeypatch.setattr(replica_module, "READ_AHEAD_ROWS", 7)
    with Store.open(tmp_path / "origin.db", create=True) as store:
        store.append([source(f"src:{n}") for n in range(300)])
        share(store, team_url)
        expected, projections = log_rows(store.conn), snapshot(store.conn)
    assert clone(tmp_path / "copy.db", team_url) == 300
    with Store.open(tmp_path / "copy.db") as copy:
        assert log_rows(copy.conn) == expected and snapshot(copy.conn) == projections
    with Store.open(tmp_path / "origin.db") as store:  # then a pull of a replica with entries
        store.append([source(f"src:more{n}") for n in range(40)])
        expected, projections = log_rows(store.conn), snapshot(store.conn)
    with Store.open(tmp_path / "copy.db") as copy:
        assert Replica(copy).pull() == 40
        assert log_rows(copy.conn) == expected and snapshot(copy.conn) == projections
    assert not multiprocessing.active_children()
