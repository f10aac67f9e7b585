"""The bad-input catalogue: every way a user can hand chronicle something wrong.

Each case is run through the ``chronicle`` command exactly as a user would type it
and must end in one clear line on stderr, exit status 1 (2 for a usage error), no
traceback, and the log unchanged byte for byte (the projections too). The cases
and their messages are the catalogue documented in README.md (Guarantees).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.rel_support import log_rows, mini_store, run_cli
from support import snapshot

from chronicle.chain import GENESIS, canonical_json, entry_hash
from chronicle.store import Store


def _line(entry_id: str, entry_type: str, data: dict, **extra: object) -> str:
    return json.dumps({"id": entry_id, "type": entry_type, "author": "t", "data": data, **extra})


def _source(entry_id: str, source_id: str, envelope: dict | None = None, **data: object) -> str:
    payload = {"source_id": source_id, "title": "T", "kind": "news", **data}
    return _line(entry_id, "source.registered", payload, **(envelope or {}))


def _event(entry_id: str, when: str) -> str:
    payload = {"event_id": f"ev:{entry_id}", "title": "E", "when": when, "actors": [],
               "tags": [], "summary": "", "citations": []}  # fmt: skip
    return _line(entry_id, "event.asserted", payload)


def _ndjson(*lines: str | bytes) -> bytes:
    return b"".join((line.encode() if isinstance(line, str) else line) + b"\n" for line in lines)


def _bounded_event(entry_id: str, bounds: object) -> str:
    payload = {"event_id": f"ev:{entry_id}", "title": "E", "when": "2024-07-25", "actors": [],
               "tags": [], "summary": "", "citations": [{"source": "src:a"}],
               "when_bounds": bounds}  # fmt: skip
    return _line(entry_id, "event.asserted", payload)


IN_1066 = {"earliest": "1066-07-25", "latest": "1066-07-25", "precision": "day",
           "approximate": False, "uncertain": False, "display": "25 Jul 2024"}  # fmt: skip


def _edited_export() -> bytes:
    """Two lines of a log export, hashed as chronicle writes them, then a title edited."""
    lines, prev = [], GENESIS
    for seq in (1, 2):
        line = {"seq": seq, "id": f"x-{seq}", "type": "source.registered",
                "subject": f"src:x{seq}", "subject_version": 1,
                "recorded_at": f"2030-01-01T00:00:0{seq}.000000Z", "author": "t", "schema": 1,
                "data": {"source_id": f"src:x{seq}", "title": "T", "kind": "news"},
                "prev_hash": prev}  # fmt: skip
        line["hash"] = prev = entry_hash(
            seq, line["id"], line["type"], line["subject"], 1, line["recorded_at"], "t", 1,
            canonical_json(line["data"]), line["prev_hash"],
        )  # fmt: skip
        lines.append(line)
    lines[1]["data"]["title"] = "FORGED"
    return _ndjson(*(json.dumps(line) for line in lines))


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# Input files a case can name as {name}; written fresh for each case.
FILES: dict[str, bytes] = {
    "bad-date.ndjson": _ndjson(_source("i-1", "src:i1"), _event("i-2", "2023-13")),
    "not-json.ndjson": _ndjson(_source("j-1", "src:j1"), _source("j-2", "src:j2"),
                               '{"id": "j-3", "type":'),
    "not-utf8.ndjson": _ndjson(_source("u-1", "src:u1"),
                               b'{"id": "u-2", "type": "source.registered", "author": "caf\xe9"}'),
    "not-object.ndjson": _ndjson("[1, 2, 3]"),
    "wrong-type.ndjson": _ndjson(_source("w-1", "src:w1", title=5)),
    "unknown-type.ndjson": _ndjson(_line("t-1", "event.rumoured", {})),
    "unknown-field.ndjson": _ndjson(_source("f-1", "src:f1", colour="red")),
    "same-id-other-content.ndjson": _ndjson(_source("m-1", "src:a", title="Another title")),
    "same-id-twice.ndjson": _ndjson(_source("d-1", "src:d1"), _source("d-1", "src:d1")),
    "subject-mismatch.ndjson": _ndjson(_source("s-1", "src:s1", {"subject": "src:other"})),
    "bad-time.ndjson": _ndjson(_source("r-1", "src:r1", {"recorded_at": "last tuesday"})),
    "future-schema.ndjson": _ndjson(_source("v-1", "src:v1", {"schema": 9})),
    "huge-line.ndjson": _ndjson(_source("h-1", "src:h1", locator="x" * 1_100_000)),
    "lat-text.json": json.dumps({"entity_id": "place:z", "kind": "place", "name": "Z",
                                 "aliases": [], "lat": "north"}).encode(),
    "array.json": b"[]",
    "not-utf8.json": b'{"source_id": "src:c", "title": "caf\xe9", "kind": "news"}',
    "broken.json": b'{"source_id": "src:c",',
    "bounds-1066.ndjson": _ndjson(_bounded_event("b-1", IN_1066)),
    "bounds-banana.ndjson": _ndjson(_bounded_event("b-1", "banana")),
    "edited-export.ndjson": _edited_export(),
    "old-time.ndjson": _ndjson(_source("o-1", "src:o1", {"recorded_at": "1990-05-01T12:00Z"})),
    "nul-title.ndjson": _ndjson(_source("n-1", "src:n1", title="Kidal\x00 (the rest)")),
    "nul.json": json.dumps({"source_id": "src:c", "title": "a\x00b", "kind": "news"}).encode(),
    "deep.ndjson": _ndjson(_line("d-1", "source.registered", {"k": "K"}).replace(
        '"K"', _nested(100_000))),
    "deep.json": ('{"source_id": "src:c", "title": ' + _nested(100_000) + "}").encode(),
    "open-quote.csv": b'title,when,summary\nA,2020,fine\nB,2021,"Fighting, then\nC,2022,x\n',
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One bad input: the arguments after ``--store``, and the whole stderr line expected."""

    label: str
    args: tuple[str, ...]
    message: str  # a regular expression for the text after "error: "
    code: int = 1


def case(label: str, *args: str, message: str, code: int = 1) -> Case:
    return Case(label, args, message, code)


# fmt: off
CATALOGUE = [
    # --- dates
    case("invalid EDTF", "add", "event", "--title", "X", "--when", "2023-13", "--cite", "src:a",
         message=re.escape("not a valid EDTF date: '2023-13'")),
    case("impossible day", "correct", "ev:kidal", "--set", "when=2024-02-30", "--reason", "r",
         message=re.escape("not a valid EDTF date: '2024-02-30'")),
    case("interval end before start", "correct", "ev:kidal", "--set", "when=2024/2023",
         "--reason", "r", message="interval end 2023 precedes its start 2024"),
    case("invalid publication date", "add", "source", "--title", "X", "--kind", "news",
         "--published", "someday", message=re.escape("not a valid EDTF date: 'someday'")),
    case("invalid EDTF in an import", "import", "{bad-date.ndjson}",
         message=re.escape("bad-date.ndjson, line 2: not a valid EDTF date: '2023-13'")),
    case("a filter date that is not one", "timeline", "--from", "someday",
         message=re.escape("cannot read 'someday' as a date: unknown word 'someday'")),
    case("an as-of that is neither seq nor time", "timeline", "--as-of", "yesterday-ish",
         message="as-of 'yesterday-ish' is neither a seq number nor an ISO time"),
    case("an as-of past the end", "show", "ev:kidal", "--as-of", "99",
         message=re.escape("as-of seq 99 is past the end of the log (8)")),
    case("an as-of in digits that are not ASCII", "timeline", "--as-of", "²",
         message="as-of '²' is neither a seq number nor an ISO time"),
    case("bounds that disagree with the date", "import", "{bounds-1066.ndjson}",
         message=re.escape("bounds-1066.ndjson, line 1: when_bounds do not follow from when "
                           "'2024-07-25': earliest '1066-07-25', not '2024-07-25'")),
    case("bounds that are not bounds", "import", "{bounds-banana.ndjson}",
         message=re.escape("bounds-banana.ndjson, line 1: when_bounds do not follow from when "
                           "'2024-07-25': 'banana' is not bounds")),
    # --- unknown references
    case("unknown event (correct)", "correct", "ev:nope", "--set", "title=x", "--reason", "r",
         message="unknown event 'ev:nope'"),
    case("unknown event (retract)", "retract", "ev:nope", "--reason", "r",
         message="unknown event 'ev:nope'"),
    case("unknown event (show)", "show", "ev:nope", message="unknown event 'ev:nope'"),
    case("unknown event (disputes)", "disputes", "--event", "ev:nope",
         message="unknown event 'ev:nope'"),
    case("an event not yet there (disputes)", "disputes", "--event", "ev:kidal", "--as-of", "1",
         message=re.escape("event 'ev:kidal' did not exist yet as of seq 1")),
    case("unknown event (claim)", "add", "claim", "--event", "ev:nope", "--claimant",
         "actor:jnim", "--property", "killed", "--best", "3", "--source", "src:a",
         message="unknown event 'ev:nope'"),
    case("unknown merge target", "merge", "ev:kidal", "--into", "ev:nope", "--reason", "r",
         message="unknown merge target 'ev:nope'"),
    case("unknown link target", "link", "ev:kidal", "follows", "ev:nope",
         message="unknown event 'ev:nope'"),
    case("unknown place", "add", "event", "--title", "X", "--when", "2020", "--place",
         "place:nowhere", "--cite", "src:a", message="unknown entity 'place:nowhere'"),
    case("an actor given as place", "add", "event", "--title", "X", "--when", "2020", "--place",
         "actor:jnim", "--cite", "src:a", message="entity 'actor:jnim' is an actor, not a place"),
    case("unknown actor", "add", "event", "--title", "X", "--when", "2020", "--actor",
         "actor:nobody:attacker", "--cite", "src:a", message="unknown entity 'actor:nobody'"),
    case("unknown entity (alias)", "alias", "actor:nobody", "X",
         message="unknown entity 'actor:nobody'"),
    case("unknown source (citation)", "add", "event", "--title", "X", "--when", "2020", "--cite",
         "src:nope", message="unknown source 'src:nope'"),
    case("unknown source (claim)", "add", "claim", "--event", "ev:kidal", "--claimant",
         "actor:jnim", "--property", "killed", "--best", "3", "--source", "src:nope",
         message="unknown source 'src:nope'"),
    case("unknown claim", "rank", "cl:nope", "preferred", "--reason", "r",
         message="unknown claim 'cl:nope'"),
    case("unknown actor in a filter", "timeline", "--actor", "Nobody At All",
         message="no entity is called 'Nobody At All'"),
    # --- rules of the vocabulary
    case("empty reason", "correct", "ev:kidal", "--set", "title=x", "--reason", "",
         message=r"reason: "
                 "String should have at least 1 character"),
    case("blank reason", "retract", "ev:kidal", "--reason", "   ",
         message=r"reason: must not be empty or blank"),
    case("blank reason (merge)", "merge", "ev:kidal", "--into", "ev:battle", "--reason", "\t",
         message=r"reason: must not be empty or blank"),
    case("empty reason (rank)", "rank", "cl:1", "deprecated", "--reason", "",
         message=r"reason: "
                 "String should have at least 1 character"),
    case("a field that cannot be set", "correct", "ev:kidal", "--set", "colour=red",
         "--reason", "r",
         message="cannot set 'colour': choose from title, when, place, actors, tags, summary"),
    case("a claim without a figure", "add", "claim", "--event", "ev:kidal", "--claimant",
         "actor:jnim", "--property", "killed", "--source", "src:a",
         message="a claim needs at least one of low, best, high or value_text"),
    case("figures out of order", "add", "claim", "--event", "ev:kidal", "--claimant",
         "actor:jnim", "--property", "killed", "--low", "9", "--high", "3", "--source", "src:a",
         message="a claim's figures must satisfy low <= best <= high"),
    case("a negative count", "add", "claim", "--event", "ev:kidal", "--claimant", "actor:jnim",
         "--property", "killed", "--best", "-3", "--source", "src:a",
         message=r"best: "
                 "Input should be greater than or equal to 0"),
    case("merged into itself", "merge", "ev:kidal", "--into", "ev:kidal", "--reason", "r",
         message="an event cannot be merged into itself"),
    case("an id that exists", "add", "source", "--id", "src:a", "--title", "X", "--kind", "news",
         message="source 'src:a' already exists"),
    case("an id with spaces", "add", "source", "--id", "bad id!", "--title", "X",
         "--kind", "news", message=r"source_id: "
                                   "String should match pattern .*"),
    case("a stale version", "correct", "ev:kidal", "--set", "title=x", "--reason", "r",
         "--expect-version", "7",
         message="ev:kidal is at version 1, not 7: it changed since you read it; "
                 "reload and try again"),
    # --- oversize fields
    case("title over 500 characters", "add", "event", "--title", "x" * 501, "--when", "2020",
         "--cite", "src:a", message=r"title: "
                                    "String should have at most 500 characters"),
    case("summary over 20,000 characters", "correct", "ev:kidal", "--set",
         "summary=" + "s" * 20_001, "--reason", "r",
         message=r"changes.summary: "
                 "String should have at most 20000 characters"),
    case("quote over 2,000 characters", "add", "event", "--title", "X", "--when", "2020",
         "--cite", "src:a", "--quote", "q" * 2001,
         message=r"citations.0.quote: "
                 "String should have at most 2000 characters"),
    case("id over 128 characters", "add", "source", "--id", "src:" + "x" * 130, "--title", "X",
         "--kind", "news", message=r"source_id: "
                                   "String should have at most 128 characters"),
    case("import line over 1 MiB", "import", "{huge-line.ndjson}",
         message="huge-line.ndjson, line 1: line longer than 1048576 bytes"),
    # --- wrong types and shapes
    case("a number where text belongs", "import", "{wrong-type.ndjson}",
         message=re.escape("wrong-type.ndjson, line 1: entry w-1 (source.registered): "
                           "data.title: Input should be a valid string")),
    case("text where a number belongs", "add", "entity", "--json", "{lat-text.json}",
         message=r"lat.int: "
                 r"Input should be a valid integer \(and 1 more\)"),
    case("a latitude out of range", "add", "entity", "--kind", "place", "--name", "X",
         "--lat", "91", message=r"lat: "
                                "Input should be less than or equal to 90"),
    case("an unknown entry type", "import", "{unknown-type.ndjson}",
         message=r"unknown-type.ndjson, line 1: entry t-1: type: Input should be .*"),
    case("an unknown field", "import", "{unknown-field.ndjson}",
         message=re.escape("unknown-field.ndjson, line 1: entry f-1 (source.registered): "
                           "data.colour: Extra inputs are not permitted")),
    case("a line that is not an object", "import", "{not-object.ndjson}",
         message="not-object.ndjson, line 1: entry must be a JSON object"),
    case("a payload that is not an object", "add", "source", "--json", "{array.json}",
         message=r".*array.json: expected a JSON object"),
    case("a subject that is not the payload's", "import", "{subject-mismatch.ndjson}",
         message="subject-mismatch.ndjson, line 1: entry s-1: subject 'src:other' "
                 "is not the payload's 'src:s1'"),
    case("a time that is not ISO 8601", "import", "{bad-time.ndjson}",
         message="bad-time.ndjson, line 1: recorded_at 'last tuesday' is not an ISO-8601 time"),
    case("a time before the log's last entry", "import", "{old-time.ndjson}",
         message=r"old-time.ndjson, line 1: recorded_at 1990-05-01T12:00:00.000000Z is before "
                 r"the log's last entry \(.*Z\): the log's times never go backwards \(import "
                 r"--restamp records it now and keeps its time as first_recorded_at\)"),
    case("an edited log export", "import", "{edited-export.ndjson}",
         message="edited-export.ndjson, line 2: hash of seq 2 does not match its content: "
                 "the line was changed after it was exported"),
    case("a NUL in an imported title", "import", "{nul-title.ndjson}",
         message=re.escape("nul-title.ndjson, line 1: entry n-1 (source.registered): "
                           "data.title: a NUL character (\\x00) is not allowed in text")),
    case("a NUL in a payload", "add", "source", "--json", "{nul.json}",
         message=re.escape("title: a NUL character (\\x00) is not allowed in text")),
    case("a quote left open in a spreadsheet", "import", "{open-quote.csv}",
         message=re.escape("open-quote.csv, line 3: a quote opened in this row is never "
                           "closed (the rest of the file would be one cell)")),
    case("a schema from the future", "import", "{future-schema.ndjson}",
         message=re.escape("future-schema.ndjson, line 1: source.registered at schema 9 "
                           "is newer than this chronicle reads (1)")),
    # --- JSON and encodings
    case("100,000 nested arrays in an import", "import", "{deep.ndjson}",
         message="deep.ndjson, line 1: nested deeper than 64 levels"),
    case("100,000 nested arrays in a payload", "add", "source", "--json", "{deep.json}",
         message=r".*deep.json: nested deeper than 64 levels"),
    case("a JSON line that does not parse", "import", "{not-json.ndjson}",
         message=re.escape("not-json.ndjson, line 3: not valid JSON "
                           "(Expecting value, column 1)")),
    case("a JSON payload that does not parse", "add", "source", "--json", "{broken.json}",
         message=r".*broken.json: not valid JSON \(Expecting property name enclosed in "
                 r"double quotes, line 1\)"),
    case("invalid UTF-8 in an import", "import", "{not-utf8.ndjson}",
         message="not-utf8.ndjson, line 2: not valid UTF-8"),
    case("invalid UTF-8 in a payload", "add", "source", "--json", "{not-utf8.json}",
         message=r".*not-utf8.json: not valid UTF-8 \(byte 36\)"),
    case("invalid UTF-8 in an argument", "timeline", "--tag", "caf\udce9",
         message=re.escape("not valid UTF-8 text (surrogates not allowed)")),
    case("invalid UTF-8 in a field", "add", "source", "--title", "caf\udce9", "--kind", "news",
         message=r"title: Input should be a valid "
                 "string, unable to parse raw data as a unicode string"),
    # --- duplicates
    case("a duplicate id with different content", "import", "{same-id-other-content.ndjson}",
         message="same-id-other-content.ndjson, line 1: entry id 'm-1' is already in the log "
                 "with other content"),
    case("the same id twice in one file", "import", "{same-id-twice.ndjson}",
         message="same-id-twice.ndjson, line 2: entry id 'd-1' appears twice in this input"),
    # --- files
    case("an export over the store", "export", "timeline", "--format", "csv", "--output",
         "{store.db}", message="--output is the store itself"),
    case("an export over the store's WAL", "export", "log", "--format", "ndjson", "--output",
         "{store.db-wal}", message="--output is the store itself"),
    case("an import file that does not exist", "import", "{missing.ndjson}",
         message=r"no file .*missing.ndjson"),
    case("a payload file that does not exist", "add", "source", "--json", "{missing.json}",
         message=r"no file .*missing.json"),
    # --- usage errors: exit 2
    # click may add a near name ("Did you mean 'locate'?"), which depends on the commands
    case("an unknown command", "frobnicate",
         message=r"No such command 'frobnicate'\.( Did you mean '\w+'\?)?", code=2),
    case("a missing option", "correct", "ev:kidal", "--set", "title=x",
         message="Missing option '--reason'.", code=2),
    case("a missing argument", "show", message="Missing argument 'EVENT_ID'.", code=2),
    case("a value not among the choices", "add", "source", "--title", "X", "--kind", "blog",
         message="Invalid value for '--kind': 'blog' is not one of 'news', 'statement', "
                 "'report', 'social', 'other'.", code=2),
    case("a number that is not one", "add", "entity", "--kind", "place", "--name", "X", "--lat",
         "abc", message="Invalid value for '--lat': 'abc' is not a valid float.", code=2),
    case("a --set without =", "correct", "ev:kidal", "--set", "title", "--reason", "r",
         message="--set takes FIELD=VALUE, not 'title'", code=2),
]
# fmt: on


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return mini_store(tmp_path / "store.db")


def _state(path: Path) -> tuple[list[tuple], dict]:
    with Store.open(path, readonly=True) as store:
        return log_rows(path), snapshot(store.conn)


def _expand(args: tuple[str, ...], folder: Path) -> list[str]:
    """Write the files a case names as {name} and put their paths in its arguments."""
    out = []
    for arg in args:
        named = re.fullmatch(r"\{(.+)\}", arg)
        if named:
            name = named.group(1)
            if name in FILES:
                (folder / name).write_bytes(FILES[name])
            arg = str(folder / name)
        out.append(arg)
    return out


def assert_one_clear_line(err: str, message: str) -> None:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert re.fullmatch(message, lines[0].removeprefix("error: ")), lines[0]


@pytest.mark.parametrize("bad", CATALOGUE, ids=[c.label for c in CATALOGUE])
def test_bad_input_is_one_line_and_changes_nothing(
    bad: Case, store_path: Path, tmp_path: Path
) -> None:
    before = _state(store_path)
    outcome = run_cli(store_path, *_expand(bad.args, tmp_path))
    assert outcome.code == bad.code, outcome.err
    assert_one_clear_line(outcome.err, bad.message)
    assert _state(store_path) == before


def test_the_catalogue_is_documented() -> None:
    """Every case above has its line in the guarantees document, by its label."""
    doc = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [c.label for c in CATALOGUE if f"| {c.label} |" not in doc]
    assert not missing, missing


# --- store paths -------------------------------------------------------------------------


def _not_sqlite(folder: Path) -> Path:
    path = folder / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    return path


def _other_sqlite(folder: Path) -> Path:
    path = folder / "other.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
        conn.commit()
    return path


def _under_a_file(folder: Path) -> Path:
    (folder / "plain").write_text("x")
    return folder / "plain" / "store.db"


STORE_PATHS = {
    "missing": (lambda f: f / "missing.db", r"no store at .*missing.db \(create one with .*\)"),
    "a directory": (lambda f: f, r".* is a directory, not a store file"),
    "not SQLite": (_not_sqlite, r".*notes.db is not a chronicle store"),
    "another SQLite database": (_other_sqlite, r".*other.db is not a chronicle store"),
    "under a plain file": (_under_a_file, r"no store at .*plain/store.db .*"),
}  # fmt: skip


@pytest.mark.parametrize("kind", STORE_PATHS)
@pytest.mark.parametrize("command", [("timeline",), ("verify",), ("show", "ev:kidal")])
def test_a_store_path_that_is_not_a_store(tmp_path: Path, kind: str, command: tuple) -> None:
    make, message = STORE_PATHS[kind]
    path = make(tmp_path)
    listing = sorted(p.name for p in tmp_path.iterdir())
    content = path.read_bytes() if path.is_file() else None
    outcome = run_cli(path, *command)
    assert outcome.code == 1
    assert_one_clear_line(outcome.err, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # nothing created
    assert (path.read_bytes() if path.is_file() else None) == content  # nothing changed


@pytest.mark.parametrize("kind", ["not SQLite", "another SQLite database", "under a plain file"])
def test_writing_to_what_is_not_a_store_writes_nothing(tmp_path: Path, kind: str) -> None:
    make, _ = STORE_PATHS[kind]
    path = make(tmp_path)
    content = path.read_bytes() if path.is_file() else None
    outcome = run_cli(path, "add", "source", "--title", "X", "--kind", "news")
    assert outcome.code == 1 and len(outcome.err.splitlines()) == 1
    assert "Traceback" not in outcome.err
    assert (path.read_bytes() if path.is_file() else None) == content


def _bound_socket(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    return server


SPECIAL_FILES = {
    "a FIFO": (lambda p: os.mkfifo(p), "a FIFO"),
    "a socket": (_bound_socket, "a socket"),
}


@pytest.mark.parametrize("kind", SPECIAL_FILES)
@pytest.mark.parametrize(
    "command", [("timeline",), ("verify",), ("add", "source", "--title", "X", "--kind", "news")]
)
def test_a_store_path_that_is_not_a_regular_file(tmp_path: Path, kind: str, command: tuple):
    """Refused before SQLite opens it: opening a FIFO would wait for a writer forever.

    Run as a process of its own with a time limit, so that a hang fails the test
    instead of stopping the suite.
    """
    make, what = SPECIAL_FILES[kind]
    path = tmp_path / "store.db"
    made = make(path)
    listing = sorted(p.name for p in tmp_path.iterdir())
    try:
        done = subprocess.run(
            [sys.executable, "-m", "chronicle", "--store", str(path), *command],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        if isinstance(made, socket.socket):
            made.close()
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, rf".*store.db is {what}, not a store file")
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no -journal, no -wal


@pytest.mark.parametrize("command", [("add", "source", "--title", "X", "--kind", "news"),
                                     ("init",), ("timeline",)])  # fmt: skip
def test_a_device_as_store_leaves_nothing_beside_it(command: tuple) -> None:
    """/dev/null opens as an empty file; SQLite would then leave /dev/null-journal behind."""
    assert not Path("/dev/null-journal").exists()
    outcome = run_cli("/dev/null", *command)
    assert outcome.code == 1
    assert_one_clear_line(outcome.err, "/dev/null is a character device, not a store file")
    assert not any(Path(f"/dev/null{suffix}").exists() for suffix in ("-journal", "-wal", "-shm"))


# --- a read-only store -------------------------------------------------------------------


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make the store file truly unwritable for this process.

    A plain user gets mode 0444. Root ignores modes, so for root the file is made
    immutable (``chattr +i``), which the kernel enforces for everyone; where that
    is not available the test is skipped rather than faked.
    """
    os.chmod(path, 0o444)
    immutable = os.geteuid() == 0
    if immutable:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode:
            os.chmod(path, 0o644)
            pytest.skip("running as root without chattr +i: cannot make a file read-only")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        os.chmod(path, 0o644)


WRITES = [
    ("add", "source", "--title", "X", "--kind", "news"),
    ("correct", "ev:kidal", "--set", "title=x", "--reason", "r"),
    ("import", str(Path(__file__).parent / "fixtures" / "mini.ndjson")),
    ("rebuild",),
]


@pytest.mark.skipif(shutil.which("chattr") is None and os.geteuid() == 0, reason="no chattr")
def test_a_read_only_store_can_be_read_but_not_written(store_path: Path) -> None:
    before = log_rows(store_path)
    with read_only(store_path):
        for command in WRITES:
            outcome = run_cli(store_path, *command)
            assert outcome.code == 1, command
            assert_one_clear_line(
                outcome.err, r".*store.db is read-only: cannot write to the store"
            )
        for command in [("timeline",), ("verify",), ("show", "ev:battle"), ("disputes",)]:
            assert run_cli(store_path, *command).code == 0, command
    assert log_rows(store_path) == before


# --- a full disk -----------------------------------------------------------------------------


FULL = r"the disk holding .*store.db is full: nothing was written"


def big_import(path: Path, entries: int) -> Path:
    lines = [_line(f"big-{i}", "event.asserted", {
        "event_id": f"ev:big-{i}", "title": f"Big {i}", "when": "2024-07", "actors": [],
        "tags": [], "summary": "s" * 400, "citations": [{"source": "src:a"}]})
        for i in range(entries)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_full_database_refuses_the_import_whole(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own "database or disk is full" (SQLITE_FULL), raised by a page limit.

    A page cap makes SQLite fail the write exactly as a full disk does, with the
    same error code, through the same path in chronicle; the test below uses a
    real full file system where one can be mounted.
    """
    connect = Store._connect

    def capped(path: Path, readonly: bool) -> sqlite3.Connection:
        conn = connect(path, readonly)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 20}")
        return conn

    monkeypatch.setattr(Store, "_connect", staticmethod(capped))
    before = _state(store_path)
    outcome = run_cli(store_path, "import", str(big_import(tmp_path / "big.ndjson", 600)))
    assert outcome.code == 1
    assert_one_clear_line(outcome.err, FULL)
    assert _state(store_path) == before


FULL_DISK_SCRIPT = r"""
set -u
disk=$1 store=$2 small=$3 large=$4 out=$5
shift 5
mount -t tmpfs -o size=8m tmpfs "$disk" || exit 90
cp "$store" "$disk/store.db"
dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null
truncate -s -256K "$disk/filler"
"$@" --store "$disk/store.db" import "$small" 2>"$out/small.err"; echo $? >"$out/small.code"
"$@" --store "$disk/store.db" import "$large" 2>"$out/large.err"; echo $? >"$out/large.code"
"$@" --store "$disk/store.db" verify 2>"$out/verify.err"; echo $? >"$out/verify.code"
cp "$disk/store.db" "$out/after.db"
rm "$disk/filler"
"$@" --store "$disk/store.db" import "$large" 2>"$out/again.err"; echo $? >"$out/again.code"
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare to mount a tmpfs")
def test_a_really_full_disk(store_path: Path, tmp_path: Path) -> None:
    """A tmpfs of 8 MiB filled to its last 256 KiB, in a private mount namespace.

    The small import fits SQLite's page cache, so the disk fills at COMMIT; the
    large one spills to the WAL and fills it mid-transaction. Both must be refused
    whole. ``unshare --user --map-root-user --mount`` lets an ordinary user mount
    the tmpfs where user namespaces are allowed; elsewhere the test is skipped.
    """
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    small = big_import(tmp_path / "small.ndjson", 300)
    large = big_import(tmp_path / "large.ndjson", 1500)
    command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", FULL_DISK_SCRIPT,
               "sh", str(disk), str(store_path), str(small), str(large), str(out),
               sys.executable, "-m", "chronicle"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode == 90 or "unshare:" in done.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()[:200]}")
    code = {name: (out / f"{name}.code").read_text().strip()
            for name in ("small", "large", "verify", "again")}  # fmt: skip
    for name in ("small", "large"):
        assert code[name] == "1", (out / f"{name}.err").read_text()
        assert_one_clear_line((out / f"{name}.err").read_text(), FULL)
    assert code["verify"] == "0", (out / "verify.err").read_text()
    assert log_rows(out / "after.db") == log_rows(store_path)
    assert code["again"] == "0", (out / "again.err").read_text()  # with room, it lands whole
