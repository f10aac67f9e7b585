"""The team log's password: only PGPASSWORD or a password file carry it, and it never
shows up in a store file, in output, in an error, or in a process's title."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from chronicle.replica import share
from chronicle.store import Store

SECRET = "Tz-7f3e9c1b-pw"
FIXTURES = Path(__file__).parent / "fixtures"


def _chronicle(store: Path, *args: str, env: dict[str, str]) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
    return subprocess.Popen(
        [sys.executable, "-m", "chronicle", "--store", str(store), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**environment, **env},
    )  # fmt: skip


def _done(process: subprocess.Popen, code: int = 0) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    return out + err


def test_the_password_is_never_stored_or_shown(tmp_path: Path, pg_server, team_url: str) -> None:
    database = conninfo_to_dict(team_url)["dbname"]
    with Store.open(tmp_path / "origin.db", create=True) as store:
        with (FIXTURES / "mini.ndjson").open("rb") as f:
            store.import_lines(f, name="mini.ndjson")
        share(store, team_url)
    role = pg_server.add_role(database, "writer", SECRET, writer=True)
    url = pg_server.url(database, role)
    store = tmp_path / "writer.db"
    env = {"PGPASSWORD": SECRET}
    said = [_done(_chronicle(store, "clone", url, env=env))]
    for command in (("status",), ("pull",), ("verify", "--remote"), ("timeline",)):
        said.append(_done(_chronicle(store, *command, env=env)))
    said.append(_done(_chronicle(store, "pull", env={"PGPASSWORD": SECRET + "x"}), code=1))
    said.append(_done(_chronicle(store, "timeline", env={"PGPASSWORD": SECRET + "x"})))

    # While an append waits for the team log's lock, look at its process from outside.
    with pg_server.admin(database) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT * FROM chronicle.head FOR UPDATE")
        writer = _chronicle(store, "alias", "place:tinz", "Tin-Zaouatene", env=env)
        with pg_server.admin(database) as watcher:
            titles = _watch(writer, watcher)
            activity = watcher.execute(
                "SELECT application_name || ' ' || coalesce(query, '') FROM pg_stat_activity"
            ).fetchall()
        holder.execute("COMMIT")
    said.append(_done(writer))
    with Store.open(store, readonly=True) as replica:
        aliases = replica.conn.execute("SELECT alias FROM entity_aliases").fetchall()
    assert ("Tin-Zaouatene",) in aliases

    for text in [*said, *titles, *(row[0] for row in activity)]:
        assert SECRET not in text
    for path in tmp_path.iterdir():
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path.name


def _watch(process: subprocess.Popen, watcher) -> list[str]:
    """The process's command line and title, read while it waits on the server's lock."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        waiting = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'chronicle' "
            "AND wait_event_type = 'Lock'"
        ).fetchone()[0]
        if waiting:
            proc = Path("/proc") / str(process.pid)
            return [
                (proc / "cmdline").read_bytes().decode(errors="replace"),
                (proc / "comm").read_text(),
            ]
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the append never waited on the lock")


def test_a_password_file_is_enough(tmp_path: Path, pg_server, team_url: str) -> None:
    database = conninfo_to_dict(team_url)["dbname"]
    with Store.open(tmp_path / "origin.db", create=True) as store:
        share(store, team_url)
    role = pg_server.add_role(database, "reader", SECRET, writer=False)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:{role}:{SECRET}\n")
    passfile.chmod(0o600)
    env = {"PGPASSFILE": str(passfile)}
    out = _done(_chronicle(tmp_path / "r.db", "clone", pg_server.url(database, role), env=env))
    assert "cloned 0 entries" in out
