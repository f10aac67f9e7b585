"""The read commands write through the exporters' writers, and escape what exports escape.

A hostile store holds, in every text field, each kind of character a terminal or
a viewer would obey or hide: an OSC 8 hyperlink, a screen clear, a bell, the
8-bit CSI, bidi overrides and isolates, LRM/RLM, zero-width characters, a
byte-order mark and tag characters. Every read command, in every format, must
write none of them raw; CSV cells show them as visible escapes, JSON as JSON
escapes that decode back to the stored text; and a read command's CSV and JSON
are byte for byte the export's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from fixtures.rel_support import mini_store, run_cli
from test_injection import hostile_log

from chronicle.render import has_control, printable
from chronicle.store import Store

HOSTILE = (
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b[2J\x1b[H \x07 \x9b31m "
    "\u202eevil\u202c \u2066iso\u2069 \u200e\u200f \u200bzero\u200d\u2060\ufeff "
    "\U000e0041\U000e0042\U000e007f [bold]markup[/] <b>html</b>"
)
RAW = {c for c in HOSTILE if has_control(c)}
SHORT = "t\u200b\x1b[2J\U000e0041"  # a tag: 64 characters at most


def hostile(field: str) -> str:
    return f"{field}<{HOSTILE}>"


HOSTILE_LOG = hostile_log(hostile, SHORT)

# Every read command, with a text field each must carry through.
COMMANDS = {
    ("timeline",): "title",
    ("show", "ev:h"): "summary2",
    ("disputes", "--all"): "value-text",
    ("log",): "reason",
    ("query", "SELECT title, summary, tags FROM events WHERE event_id = 'ev:h'"): "title",
}
FORMATS = {
    ("timeline",): ("table", "csv", "json"),
    ("show", "ev:h"): ("table", "json"),
    ("disputes", "--all"): ("table", "csv", "json"),
    ("log",): ("table", "csv", "json"),
    ("query", "SELECT title, summary, tags FROM events WHERE event_id = 'ev:h'"): (
        "table", "csv", "json"),
}  # fmt: skip
CASES = [(c, f) for c in COMMANDS for f in FORMATS[c]]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = mini_store(tmp_path_factory.mktemp("hostile-reads") / "store.db")
    lines = [
        json.dumps({"id": f"h-{n}", "type": t, "author": hostile("author"), "data": d})
        for n, (t, d) in enumerate(HOSTILE_LOG)
    ]
    with Store.open(path) as opened:
        opened.import_lines(lines, name="hostile.ndjson")
    return path


def _strings(value: Any) -> list[str]:
    """Every string inside a decoded JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _read(store: Path, command: tuple[str, ...], fmt: str, terminal: bool, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "8000")
    if terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")
    else:
        monkeypatch.delenv("FORCE_COLOR", raising=False)
    outcome = run_cli(store, *command, "--format", fmt)
    assert outcome.code == 0, outcome.err
    return outcome.out


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize(("command", "fmt"), CASES, ids=[f"{c[0]}-{f}" for c, f in CASES])
def test_no_read_command_writes_a_control_raw(
    store: Path, monkeypatch: pytest.MonkeyPatch, command: tuple, fmt: str, terminal: bool
) -> None:
    out = _read(store, command, fmt, terminal, monkeypatch)
    if fmt == "table":
        out = re.sub(r"\x1b\[[0-9;]*m", "", out)  # Rich's own colours, on a terminal only
    assert not RAW & set(out), sorted(map(hex, map(ord, RAW & set(out))))
    field = COMMANDS[command]
    if fmt == "json":
        texts = _strings(json.loads(out))
        assert hostile(field) in texts or any(hostile(field) in t for t in texts), field
    elif fmt == "csv":
        cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
        listed = [s for c in cells if c.startswith("[") for s in _strings(json.loads(c))]
        assert any(printable(hostile(field)) in c for c in cells) or hostile(field) in listed
    else:
        assert printable(hostile(field), keep_newlines=False) in out, field


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_timeline_command_writes_what_the_export_writes(store: Path, fmt: str) -> None:
    command = run_cli(store, "timeline", "--format", fmt, "--include-retracted")
    export = run_cli(store, "export", "timeline", "--format", fmt, "--include-retracted")
    assert command.code == export.code == 0
    assert command.out == export.out


def test_json_tags_are_a_list_in_every_read(store: Path) -> None:
    timeline = json.loads(run_cli(store, "timeline", "--format", "json").out)
    exported = json.loads(run_cli(store, "export", "timeline", "--format", "json").out)
    events = json.loads(run_cli(store, "export", "events", "--format", "json").out)
    ndjson = run_cli(store, "export", "timeline", "--format", "ndjson").out.splitlines()
    shown = json.loads(run_cli(store, "show", "ev:h", "--format", "json").out)
    found = [
        next(r for r in rows if r["event_id"] == "ev:h")["tags"]
        for rows in (timeline, exported, events, [json.loads(line) for line in ndjson])
    ]
    assert found == [[SHORT]] * 4
    assert shown["event"]["tags"] == [SHORT]


def test_the_log_command_writes_the_log_export(store: Path) -> None:
    command = run_cli(store, "log", "--ndjson")
    export = run_cli(store, "export", "log", "--format", "ndjson")
    assert command.code == export.code == 0 and command.out == export.out
    assert not RAW & set(command.out)
    entries = [json.loads(line) for line in command.out.splitlines()]
    assert hostile("reason") in {e["data"].get("reason") for e in entries}


def test_the_control_class_is_every_invisible_or_obeyed_character() -> None:
    """Every control, format and separator character of this Python's Unicode, and no letter."""
    hidden = {"Cc", "Cf", "Zl", "Zp"}
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        if category in hidden and char not in "\t\n":
            assert has_control(char), hex(code)
        elif category[0] in "LNPSM" or char in " \t\n":
            assert not has_control(char), hex(code)
