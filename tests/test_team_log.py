"""A team shares one log: share, clone, writes through the server, reads that pull first.

Every test runs against a real PostgreSQL (tests/postgres.py); the analysts are
separate store files, each a replica of one team log, driven through the CLI.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict
from support import log_rows, main_on, server_log_rows

from chronicle.chain import entry_hash
from chronicle.schema import LOG_COLUMN_LIST

MINI = str(Path(__file__).parent / "fixtures" / "mini.ndjson")
Run = Callable[..., tuple[str, str]]


@pytest.fixture
def run(capsys) -> Run:
    """``run(store, *args, code=0)``: the CLI on one analyst's store."""

    def invoke(store: Path, *args: str, code: int = 0) -> tuple[str, str]:
        return main_on(capsys, store, *args, code=code)

    return invoke


@pytest.fixture
def analysts(tmp_path: Path, run: Run, team_url: str) -> tuple[Path, Path]:
    """Amina shared her store; Bakary cloned it."""
    amina, bakary = tmp_path / "amina.db", tmp_path / "bakary.db"
    run(amina, "import", MINI)
    run(amina, "share", team_url)
    run(bakary, "clone", team_url)
    return amina, bakary


def _log(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return log_rows(conn)


def _database(url: str) -> str:
    return conninfo_to_dict(url)["dbname"]


def _title(path: Path, event_id: str) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT title FROM events WHERE event_id = ?", (event_id,)).fetchone()[
            0
        ]


def test_two_analysts_share_one_log(analysts, run: Run, pg_server, team_url: str) -> None:
    amina, bakary = analysts
    assert _log(amina) == _log(bakary) == server_log_rows(pg_server, team_url)
    run(
        bakary, "correct", "ev:battle", "--set", "title=Tinzaouaten, 25-27 July", "--reason", "name"
    )
    assert len(server_log_rows(pg_server, team_url)) == 9
    out, _ = run(amina, "timeline", "--format", "json")  # a read pulls first
    assert "Tinzaouaten, 25-27 July" in out
    assert _log(amina) == _log(bakary) == server_log_rows(pg_server, team_url)
    status, _ = run(amina, "status", "--format", "json")
    described = json.loads(status)
    assert described["behind"] == 0
    assert described["local head"] == described["server head"]
    run(amina, "verify", "--remote")


def test_a_read_offline_does_not_pull(analysts, run: Run) -> None:
    amina, bakary = analysts
    run(bakary, "correct", "ev:kidal", "--set", "title=Kidal taken back (FAMa)", "--reason", "r")
    out, _ = run(amina, "--offline", "show", "ev:kidal", "--format", "json")
    assert "Kidal taken back (FAMa)" not in out
    status, _ = run(amina, "status", "--format", "json")
    assert json.loads(status)["behind"] == 1
    out, _ = run(amina, "show", "ev:kidal", "--format", "json")
    assert "Kidal taken back (FAMa)" in out


def test_a_stale_version_is_judged_by_the_server(analysts, run: Run, pg_server, team_url) -> None:
    amina, bakary = analysts
    run(amina, "correct", "ev:battle", "--set", "title=A", "--reason", "r", "--expect-version", "1")
    _, err = run(bakary, "correct", "ev:battle", "--set", "title=B", "--reason", "r",
                 "--expect-version", "1", code=1)  # fmt: skip
    assert "changed since you read it" in err and len(err.strip().splitlines()) == 1
    titles = [r[8] for r in server_log_rows(pg_server, team_url) if r[2] == "event.corrected"]
    assert len(titles) == 1 and '"title":"A"' in titles[0]
    assert _title(bakary, "ev:battle") == "A"  # the refused write still caught it up


def test_share_needs_a_server_log_that_prefixes_the_store(analysts, run: Run, tmp_path, team_url):
    other = tmp_path / "other.db"
    run(other, "init", "--empty")
    run(other, "add", "source", "--id", "src:z", "--title", "Z", "--kind", "news")
    _, err = run(other, "share", team_url, code=1)
    assert "not a prefix" in err
    assert "upstream" not in {
        r[0] for r in sqlite3.connect(other).execute("SELECT key FROM store_meta")
    }


def test_an_unreachable_server(analysts, run: Run, pg_server, team_url: str, tmp_path) -> None:
    """Reads answer locally with a note; writes are refused and nothing is written."""
    amina, _ = analysts
    with sqlite3.connect(amina) as conn:
        conn.execute(
            "UPDATE store_meta SET value = ? WHERE key = 'upstream'",
            (f"postgresql://postgres@/{_database(team_url)}?host={tmp_path}/nowhere",),
        )
    out, err = run(amina, "timeline", "--format", "json")
    assert "ev:battle" in out
    assert err.startswith("note: cannot reach the team log") and len(err.splitlines()) == 1
    before = _log(amina), server_log_rows(pg_server, team_url)
    _, err = run(amina, "correct", "ev:battle", "--set", "title=X", "--reason", "r", code=1)
    assert "nothing was written" in err and len(err.strip().splitlines()) == 1
    _, err = run(amina, "import", MINI, code=1)
    assert (_log(amina), server_log_rows(pg_server, team_url)) == before


def test_a_read_only_member_clones_and_pulls_but_cannot_append(
    analysts, run: Run, pg_server, team_url: str, tmp_path: Path, monkeypatch
) -> None:
    database = _database(team_url)
    reading = pg_server.add_role(database, "reader", "reader-pw", writer=False)
    writing = pg_server.add_role(database, "writer", "writer-pw", writer=True)
    reader, writer = tmp_path / "reader.db", tmp_path / "writer.db"
    monkeypatch.setenv("PGPASSWORD", "reader-pw")
    run(reader, "clone", pg_server.url(database, reading))
    monkeypatch.setenv("PGPASSWORD", "writer-pw")
    run(writer, "clone", pg_server.url(database, writing))
    run(writer, "correct", "ev:kidal", "--set", "title=K", "--reason", "r")
    monkeypatch.setenv("PGPASSWORD", "reader-pw")
    run(reader, "pull")
    assert _title(reader, "ev:kidal") == "K"
    _, err = run(reader, "correct", "ev:kidal", "--set", "title=R", "--reason", "r", code=1)
    assert "does not let this role write" in err
    assert _log(reader) == server_log_rows(pg_server, team_url)


def test_a_newer_server_schema_is_refused_in_one_line(analysts, run: Run, pg_server, team_url):
    amina, _ = analysts
    with pg_server.admin(_database(team_url)) as conn:
        conn.execute("UPDATE chronicle.meta SET value = '99' WHERE key = 'schema'")
    _, err = run(amina, "pull", code=1)
    assert "schema 99, newer than this chronicle knows" in err
    assert len(err.strip().splitlines()) == 1


def test_a_password_in_the_url_is_refused_unseen(run: Run, tmp_path: Path, team_url: str) -> None:
    url = team_url.replace("postgres@", "postgres:s3cret-Word@")
    shared, cloned = tmp_path / "shared.db", tmp_path / "cloned.db"
    run(shared, "init", "--empty")
    for store, command in ((cloned, "clone"), (shared, "share")):
        _, err = run(store, command, url, code=1)
        assert "PGPASSWORD" in err and "s3cret" not in err
    assert not cloned.exists() and b"s3cret" not in shared.read_bytes()


def test_times_come_from_the_server_and_never_go_backwards(
    analysts, run: Run, pg_server, team_url: str, tmp_path: Path
) -> None:
    amina, _ = analysts
    with pg_server.admin(_database(team_url)) as conn:
        server_before = conn.execute("SELECT now() AT TIME ZONE 'UTC'").fetchone()[0]
    run(amina, "add", "source", "--id", "src:new", "--title", "New", "--kind", "news")
    with pg_server.admin(_database(team_url)) as conn:
        server_after = conn.execute("SELECT clock_timestamp() AT TIME ZONE 'UTC'").fetchone()[0]
    stamped = _log(amina)[-1][5]
    assert server_before.isoformat() <= stamped.rstrip("Z") <= server_after.isoformat()
    old = {"id": "old-1", "type": "source.registered", "author": "t",
           "recorded_at": "2001-01-01T00:00:00Z",
           "data": {"source_id": "src:old", "title": "Old", "kind": "news"}}  # fmt: skip
    export = tmp_path / "export.ndjson"
    export.write_text(json.dumps(old) + "\n")
    _, err = run(amina, "import", str(export), code=1)
    assert "never go backwards" in err
    run(amina, "import", "--restamp", str(export))
    later = {**old, "id": "late-1", "recorded_at": "2999-01-01T00:00:00Z",
             "data": {**old["data"], "source_id": "src:late"}}  # fmt: skip
    export.write_text(json.dumps(later) + "\n")
    run(amina, "import", str(export))
    run(amina, "add", "source", "--id", "src:newer", "--title", "Newer", "--kind", "news")
    times = [r[5] for r in server_log_rows(pg_server, team_url)]
    assert times == sorted(times)
    assert times[-2:] == ["2999-01-01T00:00:00.000000Z"] * 2


def _rewrite_from(conn, seq: int, head: int) -> None:
    """Change entry ``seq`` on the server and re-hash the chain after it: a forger's work."""
    conn.execute("DROP TRIGGER log_no_change ON chronicle.log")
    conn.execute("UPDATE chronicle.log SET author = 'forger' WHERE seq = %s", (seq,))
    rows = conn.execute(
        f"SELECT {LOG_COLUMN_LIST} FROM chronicle.log WHERE seq >= %s ORDER BY seq", (seq - 1,)
    ).fetchall()
    prev = rows[0][10] if seq > 1 else "0" * 64
    for row in rows[1 if seq > 1 else 0 :]:
        digest = entry_hash(*row[:9], prev)
        conn.execute(
            "UPDATE chronicle.log SET prev_hash = %s, hash = %s WHERE seq = %s",
            (prev, digest, row[0]),
        )
        prev = digest
    conn.execute("UPDATE chronicle.head SET hash = %s", (prev,))
    assert rows[-1][0] == head


def test_a_rewritten_history_is_caught_by_every_replica(
    analysts, run: Run, pg_server, team_url: str
) -> None:
    amina, bakary = analysts
    before = _log(amina), _log(bakary)
    with pg_server.admin(_database(team_url)) as conn:
        _rewrite_from(conn, 4, 8)
    for replica in (amina, bakary):
        for command in (("pull",), ("verify", "--remote")):
            _, err = run(replica, *command, code=1)
            assert "seq 4" in err, err
    run(bakary, "correct", "ev:battle", "--set", "title=X", "--reason", "r", code=1)
    assert (_log(amina), _log(bakary)) == before


def test_an_entry_changed_without_its_hash_fails_verify_remote(
    analysts, run: Run, pg_server, team_url: str
) -> None:
    amina, _ = analysts
    with pg_server.admin(_database(team_url)) as conn:
        conn.execute("DROP TRIGGER log_no_change ON chronicle.log")
        conn.execute("UPDATE chronicle.log SET data = replace(data, 'JNIM', 'XXXX') WHERE seq = 3")
    _, err = run(amina, "verify", "--remote", code=1)
    assert "seq 3" in err and "hash" in err
