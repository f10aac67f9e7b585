"""Tamper evidence: edits made behind the log's triggers are found and located.

Each test drops the append-only triggers, as anyone with the file and a SQLite
shell can, changes the log, and expects ``chronicle verify`` to exit 1 naming the
first seq that no longer holds. An editor who recomputes every hash after the
change leaves a chain that is valid on its own; only a head hash kept elsewhere
(an export, ``verify --against``) catches that, and a test below shows both.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from fixtures.rel_support import log_rows, mini_store, run_cli

from chronicle.chain import canonical_json, entry_hash
from chronicle.schema import definitions

ENTRIES = 10


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A store of ten entries, the last two written through the CLI."""
    store = mini_store(tmp_path / "tamper.db")
    assert (
        run_cli(store, "add", "source", "--id", "src:b", "--title", "B", "--kind", "news").code == 0
    )
    fix = run_cli(store, "correct", "ev:kidal", "--set", "when=2023-11-14", "--reason", "exact day")
    assert fix.code == 0
    assert len(log_rows(store)) == ENTRIES
    return store


def tamper(path: Path, *statements: str, params: tuple = ()) -> None:
    """Run SQL against the log with its guards dropped, committing it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP TRIGGER IF EXISTS log_no_update")
        conn.execute("DROP TRIGGER IF EXISTS log_no_delete")
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
        conn.commit()


def forged(path: Path, seq: int, prev: str) -> tuple:
    """A log row made by someone who knows the hash function: internally consistent."""
    data = canonical_json({"source_id": "src:forged", "title": "Forged", "kind": "news"})
    fields = (seq, "forged-1", "source.registered", "src:forged", 1, "2024-01-01T00:00:00Z",
              "mallory", 1, data, prev)  # fmt: skip
    return (*fields, entry_hash(*fields))


def hash_at(path: Path, seq: int) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT hash FROM log WHERE seq = ?", (seq,)).fetchone()[0]


def insert(path: Path, row: tuple) -> None:
    tamper(path, "INSERT INTO log VALUES (?,?,?,?,?,?,?,?,?,?,?)", params=row)


def shift_up_from(seq: int) -> tuple[str, str]:
    """Two statements that open a hole at ``seq`` by moving every later row up one."""
    return (f"UPDATE log SET seq = seq + 1000 WHERE seq >= {seq}",
            f"UPDATE log SET seq = seq - 999 WHERE seq >= {seq + 1000}")  # fmt: skip


def assert_verify_fails_at(path: Path, seq: int, problem: str) -> None:
    outcome = run_cli(path, "verify")
    assert outcome.code == 1
    assert outcome.err.startswith(f"error: verify failed at seq {seq}: "), outcome.err
    assert problem in outcome.err
    assert len(outcome.err.splitlines()) == 1 and "Traceback" not in outcome.err


def test_an_untouched_store_verifies(path: Path) -> None:
    outcome = run_cli(path, "verify")
    assert (outcome.code, outcome.err.split(",")[0]) == (0, f"ok: {ENTRIES} entries")


def test_an_edited_payload(path: Path) -> None:
    tamper(path, "UPDATE log SET data = replace(data, '\"best\":10', '\"best\":1') WHERE seq = 7")
    assert_verify_fails_at(path, 7, "hash does not match the entry's content")


@pytest.mark.parametrize("column", ["author", "recorded_at", "type", "subject_version", "schema"])
def test_an_edited_envelope(path: Path, column: str) -> None:
    value = "7" if column in ("subject_version", "schema") else "'x'"
    tamper(path, f"UPDATE log SET {column} = {value} WHERE seq = 5")
    assert_verify_fails_at(path, 5, "hash does not match")


def test_an_edited_hash(path: Path) -> None:
    tamper(path, "UPDATE log SET hash = 'x' || substr(hash, 2) WHERE seq = 4")
    assert_verify_fails_at(path, 4, "hash does not match")


def test_a_deleted_row(path: Path) -> None:
    tamper(path, "DELETE FROM log WHERE seq = 6")
    assert_verify_fails_at(path, 6, "seq 6 is missing")


def test_the_first_row_deleted(path: Path) -> None:
    tamper(path, "DELETE FROM log WHERE seq = 1")
    assert_verify_fails_at(path, 1, "seq 1 is missing")


def test_two_rows_swapped(path: Path) -> None:
    tamper(path, "UPDATE log SET seq = -3 WHERE seq = 3", "UPDATE log SET seq = 3 WHERE seq = 8",
           "UPDATE log SET seq = 8 WHERE seq = -3")  # fmt: skip
    assert_verify_fails_at(path, 3, "does not match")


def test_the_last_rows_truncated(path: Path) -> None:
    tamper(path, "DELETE FROM log WHERE seq > 7")
    assert_verify_fails_at(path, 8, "seq 8 is missing")


def test_a_forged_row_inserted_in_the_middle(path: Path) -> None:
    """The forged row is consistent with its predecessor; the row after it is not."""
    tamper(path, *shift_up_from(5))
    insert(path, forged(path, 5, hash_at(path, 4)))
    assert_verify_fails_at(path, 6, "prev_hash does not match")


def test_a_careless_row_inserted_in_the_middle(path: Path) -> None:
    tamper(path, *shift_up_from(5))
    insert(path, (*forged(path, 5, hash_at(path, 4))[:10], "f" * 64))
    assert_verify_fails_at(path, 5, "hash does not match")


def test_a_forged_row_appended_at_the_end(path: Path) -> None:
    """A valid extension of the chain, but not one chronicle wrote."""
    insert(path, forged(path, ENTRIES + 1, hash_at(path, ENTRIES)))
    assert_verify_fails_at(path, ENTRIES + 1, "not appended by chronicle")


def test_dropped_triggers_alone_are_reported(path: Path) -> None:
    tamper(path)
    outcome = run_cli(path, "verify")
    assert outcome.code == 1
    assert outcome.err.strip() == (
        "error: verify failed: the log's append-only triggers are missing "
        "(log_no_delete, log_no_update)"
    )


@pytest.mark.parametrize("name", ["log_no_update", "log_no_delete"])
def test_a_do_nothing_trigger_under_a_guards_name_is_reported(path: Path, name: str) -> None:
    """Names prove nothing: the guard's SQL text is compared."""
    event, other = (
        ("UPDATE", "log_no_delete") if name == "log_no_update" else ("DELETE", "log_no_update")
    )
    do_nothing = f"CREATE TRIGGER {name} BEFORE {event} ON log BEGIN SELECT 1; END"
    tamper(path, definitions()[("trigger", other)], do_nothing)
    outcome = run_cli(path, "verify")
    assert outcome.code == 1
    assert outcome.err.strip() == (
        f"error: verify failed: the log's append-only trigger {name} was replaced (its SQL differs)"
    )


def test_a_trigger_added_to_the_log_is_reported(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TRIGGER log_audit AFTER INSERT ON log BEGIN SELECT 1; END")
        conn.commit()
    outcome = run_cli(path, "verify")
    assert (
        outcome.err.strip()
        == "error: verify failed: trigger log_audit on the log is not chronicle's"
    )


# --- a head kept elsewhere ------------------------------------------------------------


def rewrite_history_from(path: Path, seq: int) -> None:
    """What a careful forger does: change an entry, then recompute every hash after it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP TRIGGER log_no_update")
        conn.execute("UPDATE log SET author = 'mallory' WHERE seq = ?", (seq,))
        rows = conn.execute("SELECT * FROM log WHERE seq >= ? ORDER BY seq", (seq,)).fetchall()
        prev = conn.execute("SELECT hash FROM log WHERE seq = ?", (seq - 1,)).fetchone()[0]
        for row in rows:
            digest = entry_hash(*row[:9], prev)
            conn.execute(
                "UPDATE log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, row[0])
            )
            prev = digest
        conn.execute("UPDATE store_meta SET value = ? WHERE key = 'head'", (f"{row[0]}:{prev}",))
        conn.execute(definitions()[("trigger", "log_no_update")])  # the guard's exact text
        conn.commit()


def export_log(path: Path, out: Path) -> dict:
    assert run_cli(path, "export", "log", "--format", "ndjson", "--output", str(out)).code == 0
    return json.loads(out.read_text(encoding="utf-8").splitlines()[-1])


def test_the_log_export_carries_the_head_hash(path: Path, tmp_path: Path) -> None:
    last = export_log(path, tmp_path / "log.ndjson")
    assert (last["seq"], last["hash"]) == (ENTRIES, hash_at(path, ENTRIES))
    outcome = run_cli(path, "verify", "--against", str(tmp_path / "log.ndjson"))
    assert outcome.code == 0 and last["hash"] in outcome.err


def test_a_store_that_grew_still_verifies_against_an_older_export(
    path: Path, tmp_path: Path
) -> None:
    export_log(path, tmp_path / "log.ndjson")
    run_cli(path, "retract", "ev:battle", "--reason", "duplicate of a later report")
    assert run_cli(path, "verify", "--against", str(tmp_path / "log.ndjson")).code == 0
    assert run_cli(path, "verify", "--against", hash_at(path, ENTRIES)).code == 0


def test_a_rewritten_history_passes_alone_but_not_against_an_export(
    path: Path, tmp_path: Path
) -> None:
    export_log(path, tmp_path / "log.ndjson")
    rewrite_history_from(path, 4)
    assert run_cli(path, "verify").code == 0  # a consistent forgery: the limit of a bare chain
    outcome = run_cli(path, "verify", "--against", str(tmp_path / "log.ndjson"))
    assert outcome.code == 1
    assert outcome.err.startswith("error: verify failed at seq 4: ")
    assert "is not the exported" in outcome.err


def test_a_truncation_below_the_exported_head(path: Path, tmp_path: Path) -> None:
    export_log(path, tmp_path / "log.ndjson")
    tamper(path, "DELETE FROM log WHERE seq > 6",
           "UPDATE store_meta SET value = (SELECT seq || ':' || hash FROM log WHERE seq = 6)"
           " WHERE key = 'head'")  # fmt: skip
    outcome = run_cli(path, "verify", "--against", str(tmp_path / "log.ndjson"))
    assert outcome.code == 1 and outcome.err.startswith("error: verify failed at seq 7: ")


def test_against_a_hash_not_in_the_log(path: Path) -> None:
    outcome = run_cli(path, "verify", "--against", "ab" * 32)
    assert outcome.code == 1
    assert outcome.err.startswith("error: verify failed: ") and "is not in this log" in outcome.err


def test_against_a_file_that_is_not_an_export(path: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    outcome = run_cli(path, "verify", "--against", str(notes))
    assert outcome.code == 1
    assert outcome.err.strip() == (
        f"error: {notes}, line 1: not a log export line (no seq and hash)"
    )
