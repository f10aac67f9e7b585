"""Faults around the team log: a client killed mid-import, the server stopped mid-append,
a replica killed mid-pull, and what each leaves behind (nothing half-done anywhere)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict
from support import log_rows, process_ended, snapshot

from chronicle.intake import can_parse_aside
from chronicle.replica import Replica, share
from chronicle.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
ENTRIES = 20_000


def _chronicle(store: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "chronicle", "--store", str(store), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CHRONICLE_SYNCHRONOUS": "NORMAL"},
    )  # fmt: skip


def _sources(path: Path, count: int, prefix: str = "s") -> Path:
    with path.open("w") as out:
        for n in range(count):
            out.write(json.dumps({"id": f"{prefix}-{n}", "type": "source.registered",
                                  "author": "t", "data": {"source_id": f"src:{prefix}{n}",
                                  "title": f"Source {n}", "kind": "news"}}) + "\n")  # fmt: skip
    return path


def _server_count(pg_server, url: str) -> int:
    with pg_server.admin(conninfo_to_dict(url)["dbname"]) as conn:
        return conn.execute("SELECT count(*) FROM chronicle.log").fetchone()[0]


def _wait_for(condition, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the awaited state never came"
        time.sleep(0.02)


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started that are still running."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in found if not process_ended(c)]


def _client_state(pg_server, url: str) -> set[tuple[str, str]]:
    """(state, wait_event_type) of the chronicle clients connected to the team log."""
    with pg_server.admin() as conn:
        rows = conn.execute(
            "SELECT state, coalesce(wait_event_type, '') FROM pg_stat_activity "
            "WHERE application_name = 'chronicle' AND datname = %s",
            (conninfo_to_dict(url)["dbname"],),
        ).fetchall()
    return {tuple(r) for r in rows}


@pytest.fixture
def replica(tmp_path: Path, team_url: str) -> Path:
    path = tmp_path / "replica.db"
    with Store.open(path, create=True) as store, (FIXTURES / "mini.ndjson").open("rb") as f:
        store.import_lines(f, name="mini.ndjson")
        share(store, team_url)
    return path


def test_a_client_killed_mid_import_leaves_none_of_it(
    replica: Path, tmp_path: Path, pg_server, team_url: str
) -> None:
    big = _sources(tmp_path / "big.ndjson", ENTRIES)
    client = _chronicle(replica, "import", str(big))
    # It holds the team log's lock from its first statement until its commit, while it
    # numbers, hashes and projects the entries locally.
    holding = ("idle in transaction", "Client")
    _wait_for(lambda: holding in _client_state(pg_server, team_url) or client.poll() is not None)
    assert client.poll() is None, "the import finished before it could be killed"
    client.send_signal(signal.SIGKILL)
    client.wait()
    _wait_for(lambda: not _client_state(pg_server, team_url))
    assert _server_count(pg_server, team_url) == 8
    with Store.open(replica) as store:
        assert store.head()[0] == 8
        Store.append(store, [_one_source("after")])  # the lock went with the killed client
    assert _server_count(pg_server, team_url) == 9


def _one_source(name: str) -> dict:
    return {"id": name, "type": "source.registered", "author": "t",
            "data": {"source_id": f"src:{name}", "title": name, "kind": "news"}}  # fmt: skip


def test_the_server_stopped_mid_append_then_the_retry_lands_once(
    replica: Path, tmp_path: Path, pg_server, team_url: str
) -> None:
    if not pg_server.private:
        pytest.skip("stops the server: needs the tests' own PostgreSQL")
    batch = _sources(tmp_path / "batch.ndjson", 50, prefix="b")
    holder = pg_server.admin(conninfo_to_dict(team_url)["dbname"])
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM chronicle.head FOR UPDATE")
    client = _chronicle(replica, "import", str(batch))
    _wait_for(lambda: ("active", "Lock") in _client_state(pg_server, team_url))
    pg_server.stop("fast")
    holder.close()
    try:
        _, err = client.communicate(timeout=60)
        assert client.returncode == 1
        assert len(err.strip().splitlines()) == 1 and "team log" in err, err
    finally:
        pg_server.start()
    with Store.open(replica, readonly=True) as store:
        assert store.head()[0] == 8
    for _ in range(2):
        again = _chronicle(replica, "import", str(batch))
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
    assert "skipped 50 already present" in err
    assert _server_count(pg_server, team_url) == 58


def test_a_replica_killed_mid_pull_resumes_to_the_same_state(
    tmp_path: Path, pg_server, team_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHRONICLE_SYNCHRONOUS", "NORMAL")
    origin = tmp_path / "origin.db"
    with Store.open(origin, create=True) as store:
        with (FIXTURES / "mini.ndjson").open("rb") as f:
            store.import_lines(f, name="mini.ndjson")
        with _sources(tmp_path / "many.ndjson", ENTRIES).open("rb") as f:
            store.import_lines(f, name="many.ndjson")
        share(store, team_url)
        expected = log_rows(store.conn)
        projections = snapshot(store.conn)
    copy = tmp_path / "copy.db"
    client = _chronicle(copy, "clone", team_url)
    if can_parse_aside():  # a clone this large is fetched and read by a second process
        # Mid-pull for sure: the process that fetches and reads the rows is still there.
        _wait_for(lambda: _children(client.pid) or client.poll() is not None, limit=120)
        readers = _children(client.pid)
    else:
        _wait_for(lambda: copy.exists() or client.poll() is not None)
        time.sleep(0.2)
        readers = []
    assert client.poll() is None, "the clone finished before it could be killed"
    client.send_signal(signal.SIGKILL)
    client.wait()
    for reader in readers:  # the reading process does not outlive its writer
        _wait_for(lambda reader=reader: process_ended(reader))
    with Store.open(copy) as store, Replica(store) as replica:
        assert store.verify().ok
        replica.pull()
        assert log_rows(store.conn) == expected
        assert snapshot(store.conn) == projections
