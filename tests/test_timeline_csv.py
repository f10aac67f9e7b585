"""The timeline's CSV from text fetched as UTF-8 bytes: the very bytes the str writer writes.

``write_csv`` (text as str, one ``cell`` per value) is the reference: every row
and every store must come out of ``write_csv_utf8`` byte for byte as it does.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from export_samples import export_text
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chronicle import exports, queries
from chronicle.exporters.rows import Scope, timeline_utf8
from chronicle.exporters.tabular import _CONTROL_BYTES, write_csv, write_csv_utf8
from chronicle.render import has_control
from chronicle.store import Store

# What makes a cell hard: CSV syntax, every kind of control, separators and direction
# marks, letters whose UTF-8 shares a lead byte with a control (é, –, NBSP), empty text,
# and the starts of a spreadsheet formula (with the quote that neutralises one).
HARD = (
    "=", "+", "-", "@", "'", "-5", ",", '"', "\n", "\r", "\r\n", "\t", "\x00", "\x1b", "\x1f",
    "\x7f", "\x85", "\x9f",
    "\xa0", "é", "–", "\u2028", "\u2029", "\u202e", "\u2066", "\u2069", "\U0001f600", " ", "",
)  # fmt: skip
TEXT = st.lists(
    st.sampled_from(HARD) | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",))),
    max_size=6,
).map("".join)
VALUE = TEXT | TEXT | st.integers() | st.none() | st.floats() | st.booleans()


def _utf8(rows: list[list[Any]]) -> list[list[Any]]:
    """The rows as a connection with a bytes text factory gives them."""
    return [[v.encode() if isinstance(v, str) else v for v in row] for row in rows]


def _reference(
    columns: tuple[str, ...], rows: list[list[Any]], batch: int = 256, safe: bool = True
) -> bytes:
    out = io.StringIO()
    write_csv(out, columns, rows, batch=batch, safe=safe)
    return out.getvalue().encode()


def _batched(rows: list[list[Any]], batch: int) -> list[list[list[Any]]]:
    """The rows as a cursor's ``fetchmany(batch)`` gives them."""
    return [rows[i : i + batch] for i in range(0, len(rows), batch)]


def _through_file(
    columns: tuple[str, ...], rows: list[list[Any]], batch: int, safe: bool = True
) -> bytes:
    """As an export writes: a UTF-8 text layer over a binary file, bypassed for the rows."""
    raw = io.BytesIO()
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    write_csv_utf8(text, columns, _batched(rows, batch), safe=safe)
    text.flush()
    return raw.getvalue()


@given(
    st.integers(1, 4).flatmap(
        lambda width: st.lists(st.lists(VALUE, min_size=width, max_size=width), max_size=9)
    ),
    st.integers(1, 4),
    st.booleans(),
)
@example([["a, b", 1, None], ['say "x"', 2, "\x1b[2J"]], 4, True)
@example([["x\x1fy", "é–\u2028"], [None, "\x85"]], 1, True)
@example([[""], [None], ["x"]], 2, True)
@example([[1.5, 2.0, True, "\xa0"]], 1, True)
@example([["=1+1", -3, "@a"], ["'=x", None, "-5"]], 2, True)
@example([["=1+1", -3, "@a"], ["'=x", None, "-5"]], 2, False)
@example([["a\n=b", 1], ["c\n", 2], ["", 3]], 4, True)  # a newline inside a cell, then a formula
@example([["x", 2**70, True], ["y", -1, False]], 2, True)  # integers past 64 bits; booleans
@example([["é\u2013", 1.0], ["\u2013", 2.5]], 2, True)  # letters sharing a control's lead byte
@settings(deadline=None)  # a busy machine is not a wrong answer
def test_utf8_rows_are_written_as_the_str_writer_writes_them(
    rows: list[list], batch: int, safe: bool
) -> None:
    columns = ("a", "b", "c", "d")[: len(rows[0]) if rows else 2]
    expected = _reference(columns, rows, batch, safe)
    assert _through_file(columns, _utf8(rows), batch, safe) == expected
    text = io.StringIO()  # no file under it: the encoded lines are decoded again
    write_csv_utf8(text, columns, _batched(_utf8(rows), batch), safe=safe)
    assert text.getvalue().encode() == expected


def test_the_control_bytes_are_those_that_begin_a_control_character() -> None:
    controls = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and has_control(chr(c))]
    assert bytes(sorted({c.encode()[0] for c in controls})) == _CONTROL_BYTES


# --- over real stores ---------------------------------------------------------------------

STORED = TEXT.map(lambda s: s.replace("\x00", ""))  # a store refuses NUL in text
NAME = STORED.map(str.strip).filter(lambda s: 0 < len(s) <= 60)
EVENT = st.fixed_dictionaries(
    {"title": NAME, "summary": STORED, "place": NAME, "actor": NAME, "tag": NAME}
)


def _entry(n: int, entry_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"csv-{n:03d}", "type": entry_type, "author": "csv tests",
            "recorded_at": f"2031-01-01T00:00:{n:02d}Z", "data": data}  # fmt: skip


def _entries(events: list[dict[str, str]]) -> list[dict[str, Any]]:
    """A source, then per event a place, an actor, the event and a correction of its title."""
    payloads: list[tuple[str, dict[str, Any]]] = [
        ("source.registered", {"source_id": "src:s", "title": "S", "kind": "news"}),
    ]
    for i, e in enumerate(events):
        payloads += [
            ("entity.registered", {"entity_id": f"place:{i}", "kind": "place", "name": e["place"],
                                   "aliases": []}),
            ("entity.registered", {"entity_id": f"actor:{i}", "kind": "actor", "name": e["actor"],
                                   "aliases": []}),
            ("event.asserted", {"event_id": f"ev:{i}", "title": e["title"], "when": f"20{10 + i}",
                                "place": f"place:{i}", "summary": e["summary"],
                                "tags": [e["tag"], "all"] if i % 2 else [],
                                "actors": [{"entity": f"actor:{i}", "role": e["tag"][:20] or None}],
                                "citations": [{"source": "src:s"}]}),
        ]  # fmt: skip
    payloads += [
        ("event.corrected", {"event_id": f"ev:{i}", "changes": {"title": e["summary"] or "t"},
                             "reason": "r"})
        for i, e in enumerate(events) if e["summary"].strip()
    ]  # fmt: skip
    return [_entry(n, t, d) for n, (t, d) in enumerate(payloads, start=1)]


TAGGED = queries.TimelineFilter(tags=["all"])


def _old_export(conn, flt: queries.TimelineFilter | None, as_of: int | None) -> bytes:
    rows = queries.timeline_values(conn, flt, as_of)
    return _reference(queries.TIMELINE_COLUMNS, list(rows))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENT, min_size=1, max_size=5))
def test_a_store_exports_its_timeline_as_the_str_writer_does(events: list[dict[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        store = Store.open(Path(scratch) / "s.db", create=True)
        try:
            store.append(_entries(events))
            conn = store.conn
            before_corrections = 1 + 3 * len(events)
            scopes = [(None, None), (TAGGED, None), (None, before_corrections)]
            for flt, as_of in scopes:
                got = export_text(conn, "timeline", "csv", flt=flt, as_of=as_of).encode()
                assert got == _old_export(conn, flt, as_of)
                assert conn.text_factory is str
        finally:
            store.close()


def test_the_connection_reads_text_as_str_again_when_a_reader_stops_early(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", create=True)
    store.append(_entries([{"title": "t", "summary": "s", "place": "p", "actor": "a", "tag": "g"}]))
    batches = timeline_utf8(store.conn, Scope())
    assert isinstance(next(batches)[0][0], bytes)
    batches.close()
    assert store.conn.text_factory is str
    store.close()


# --- what an export pays before its first row --------------------------------------------------

_IMPORTS_AFTER = """
import sys
from chronicle.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    assert not done.code, done.code
print(sorted(m for m in sys.modules if m.split(".")[0] == "pydantic" or m in (
    "chronicle.vocabulary", "chronicle.intake", "chronicle.appender")))
"""


@pytest.mark.parametrize(
    "command",
    [["export", "timeline", "--format", "csv"], ["timeline", "--as-of", "3"], ["log"]],
)
def test_a_read_or_an_export_imports_no_validator(mini_store, tmp_path: Path, command) -> None:
    """Reads and exports validate nothing: pydantic, the payloads' shapes and the intake
    are imported only where input is read (about 110 ms of every command's start-up)."""
    out = tmp_path / "out.txt"
    args = ["--store", str(mini_store.path), *command]
    if command[0] == "export":
        args += ["--output", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS_AFTER, *args], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-500:]
    if command[0] == "export":
        rows = len(list(queries.timeline(mini_store.conn)))
        assert out.read_text().count("\n") == 1 + rows


def test_an_export_counts_the_rows_of_each_batch_it_writes(tmp_path: Path) -> None:
    """Rows come 256 to a batch: progress is told the rows so far after each one, and the end."""
    store = Store.open(tmp_path / "s.db", create=True)
    events = [
        {
            "event_id": f"ev:{i}",
            "title": f"t{i}",
            "when": "2020",
            "actors": [],
            "tags": [],
            "summary": "",
            "citations": [],
        }
        for i in range(300)
    ]
    store.append(
        [{**_entry(0, "event.asserted", data), "id": f"batch-{i}"} for i, data in enumerate(events)]
    )
    seen: list[int] = []
    result = exports.export_file(
        store.conn, "timeline", "csv", tmp_path / "t.csv", progress=seen.append
    )
    store.close()
    assert seen == [256, 300] and result.rows == 300
    assert (tmp_path / "t.csv").read_text().count("\n") == 1 + 300
