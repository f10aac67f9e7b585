"""Injection: text from sources stays text, filter values stay values, queries only read.

A chronology holds words written by others: a source title may carry Rich markup
or terminal escape sequences, by accident or on purpose. Every text field of a
hostile store is shown here through every CLI table and the terminal app, and
must arrive as the characters it is, with control characters made visible. Filter
values, whatever they hold, must never change the SQL around them; and
``chronicle query`` must refuse anything but reading.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures.rel_support import log_rows, mini_store, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tui_support import drive, new_app, press, screen_strips, screen_text

from chronicle import queries
from chronicle.store import Store

# Markup Rich would obey, CSI and OSC sequences (colour, clear screen, hyperlink,
# window title), the 8-bit CSI, bell, backspace, carriage return and a bidi override.
HOSTILE = (
    "[bold]B[/] [link=https://evil.example]L[/link] [/] \x1b[31mR\x1b[0m "
    "\x1b]8;;https://evil.example\x07O\x1b]8;;\x07 \x1b]0;T\x07 \x9b2J \x07\x08\r\u202eX"
)
# The same, as it must reach the screen: every control character spelled out.
SHOWN = ("[bold]B[/] [link=https://evil.example]L[/link] [/] \\x1b[31mR\\x1b[0m "
         "\\x1b]8;;https://evil.example\\x07O\\x1b]8;;\\x07 \\x1b]0;T\\x07 \\x9b2J "
         "\\x07\\x08\\x0d\\u202eX")  # fmt: skip
SHORT_HOSTILE, SHORT_SHOWN = "[b]\x1b[31m\x07", "[b]\\x1b[31m\\x07"  # for tags (64 chars max)
RAW_CONTROLS = set("\x1b\x9b\x07\x08\r\u202e")


def hostile(field: str) -> str:
    return f"{field}<{HOSTILE}>"


def shown(field: str) -> str:
    return f"{field}<{SHOWN}>"


def _entry(n: int, entry_type: str, data: dict) -> str:
    return json.dumps({"id": f"hostile-{n}", "type": entry_type, "author": hostile("author"),
                       "data": data})  # fmt: skip


def hostile_log(hostile: Callable[[str], str], short: str) -> list[tuple[str, dict]]:
    """A small chronology whose every text field is ``hostile(field name)`` (tags: ``short``)."""
    return [
        ("source.registered", {"source_id": "src:h", "title": hostile("source"), "kind": "news",
                               "publisher": hostile("publisher"), "locator": hostile("locator")}),
        ("entity.registered", {"entity_id": "place:h", "kind": "place", "name": hostile("place"),
                               "aliases": [hostile("place-alias")]}),
        ("entity.registered", {"entity_id": "actor:h", "kind": "actor", "name": hostile("actor"),
                               "aliases": [hostile("actor-alias")]}),
        ("event.asserted", {"event_id": "ev:h", "title": hostile("title"), "when": "2001-09",
                            "place": "place:h",
                            "actors": [{"entity": "actor:h", "role": hostile("role")}],
                            "tags": [short], "summary": hostile("summary"),
                            "citations": [{"source": "src:h", "quote": hostile("quote"),
                                           "named_as": hostile("named-as")}]}),
        ("claim.asserted", {"claim_id": "cl:h1", "event_id": "ev:h", "claimant": "actor:h",
                            "property": "killed", "about": "actor:h", "best": 5, "source": "src:h",
                            "value_text": hostile("value-text"), "unit": hostile("unit")}),
        ("claim.asserted", {"claim_id": "cl:h2", "event_id": "ev:h", "claimant": "src:h",
                            "property": "killed", "about": "actor:h", "best": 50,
                            "source": "src:h"}),
        ("event.corrected", {"event_id": "ev:h", "changes": {"summary": hostile("summary2")},
                             "reason": hostile("reason")}),
    ]  # fmt: skip


HOSTILE_LOG = hostile_log(hostile, SHORT_HOSTILE)

# What each command must show of the hostile store (fields it has no room for aside).
EXPECTED = {
    ("timeline",): ["title", "place", "actor"],
    ("show", "ev:h"): ["title", "summary2", "place", "actor", "role", "source", "publisher",
                       "quote", "named-as", "value-text", "author", "reason"],
    ("disputes", "--all"): ["value-text"],
    ("log",): ["author"],
}  # fmt: skip


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = mini_store(tmp_path_factory.mktemp("hostile") / "hostile.db")
    lines = [_entry(n, t, d) for n, (t, d) in enumerate(HOSTILE_LOG)]
    with Store.open(path) as store:
        store.import_lines(lines, name="hostile.ndjson")
    return path


def _without_sgr(text: str) -> str:
    """Remove Rich's own colour and weight codes (ESC [ … m), which are allowed."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize("command", list(EXPECTED), ids=[" ".join(c) for c in EXPECTED])
def test_cli_tables_show_hostile_text_literally(
    hostile_store: Path, monkeypatch: pytest.MonkeyPatch, command: tuple, terminal: bool
) -> None:
    monkeypatch.setenv("COLUMNS", "6000")
    if terminal:  # Rich styles its own output then: only its SGR codes may appear
        monkeypatch.setenv("FORCE_COLOR", "1")
    else:
        monkeypatch.delenv("FORCE_COLOR", raising=False)
    outcome = run_cli(hostile_store, *command)
    assert outcome.code == 0, outcome.err
    text = _without_sgr(outcome.out)
    assert not RAW_CONTROLS & set(text), sorted(RAW_CONTROLS & set(text))
    for field in EXPECTED[command]:
        assert shown(field) in text, field
    if command[0] == "show":
        assert SHORT_SHOWN in text
        # a list (the aliases) is shown as JSON, whose own escapes are just as inert
        assert (
            '["actor-alias<[bold]B[/] [link=https://evil.example]L[/link] [/] \\u001b[31mR' in text
        )


def copy_of(path: Path, to: Path) -> Path:
    """A private copy of a store, taken through SQLite so a live WAL comes along."""
    with (
        contextlib.closing(sqlite3.connect(path)) as src,
        contextlib.closing(sqlite3.connect(to)) as dst,
    ):
        src.backup(dst)
    return to


def test_messages_echoing_user_text_are_literal(hostile_store: Path, tmp_path: Path) -> None:
    hostile_store = copy_of(hostile_store, tmp_path / "copy.db")
    outcome = run_cli(hostile_store, "alias", "actor:h", hostile("new-alias"))
    assert outcome.code == 0
    assert shown("new-alias") in outcome.err and not RAW_CONTROLS & set(outcome.err)
    outcome = run_cli(hostile_store, "show", hostile("id"))
    assert outcome.code == 1 and not RAW_CONTROLS & set(outcome.err)
    assert len(outcome.err.splitlines()) == 1


def _unwrapped_detail(screen: str) -> str:
    """The detail pane (right of its border) as one line: wrapping only breaks at spaces."""
    pane = [line.rpartition("▕")[2] for line in screen.splitlines() if "▕" in line]
    return re.sub(r"\s+", " ", " ".join(pane))


def test_the_terminal_app_shows_every_hostile_field_literally(hostile_store: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "g")
        assert app.detail.detail.event["event_id"] == "ev:h"
        detail = _unwrapped_detail(screen_text(app))
        for field in ("title", "summary2", "place", "actor", "role", "actor-alias", "source",
                      "publisher", "quote", "named-as", "author", "reason"):  # fmt: skip
            assert shown(field) in detail, field
        assert SHORT_SHOWN in detail
        for strip in screen_strips(app):
            for segment in strip:
                assert not (RAW_CONTROLS | {chr(c) for c in range(32)}) & set(segment.text)
                assert segment.style is None or not segment.style.link

    drive(new_app(hostile_store), scenario, size=(400, 120))


# --- filter values never alter SQL ----------------------------------------------------------

CLASSIC = [
    "' OR 1=1 --", "x'); DROP TABLE log; --", "\" OR \"\"=\"", "%", "_", "*", "' UNION SELECT "
    "hash FROM log --", "kidal\" OR title:\"x", "NEAR(kidal battle)", "title:kidal", "-kidal",
    "^kidal", "kidal OR battle", "\\", "\x00", ":start", "?", "?1", "@as_of", "$x",
]  # fmt: skip


@pytest.fixture(scope="module")
def reader(hostile_store: Path):
    with Store.open(hostile_store, readonly=True) as store:
        yield store.conn


def _events(conn: sqlite3.Connection) -> list[dict]:
    return list(queries.timeline(conn, queries.TimelineFilter()))


def _tagged(conn: sqlite3.Connection, tag: str) -> list[str]:
    """The events holding ``tag`` exactly, decided in Python rather than SQL."""
    rows = conn.execute("SELECT event_id, tags FROM events WHERE status = 'active'")
    return sorted(e for e, tags in rows if tag in json.loads(tags))


def _filtered_ids(conn: sqlite3.Connection, **words) -> list[str] | None:
    """The timeline's ids under a filter, or None when the filter is refused as unknown."""
    try:
        return sorted(
            r["event_id"] for r in queries.timeline(conn, queries.TimelineFilter(**words))
        )
    except queries.QueryError:
        return None


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.one_of(st.sampled_from(CLASSIC), st.text(max_size=40)))
def test_a_tag_filter_matches_exactly_that_tag(reader: sqlite3.Connection, value: str) -> None:
    assert _filtered_ids(reader, tags=[value]) == _tagged(reader, value)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.one_of(st.sampled_from(CLASSIC), st.text(max_size=40)))
def test_an_actor_or_place_filter_is_a_name_or_nothing(
    reader: sqlite3.Connection, value: str
) -> None:
    known = {r[0].casefold() for r in reader.execute(
        "SELECT entity_id FROM entities UNION SELECT name FROM entities "
        "UNION SELECT alias FROM entity_aliases")}  # fmt: skip
    for words in ({"actors": [value]}, {"places": [value]}):
        ids = _filtered_ids(reader, **words)
        if value.casefold() not in known:
            assert ids is None, (words, ids)  # "no entity is called …", never a widened match
        elif ids is not None:
            assert set(ids) <= {e["event_id"] for e in _events(reader)}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.one_of(st.sampled_from(CLASSIC), st.text(max_size=40)))
def test_search_words_are_words_never_operators(reader: sqlite3.Connection, value: str) -> None:
    """Every word must match: adding words can only narrow, never widen, the result."""
    found = _filtered_ids(reader, search=value)
    if found is None:
        return  # nothing searchable in it: refused with a message
    # words made only of "_", which the full-text tokenizer drops, constrain nothing
    words = [w for w in re.findall(r"\w+", value) if w.strip("_")]
    for word in words:
        alone = _filtered_ids(reader, search=word)
        assert alone is not None and set(found) <= set(alone), word


def test_filter_values_reach_the_cli_as_values(hostile_store: Path) -> None:
    before = log_rows(hostile_store)
    for value in CLASSIC:
        for option in ("--tag", "--actor", "--place", "--search", "--from"):
            outcome = run_cli(hostile_store, "timeline", option, value, "--format", "json")
            assert outcome.code in (0, 1), (option, value, outcome.err)
            assert "Traceback" not in outcome.err and len(outcome.err.splitlines()) <= 1
            if outcome.code == 0 and option == "--tag":
                assert json.loads(outcome.out) == []
    assert log_rows(hostile_store) == before


def test_hostile_text_is_stored_and_found_as_written(reader: sqlite3.Connection) -> None:
    row = reader.execute("SELECT title FROM events WHERE event_id = 'ev:h'").fetchone()
    assert row[0] == hostile("title")
    assert _filtered_ids(reader, tags=[SHORT_HOSTILE]) == ["ev:h"]
    assert _filtered_ids(reader, actors=[hostile("actor-alias")]) == ["ev:h"]


# --- chronicle query only reads --------------------------------------------------------------

REFUSED = [
    "DELETE FROM log",
    "UPDATE events SET title = 'x'",
    "INSERT INTO sources (source_id, title, kind, registered_seq) VALUES ('x', 'x', 'news', 1)",
    "REPLACE INTO store_meta VALUES ('format', '9')",
    "WITH doomed AS (SELECT 1) DELETE FROM log",
    "DROP TABLE events",
    "DROP TRIGGER log_no_update",
    "CREATE TABLE mine (x)",
    "CREATE TEMP TABLE mine (x)",
    "CREATE VIEW mine AS SELECT 1",
    "INSERT INTO events_fts (events_fts) VALUES ('delete-all')",
    "DELETE FROM events_fts",
    "ATTACH DATABASE '{dir}/attached.db' AS other",
    "DETACH main",
    "VACUUM INTO '{dir}/copy.db'",
    "VACUUM",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA writable_schema = 1",
    "PRAGMA query_only = 0",
    "SELECT * FROM pragma_table_info('log')",
    "BEGIN IMMEDIATE",
    "SAVEPOINT mine",
    "ANALYZE",
    "REINDEX",
    "SELECT load_extension('{dir}/evil.so')",
]
ONE_STATEMENT = "SELECT 1; DELETE FROM log"


@pytest.mark.parametrize("sql", [*REFUSED, ONE_STATEMENT])
def test_query_refuses_anything_but_reading(hostile_store: Path, tmp_path: Path, sql: str) -> None:
    before = log_rows(hostile_store), hostile_store.read_bytes()
    outcome = run_cli(hostile_store, "query", sql.format(dir=tmp_path))
    assert outcome.code == 1
    expected = "query refused: only reading is allowed (no writes, ATTACH or PRAGMA)"
    if sql == ONE_STATEMENT:
        expected = "query refused: You can only execute one statement at a time."
    assert outcome.err.strip() == f"error: {expected}"
    assert (log_rows(hostile_store), hostile_store.read_bytes()) == before
    assert list(tmp_path.iterdir()) == []  # no file attached, vacuumed into or loaded


@pytest.mark.parametrize("sql", REFUSED)
def test_the_authorizer_refuses_even_on_a_writable_connection(
    hostile_store: Path, tmp_path: Path, sql: str
) -> None:
    """The read-only file is the first lock; the authorizer must hold on its own."""
    copy = copy_of(hostile_store, tmp_path / "copy-of-store.db")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with Store.open(copy) as store:
        before = log_rows(copy)
        with (
            pytest.raises(queries.QueryError, match="query refused"),
            queries.read_only_query(store.conn, sql.format(dir=scratch)) as (_, result),
        ):
            list(result)
        assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert log_rows(copy) == before
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        ("SELECT count(*) FROM log", [(15,)]),
        ("SELECT event_id FROM events_fts WHERE events_fts MATCH 'kidal'", [("ev:kidal",)]),
        ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 3) "
         "SELECT sum(x) FROM n", [(6,)]),
        ("SELECT count(*) FROM disputes WHERE event_id = 'ev:h'", [(1,)]),
    ],
)  # fmt: skip
def test_query_still_reads_everything_public(reader: sqlite3.Connection, sql: str, rows) -> None:
    with queries.read_only_query(reader, sql) as (_, result):
        assert list(result) == rows
