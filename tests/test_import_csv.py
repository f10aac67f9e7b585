"""Bulk entry from a spreadsheet: a CSV in the timeline export's columns becomes events.

The whole sheet lands or none of it does, errors name the CSV line (counting the
lines inside quoted cells), names and aliases are resolved to ids, and importing
the same sheet twice adds nothing.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from export_samples import build_store, export_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronicle import queries
from chronicle.cli import cli, seed_files
from chronicle.errors import EntryError
from chronicle.importers.spreadsheet import import_csv
from chronicle.store import Store

REGISTRATIONS = ("source.registered", "entity.registered", "entity.aliased")
AUTHOR = "sheet tests"


def _registrations_only(path: Path) -> Store:
    """A store holding the seeds' sources and entities but none of their events."""
    store = Store.open(path, create=True)
    for seed in seed_files():
        lines = [
            line
            for line in seed.read_text("utf-8").splitlines()
            if line.strip() and json.loads(line)["type"] in REGISTRATIONS
        ]
        store.import_lines(lines, name=seed.name)
    return store


@pytest.fixture
def empty(tmp_path: Path) -> Store:
    store = _registrations_only(tmp_path / "store.db")
    yield store
    store.close()


def _import(store: Store, text: str, name: str = "sheet.csv"):
    return import_csv(store, io.StringIO(text, newline=""), name=name, author=AUTHOR)


def _sheet(*rows: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _event_ids(store: Store) -> list[str]:
    return queries.timeline_ids(store.conn, queries.TimelineFilter(include_retracted=True))


def test_a_timeline_export_imports_back_as_the_same_events(empty: Store, tmp_path: Path) -> None:
    with build_store(tmp_path / "seeded.db", hostile=False) as seeded:
        text = export_text(seeded.conn, "timeline", "csv")
        original = list(queries.timeline(seeded.conn))
    result = _import(empty, text)
    assert len(result.added) == len(original)
    copied = {r["event_id"]: r for r in queries.timeline(empty.conn)}
    for row in original:
        copy = copied[row["event_id"]]
        for key in ("title", "when_edtf", "earliest", "latest", "place_id", "tags", "summary"):
            assert copy[key] == row[key], (row["event_id"], key)
        assert sorted((copy["actors"] or "").split("; ")) == sorted(
            (row["actors"] or "").split("; ")
        )
    assert empty.verify().ok


def test_a_typed_sheet_resolves_names_aliases_and_lists(empty: Store) -> None:
    sheet = _sheet(
        ["title", "when", "place", "actors", "tags", "summary", "sources"],
        ["Clash near the border", "2024-07-25", "Tin Zaouatine", "CSP-PSD; FAMa",
         "battle, test", "Fighting, then\na sandstorm.", "src:afgazad-2024-08-06"],
        ["A month later", "2024-08", "", "", "", "", ""],
    )  # fmt: skip
    result = _import(empty, sheet)
    assert len(result.added) == 2
    rows = {r["title"]: r for r in queries.timeline(empty.conn)}
    clash = rows["Clash near the border"]
    assert clash["place_id"] == queries.resolve_entities(empty.conn, "Tinzaouaten", "place")[0]
    assert json.loads(clash["tags"]) == ["battle", "test"]
    assert clash["summary"] == "Fighting, then\na sandstorm."
    assert clash["n_sources"] == 1 and clash["event_id"].startswith("ev:csv-")
    actors = queries.show(empty.conn, clash["event_id"]).actors
    assert {a["entity_id"] for a in actors} == {
        queries.resolve_entities(empty.conn, "CSP-PSD")[0],
        queries.resolve_entities(empty.conn, "FAMa")[0],
    }
    assert rows["A month later"]["precision"] == "month"


def test_the_same_sheet_twice_adds_nothing(empty: Store) -> None:
    sheet = _sheet(["title", "when_edtf"], ["One", "2024"], ["Two", "2024-02"])
    assert len(_import(empty, sheet).added) == 2
    again = _import(empty, sheet)
    assert (len(again.added), again.skipped) == (0, 2)


def test_errors_name_the_csv_line_and_nothing_lands(empty: Store) -> None:
    before = _event_ids(empty)
    sheet = _sheet(
        ["title", "when_edtf", "summary"],
        ["Fine", "2024-01-02", "a summary\nover two lines"],  # lines 2 and 3
        ["Bad date", "2024-13-45", ""],  # line 4
    )
    with pytest.raises(EntryError, match=r"^sheet\.csv, line 4: .*2024-13-45"):
        _import(empty, sheet)
    assert _event_ids(empty) == before


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["title", "when", "colour"]], r"line 1: unknown column 'colour'"),
        ([["title"]], r"line 1: the header needs .* when_edtf"),
        ([["title", "when"], ["", "2024"]], r"line 2: title is empty"),
        ([["title", "when", "actors"], ["T", "2024", "Nobody at all"]], r"line 2: no entity"),
        ([["title", "when", "place"], ["T", "2024", "JNIM"]], r"line 2: no place is called"),
        ([["title", "when", "sources"], ["T", "2024", "src:nope"]], r"line 2: unknown source"),
        ([["title", "when"], ["T", "2024"], ["T", "2024"]], r"line 3: the same event as line 2"),
        ([["title", "when", "tags"], ["T", "2024", "[oops"]], r"line 2: .* not valid"),
        ([["title", "when"], ["T, with a comma", "2024", "x"]], r"line 2: 3 cells, but .* 2"),
    ],
)
def test_each_kind_of_error_is_one_line_with_its_place(
    empty: Store, rows: list[list[str]], message: str
) -> None:
    with pytest.raises(EntryError, match=message) as caught:
        _import(empty, _sheet(*rows))
    assert "\n" not in str(caught.value)


def test_an_empty_file_is_refused(empty: Store) -> None:
    with pytest.raises(EntryError, match="empty file"):
        _import(empty, "")


def test_the_import_command_takes_a_csv(tmp_path: Path) -> None:
    store_path = tmp_path / "cli.db"
    _registrations_only(store_path).close()
    sheet = tmp_path / "events.csv"
    # A byte-order mark, as spreadsheets write it.
    sheet.write_text("\ufeff" + _sheet(["title", "when"], ["From the CLI", "2023-11"]), "utf-8")
    runner = CliRunner()
    done = runner.invoke(cli, ["--store", str(store_path), "import", str(sheet)])
    assert done.exit_code == 0, done.output
    assert "imported 1 entries" in done.output
    bad = tmp_path / "bad.csv"
    bad.write_text(_sheet(["title", "when"], ["x", "not a date"]), "utf-8")
    done = runner.invoke(cli, ["--store", str(store_path), "import", str(bad)])
    assert done.exit_code == 1 and "bad.csv, line 2" in str(done.exception)


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"),
                  exclude_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    | st.sampled_from([",", '"', "\n", "'", ";", " "]),
    min_size=1, max_size=40,
)  # fmt: skip


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT.filter(lambda t: t.strip()), summary=TEXT)
def test_commas_quotes_and_newlines_survive(empty: Store, title: str, summary: str) -> None:
    event_id = f"ev:sheet-{uuid.uuid4().hex}"
    sheet = _sheet(
        ["event_id", "title", "when_edtf", "summary"], [event_id, title, "2024", summary]
    )
    assert len(_import(empty, sheet).added) == 1
    stored = queries.show(empty.conn, event_id).event
    assert (stored["title"], stored["summary"]) == (title.strip(), summary.strip())


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('title,when,summary\nA,2020,fine\nB,2021,"Fighting, then\nC,2022,lost\nD,2023,lost\n', 3),
        ('title,when,summary\n"A,2020,x\n', 2),
        ('title,when,summary\nA,2020,x\nB,2021,"no end', 3),
    ],
)
def test_a_quote_left_open_names_its_line(empty: Store, text: str, line: int) -> None:
    """Read on, the open quote would swallow every later row into one cell, without a word."""
    before = _event_ids(empty)
    with pytest.raises(EntryError) as caught:
        _import(empty, text)
    assert str(caught.value) == (
        f"sheet.csv, line {line}: a quote opened in this row is never closed "
        "(the rest of the file would be one cell)"
    )
    assert _event_ids(empty) == before


def test_a_quote_inside_an_unquoted_cell_is_text(empty: Store) -> None:
    """Only a quote that opens a cell opens a quoted cell: 5" guns on the last line are fine."""
    added = _import(empty, 'title,when\nA 5" gun,2020\nB 7" gun,2021').added
    assert len(added) == 2
