"""Shared fixtures: a fresh store, and one loaded with a small chronology."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from chronicle.store import Store

FIXTURES = Path(__file__).parent / "fixtures"

# No example has a time limit: speed is measured by the benchmark harness, in ratios,
# never by a unit test on a shared machine, where a busy neighbour made examples of
# date and CSV round trips miss hypothesis's default 200 ms now and then.
settings.register_profile("chronicle", deadline=None)
settings.load_profile("chronicle")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "chronicle.db"


@pytest.fixture
def store(store_path: Path):
    with Store.open(store_path, create=True) as opened:
        yield opened


@pytest.fixture
def mini_store(store: Store) -> Store:
    """Two events, two disagreeing claims, a place with three spellings."""
    with (FIXTURES / "mini.ndjson").open("rb") as handle:
        store.import_lines(handle, name="mini.ndjson")
    return store


# --- a real PostgreSQL for the team log ------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL for the session (or CHRONICLE_TEST_POSTGRES_URL's server)."""
    import os

    from postgres import OVERRIDE, PgServer, server_programs

    if os.environ.get(OVERRIDE):
        yield PgServer(os.environ[OVERRIDE])
        return
    programs = server_programs()
    if programs is None:
        reason = "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the team-log tests", pytrace=False)
        pytest.skip(reason)
    server = PgServer()
    try:
        server.start_private(programs)
        yield server
    finally:
        server.remove()


@pytest.fixture
def team_url(pg_server) -> str:
    """The URL of a fresh, empty database on the test server."""
    return pg_server.url(pg_server.new_database())
