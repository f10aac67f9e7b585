"""A command's append numbered, stamped and hashed by the server under its lock.

The replica validates its few entries at its own head; the server refuses them when
the log has changed since that head anything they name, and otherwise numbers,
stamps and hashes them and hands back every row after that head, which the replica
checks before the COMMIT goes and writes after. So the lock never waits on a
replica's local writing, and what lands is what would have landed under the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict
from support import (
    entry,
    event,
    log_rows,
    round_trips,
    server_log_rows,
    snapshot,
    source,
    two_replicas,
)  # fmt: skip

from chronicle import teamlog
from chronicle.errors import ConflictError, EntryError
from chronicle.replica import Replica, share
from chronicle.store import Store


@pytest.fixture
def pair(tmp_path: Path, team_url: str) -> Iterator[tuple[Store, Store]]:
    """Two replicas of one team log holding a source and an event."""
    kidal = event("ev:kidal", "2023-11-14", "Kidal retaken")
    with two_replicas(tmp_path, team_url, [source("src:a"), kidal]) as stores:
        yield stores


def _in_step(store: Store, pg_server, url: str) -> bool:
    """The replica holds the server's log, and projections equal to a rebuild's."""
    written = snapshot(store.conn)
    same_log = log_rows(store.conn) == server_log_rows(pg_server, url)
    store.rebuild()
    return same_log and written == snapshot(store.conn)


def _correct(event_id: str, **changes: object) -> dict:
    return entry("event.corrected", {"event_id": event_id, "changes": changes, "reason": "r"})


def test_a_command_behind_the_server_lands_in_one_round_trip(
    pair, tmp_path: Path, pg_server, team_url: str
) -> None:
    first, second = pair
    first.append([source("src:warm")])  # connects and checks the schema
    second.append([source("src:second")])  # first is now one entry behind
    assert first._replica().log.sequences
    trips = round_trips(first, tmp_path, lambda: first.append([source("src:first")]))
    assert trips == 1, "the server numbers, hashes and commits in one round trip"
    assert [r[3] for r in log_rows(first.conn)][-2:] == ["src:second", "src:first"]
    assert _in_step(first, pg_server, team_url)


def test_what_another_replica_just_made_can_be_named_before_it_is_pulled(
    pair, pg_server, team_url: str
) -> None:
    first, second = pair
    second.append([source("src:b")])
    claim = {"claim_id": "cl:1", "event_id": "ev:kidal", "claimant": "src:b", "source": "src:b",
             "property": "killed", "best": 3}  # fmt: skip
    result = first.append([entry("claim.asserted", claim)])  # first has not seen src:b yet
    assert list(result.added) == [first.head()[0]]
    assert _in_step(first, pg_server, team_url)


def test_a_change_to_what_an_append_names_sends_it_back_to_be_judged(
    pair, pg_server, team_url: str
) -> None:
    first, second = pair
    second.append([entry("event.retracted", {"event_id": "ev:kidal", "reason": "wrong"})])
    server_before = server_log_rows(pg_server, team_url)
    with pytest.raises(EntryError, match="only an active event can change"):
        first.append([_correct("ev:kidal", title="Kidal retaken by the army")])
    assert server_log_rows(pg_server, team_url) == server_before
    assert _in_step(first, pg_server, team_url)  # it caught up on the way


def test_two_corrections_of_one_event_both_land_in_turn(pair, pg_server, team_url: str) -> None:
    first, second = pair
    second.append([_correct("ev:kidal", title="Kidal retaken")])
    first.append([_correct("ev:kidal", summary="The army entered the town.")])
    versions = [r[4] for r in server_log_rows(pg_server, team_url) if r[3] == "ev:kidal"]
    assert versions == [1, 2, 3]
    row = first.conn.execute("SELECT title, summary FROM events WHERE event_id = 'ev:kidal'")
    assert row.fetchone() == ("Kidal retaken", "The army entered the town.")
    assert _in_step(first, pg_server, team_url)


def test_a_stale_expected_version_is_judged_by_the_servers_version(
    pair, pg_server, team_url: str
) -> None:
    first, second = pair
    second.append([_correct("ev:kidal", title="Kidal retaken")])
    server_before = server_log_rows(pg_server, team_url)
    with pytest.raises(ConflictError, match="at version 2, not 1"):
        first.append([_correct("ev:kidal", summary="x")], expect={"ev:kidal": 1})
    assert server_log_rows(pg_server, team_url) == server_before
    first.append([_correct("ev:kidal", summary="y")], expect={"ev:kidal": 2})
    assert _in_step(first, pg_server, team_url)


def test_an_entry_that_landed_unheard_is_skipped_on_the_retry(
    pair, pg_server, team_url: str
) -> None:
    first, second = pair
    same = source("src:retried")
    second.append([same])  # as if first's own try had landed but its answer was lost
    result = first.append([same])
    assert (list(result.added), result.skipped) == ([], 1)
    assert [r[3] for r in server_log_rows(pg_server, team_url)].count("src:retried") == 1
    assert _in_step(first, pg_server, team_url)


def test_an_older_server_is_appended_to_under_the_lock_until_share_upgrades_it(
    tmp_path: Path, pg_server, team_url: str
) -> None:
    origin = tmp_path / "origin.db"
    with Store.open(origin, create=True) as store:
        store.append([source("src:a")])
        share(store, team_url)
    with pg_server.admin(conninfo_to_dict(team_url)["dbname"]) as conn:
        conn.execute("DROP FUNCTION chronicle.append_after")
        conn.execute("UPDATE chronicle.meta SET value = '1' WHERE key = 'schema'")
    with Store.open(origin) as store:
        store.append([source("src:b")])
        assert not store._replica().log.sequences
        share(store, team_url)  # the owner's share brings the schema up to date
    with Store.open(origin) as store:
        store.append([source("src:c")])
        assert store._replica().log.sequences
        assert _in_step(store, pg_server, team_url)


def test_a_connection_lost_mid_append_is_settled_by_asking_again(
    pair, pg_server, team_url: str
) -> None:
    first, _ = pair
    first.append([source("src:warm")])
    database = conninfo_to_dict(team_url)["dbname"]
    with pg_server.admin(database) as conn:  # each append now waits a moment under the lock
        conn.execute(
            "CREATE FUNCTION chronicle.linger() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(0.5); RETURN NULL; END $$"
        )
        conn.execute(
            "CREATE TRIGGER linger AFTER INSERT ON chronicle.log "
            "FOR EACH STATEMENT EXECUTE FUNCTION chronicle.linger()"
        )
    cut = threading.Thread(target=_cut_the_first_sleeper, args=(pg_server, database))
    cut.start()
    result = first.append([source("src:cut")])  # lost once, found absent, sent again
    cut.join()
    assert [r[3] for r in server_log_rows(pg_server, team_url)].count("src:cut") == 1
    assert list(result.added) == [first.head()[0]]
    assert _in_step(first, pg_server, team_url)


def _cut_the_first_sleeper(pg_server, database: str) -> None:
    with pg_server.admin(database) as conn:
        for _ in range(200):
            found = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'chronicle' AND wait_event = 'PgSleep'"
            ).fetchall()
            if found:
                return
            time.sleep(0.02)
    raise AssertionError("no append waited under the lock")


def test_entries_that_landed_before_the_connection_went_are_pulled_and_reported(
    pair, pg_server, team_url: str
) -> None:
    first, second = pair
    landed = source("src:landed")
    second.append([landed])  # as if first's own append had committed just before the loss
    lost = teamlog.Lost("lost the team log while it took the entries")
    result = Replica(first)._settle(lost, [landed["id"]], 0)
    assert result is not None and list(result.added) == [first.head()[0]]
    assert _in_step(first, pg_server, team_url)
    assert Replica(first)._settle(lost, ["never-sent"], 0) is None


# Every character a JSON string escapes or keeps as it is, the astral plane included.
_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_TEXT, author=_TEXT.filter(lambda t: t.strip()))
def test_the_server_hashes_what_the_replica_hashes(
    title: str, author: str, tmp_path: Path, team_url: str
) -> None:
    path = tmp_path / "replica.db"  # one replica for every example, made by the first
    if not path.exists():
        with Store.open(path, create=True) as store:
            share(store, team_url)
    with Store.open(path) as store:
        data = {"source_id": "src:x", "title": f"t{title}", "kind": "news"}
        item = entry("source.registered", data, author=author)
        item["data"]["source_id"] = f"src:{item['id']}"
        store.append([item])
        assert Replica(store).verify_remote().ok


def test_the_sequenced_schema_is_the_one_this_chronicle_makes() -> None:
    assert teamlog.SERVER_SCHEMA >= teamlog.SEQUENCED_SCHEMA
    assert "chronicle.append_after" in teamlog.SEQUENCE_SQL
