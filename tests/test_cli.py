"""The command line: the issue's round trips, and one clear line for every bad input."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from support import main_on, snapshot

from chronicle import terms
from chronicle.cli import cli

MINI = str(Path(__file__).parent / "fixtures" / "mini.ndjson")


@pytest.fixture
def run(store_path: Path, capsys):
    def invoke(*args: str, code: int = 0) -> tuple[str, str]:
        return main_on(capsys, store_path, *args, code=code)

    return invoke


@pytest.fixture
def loaded(run) -> None:
    run("import", MINI)


def _log_bytes(path: Path) -> list[tuple]:
    return sqlite3.connect(path).execute("SELECT * FROM log ORDER BY seq").fetchall()


def test_init_seeds_and_lists_events_in_date_order(run, store_path: Path) -> None:
    _, err = run("init")
    assert "entries" in err
    dates = [r[0] for r in sqlite3.connect(store_path).execute("SELECT earliest FROM timeline")]
    assert dates and dates == sorted(dates, key=lambda d: (d is not None, d or ""))
    _, again = run("init")
    assert "(0 added" in again


def test_correction_round_trip(run, loaded, store_path: Path) -> None:
    entries = len(_log_bytes(store_path))
    _, err = run("correct", "ev:kidal", "--set", "when=2023-11-14", "--reason", "exact day")
    assert "seq 9" in err
    out, _ = run("timeline", "--format", "csv")
    rows = {r["event_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["ev:kidal"]["earliest"] == "2023-11-14"
    old, _ = run("show", "ev:kidal", "--as-of", "8", "--format", "json")
    assert json.loads(old)["event"]["when_edtf"] == "2023-11"
    now, _ = run("show", "ev:kidal", "--format", "json")
    assert [h["type"] for h in json.loads(now)["history"]] == ["event.asserted", "event.corrected"]
    assert len(_log_bytes(store_path)) == entries + 1
    out, _ = run("verify")


def test_rebuild_keeps_every_table(run, loaded, store_path: Path) -> None:
    run("correct", "ev:battle", "--set", "tags=battle,ambush", "--reason", "r")
    before = snapshot(sqlite3.connect(store_path))
    run("rebuild")
    assert snapshot(sqlite3.connect(store_path)) == before


def test_verify_reports_a_tampered_row(run, loaded, store_path: Path) -> None:
    conn = sqlite3.connect(store_path)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE log SET author = 'mallory' WHERE seq = 4")
    conn.execute("DROP TRIGGER log_no_update")
    conn.execute("UPDATE log SET author = 'mallory' WHERE seq = 4")
    conn.commit()
    _, err = run("verify", code=1)
    assert err.strip() == "error: verify failed at seq 4: hash does not match the entry's content"


def test_read_commands_take_formats_and_as_of(run, loaded) -> None:
    out, _ = run("timeline", "--format", "json", "--as-of", "6")
    assert [r["event_id"] for r in json.loads(out)] == ["ev:kidal", "ev:battle"]
    out, _ = run("disputes", "--format", "json")
    assert json.loads(out)[0]["disputed"] == 1
    out, _ = run("disputes", "--format", "json", "--as-of", "7")
    assert json.loads(out) == []
    out, _ = run("log", "--format", "csv")
    assert len(out.strip().splitlines()) == 9
    out, _ = run("query", "SELECT count(*) AS n FROM events", "--format", "json")
    assert json.loads(out) == [{"n": 2}]
    out, _ = run("timeline", "--search", "Tin Zaouatine", "--format", "csv")
    assert "ev:battle" in out and "ev:kidal" not in out


def test_add_commands(run, loaded) -> None:
    run("add", "source", "--id", "src:b", "--title", "Statement", "--kind", "statement")
    run("add", "entity", "--id", "place:bamako", "--kind", "place", "--name", "Bamako")
    run("add", "event", "--id", "ev:x", "--title", "Coup", "--when", "2020-08-18",
        "--place", "place:bamako", "--cite", "src:b", "--tag", "coup")  # fmt: skip
    run("add", "claim", "--event", "ev:x", "--claimant", "src:b", "--property", "other",
        "--value-text", "bloodless", "--source", "src:b")  # fmt: skip
    run("link", "ev:x", "follows", "ev:kidal")
    run("alias", "place:bamako", "Bamakò")
    out, _ = run("show", "ev:x", "--format", "json")
    detail = json.loads(out)
    assert detail["event"]["place"] == "Bamako" and detail["claims"][0]["value_text"] == "bloodless"
    run("merge", "ev:x", "--into", "ev:kidal", "--reason", "test")
    run("retract", "ev:battle", "--reason", "test")
    out, _ = run("timeline", "--format", "csv")
    assert [r["event_id"] for r in csv.DictReader(io.StringIO(out))] == ["ev:kidal"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["correct", "ev:kidal", "--set", "when=2023-13", "--reason", "r"], "EDTF"),
        (["correct", "ev:kidal", "--set", "when=2024/2023", "--reason", "r"], "precedes"),
        (["correct", "ev:nope", "--set", "when=2023", "--reason", "r"], "unknown event"),
        (["correct", "ev:kidal", "--set", "when=2023", "--reason", "  "], "reason"),
        (["correct", "ev:kidal", "--set", "colour=red", "--reason", "r"], "cannot set"),
        (["correct", "ev:kidal", "--set", "title=x", "--reason", "r", "--expect-version", "7"],
         "not 7"),
        (["add", "event", "--title", "x" * 600, "--when", "2020", "--cite", "src:a"], "title"),
        (["add", "claim", "--event", "ev:kidal", "--claimant", "actor:jnim", "--property",
          "killed", "--source", "src:a"], "at least one"),
        (["show", "ev:none"], "unknown event"),
        (["timeline", "--from", "someday"], "date"),
        (["timeline", "--as-of", "999"], "past the end"),
        (["query", "DELETE FROM log"], "only reading"),
        (["query", "ATTACH DATABASE ':memory:' AS x"], "only reading"),
        (["query", "PRAGMA journal_mode = DELETE"], "only reading"),
        (["import", "/nonexistent/file.ndjson"], "no file"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_changes_nothing(run, loaded, store_path, args, message) -> None:
    before = _log_bytes(store_path)
    _, err = run(*args, code=1)
    assert message in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert "Traceback" not in err
    assert _log_bytes(store_path) == before


def test_usage_errors_exit_2(run, loaded) -> None:
    _, err = run("correct", "ev:kidal", "--reason", "r", code=2)
    assert "--set" in err
    run("frobnicate", code=2)


def test_missing_store_is_one_line(run) -> None:
    _, err = run("timeline", code=1)
    assert err.startswith("error: no store at")


def test_bad_import_names_the_line(run, loaded, tmp_path, store_path) -> None:
    bad = tmp_path / "bad.ndjson"
    good = json.dumps({"id": "n-1", "type": "source.registered", "author": "t",
                       "data": {"source_id": "src:n", "title": "N", "kind": "news"}})  # fmt: skip
    bad.write_text(good + "\n" + '{"id": "n-2", "type": "nonsense"}\n')
    before = _log_bytes(store_path)
    _, err = run("import", str(bad), code=1)
    assert "bad.ndjson, line 2" in err
    assert _log_bytes(store_path) == before


def test_markup_in_text_is_printed_literally(run, loaded, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    run("correct", "ev:kidal", "--set", "title=[bold red]loud[/] \x1b[31mred", "--reason", "r")
    out, _ = run("timeline")
    assert "[bold red]loud[/]" in out
    assert "\x1b" not in out and "\\x1b[31mred" in out


def test_schema_prints_json_schema(run) -> None:
    out, _ = run("schema")
    schema = json.loads(out)
    assert "event.asserted" in schema["x-payloads"]
    assert schema["properties"]["type"]["enum"][0] == "source.registered"


def test_choice_lists_are_the_vocabularys() -> None:
    def choices(*path: str, param: str) -> tuple[str, ...]:
        command = cli
        for name in path:
            command = command.commands[name]
        found = next(p for p in command.params if p.name == param)
        return tuple(found.type.choices)

    assert choices("add", "source", param="kind") == terms.SOURCE_KINDS
    assert choices("add", "entity", param="kind") == terms.ENTITY_KINDS
    assert choices("add", "claim", param="prop") == terms.PROPERTIES
    assert choices("link", param="relation") == terms.RELATIONS
    assert choices("rank", param="rank") == terms.RANKS


def test_a_property_outside_the_vocabulary_is_a_usage_error(run) -> None:
    _out, err = run("add", "claim", "--property", "eaten", "--event", "ev:x", code=2)
    assert "'eaten' is not one of" in err
