"""ACLED and UCDP GED releases: every layout in, later releases as history, full layouts out.

The fixtures under ``fixtures/datasets`` are small files written for these tests in
the datasets' layouts (dyadic, monadic, the layout before 2023 as tab-separated
text with a byte-order mark and upper-case names, a later release of the same
events, a GED file); no third party's data is used.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fixtures.rel_support import Outcome, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from test_tui_support import drive, new_app, press, screen_text

from chronicle import exports, queries
from chronicle.dates import parse_edtf
from chronicle.exporters import conflict
from chronicle.exporters.rows import EventView
from chronicle.importers import acled, records, ucdp
from chronicle.store import Store

DATA = Path(__file__).parent / "fixtures" / "datasets"
FIRST, SECOND = DATA / "acled_release1.csv", DATA / "acled_release2.csv"


def run(store_path: Path, *args: str) -> Outcome:
    """The command as the script runs it (errors become one line through ``main``)."""
    return run_cli(store_path, "--author", "tests", *args)


def imported(store_path: Path, *files: Path, extra: tuple[str, ...] = ()) -> list[str]:
    lines = []
    for path in files:
        result = run(store_path, "import", str(path), *extra)
        assert result.code == 0, result.err
        lines.append(result.err.strip())
    return lines


def acled_rows(store_path: Path, *args: str) -> dict[str, dict[str, str]]:
    result = run(store_path, "export", "timeline", "--format", "acled-csv", *args)
    assert result.code == 0, result.err
    return {r["event_id_cnty"]: r for r in csv.DictReader(io.StringIO(result.out))}


def log_size(store_path: Path) -> int:
    with Store.open(store_path, readonly=True) as store:
        return store.head()[0]


# --- layouts --------------------------------------------------------------------------


def test_a_dyadic_release_becomes_events_claims_and_entities(store_path: Path) -> None:
    assert imported(store_path, FIRST) == [
        "acled_release1.csv: 5 rows, 5 added, 0 corrected, 0 unchanged, 0 retracted (23 entries)"
    ]
    with Store.open(store_path) as store:
        show = queries.show(store.conn, "ev:acled:MLI33001")
        source = store.conn.execute(
            "SELECT title, publisher, published, locator FROM sources WHERE publisher = 'ACLED'"
        ).fetchone()
        claim = store.conn.execute(
            "SELECT claimant, best, source_id FROM claims WHERE event_id = 'ev:acled:MLI33001'"
        ).fetchone()
    assert show.event["when_edtf"] == "2024-07-25" and show.event["place"] == "Tinzaouaten"
    sides = {a["name"]: a["side"] for a in show.actors}
    assert sides == {
        "Military Forces of Mali (2021-)": "a", "Wagner Group": "a",
        "CSP-DPA: Permanent Strategic Framework for the Defense of the People of Azawad": "b",
        "JNIM: Group for Support of Islam and Muslims": "b",
    }  # fmt: skip
    assert "event_type:Battles" in show.event["tags"] and "Tinzaouaten" in show.event["summary"]
    assert source == ("ACLED release acled_release1.csv", "ACLED", "2024-08-01", "5 rows")
    assert claim[0] == "actor:acled" and claim[1] == 20 and claim[2].startswith("src:acled:")
    assert show.citations[0]["locator"] == "MLI33001"


def test_the_acronym_meets_the_entity_of_that_name(store_path: Path) -> None:
    """ "JNIM: Group for Support of Islam and Muslims" is the JNIM already in the store."""
    assert run(store_path, "init").code == 0
    imported(store_path, FIRST)
    with Store.open(store_path) as store:
        actors = queries.show(store.conn, "ev:acled:MLI33002").actors
        aliases = queries.resolve_entities(
            store.conn, "JNIM: Group for Support of Islam and Muslims", "actor"
        )
    assert [a["entity_id"] for a in actors if a["side"] == "b"] == ["actor:jnim"]
    assert aliases == ["actor:jnim"]
    assert records.acronym("CSP-DPA: Permanent Strategic Framework") == (
        "CSP-DPA", "Permanent Strategic Framework",
    )  # fmt: skip
    assert records.acronym("Military Forces of Mali (2021-)") is None


def test_a_monadic_file_joins_the_rows_of_one_event(store_path: Path) -> None:
    imported(store_path, DATA / "acled_monadic.csv")
    with Store.open(store_path) as store:
        show = queries.show(store.conn, "ev:acled:MLI33001")
        n_events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    assert n_events == 2
    assert [(a["name"], a["side"]) for a in show.actors] == [
        ("Military Forces of Mali (2021-)", "a"), ("Wagner Group", "a"),
        ("CSP-DPA: Permanent Strategic Framework for the Defense of the People of Azawad", "b"),
        ("JNIM: Group for Support of Islam and Muslims", "b"),
    ]  # fmt: skip
    assert "inter2:Rebel group" in show.event["tags"]


def test_the_older_layout_tab_separated_with_a_bom(store_path: Path) -> None:
    imported(store_path, DATA / "acled_old_layout.tsv")
    rows = acled_rows(store_path)
    assert rows["MLI20150"]["event_date"] == "22 February 2019"
    assert rows["MLI20150"]["interaction"] == "12" and rows["MLI20150"]["fatalities"] == "21"
    assert rows["MLI20151"]["assoc_actor_2"] == "Fulani Ethnic Group (Mali)"
    with Store.open(store_path) as store:
        tags = store.conn.execute(
            "SELECT tags FROM events WHERE event_id = 'ev:acled:MLI20150'"
        ).fetchone()[0]
    assert "data_id" not in tags  # it changes with every release


def test_ged_sides_tolls_and_place(store_path: Path) -> None:
    imported(store_path, DATA / "ged_release.csv")
    with Store.open(store_path) as store:
        show = queries.show(store.conn, "ev:ucdp:520001")
        tolls = dict(
            store.conn.execute(
                "SELECT coalesce(e.name, 'all'), c.best FROM claims c "
                "LEFT JOIN entities e ON e.entity_id = c.about WHERE c.event_id = 'ev:ucdp:520001'"
            ).fetchall()
        )
        place = queries.place_detail(store.conn, show.event["place_id"])
    assert show.event["when_edtf"] == "2024-07-25/2024-07-27"
    assert [(a["name"], a["side"]) for a in show.actors] == [
        ("Government of Mali", "a"), ("CSP-DPA", "b"), ("JNIM", "b"),
    ]  # fmt: skip
    assert tolls == {"all": 60, "Government of Mali": 47, "CSP-DPA": 9, "Unknown party": 4}
    assert place["name"] == "Tinzaouaten town" and place["admin1"] == "Kidal region"
    result = run(store_path, "export", "timeline", "--format", "ucdp-csv")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(result.out))}
    assert list(rows["520001"]) == list(ucdp.COLUMNS) and len(ucdp.COLUMNS) == 49
    got = rows["520001"]
    assert (got["best"], got["low"], got["high"], got["date_prec"]) == ("60", "52", "131", "2")
    assert (got["side_a"], got["side_b"], got["deaths_a"], got["deaths_b"]) == (
        "Government of Mali", "CSP-DPA, JNIM", "47", "9",
    )  # fmt: skip
    assert (got["latitude"], got["longitude"], got["adm_1"]) == (
        "19.9522",
        "2.9619",
        "Kidal region",
    )


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "edtf", "bounds"),
    [
        (1, "2019-02-22", ("2019-02-22", "2019-02-22", "day")),
        (2, "2019-02-19/2019-02-25", ("2019-02-19", "2019-02-25", "interval")),
        (3, "2019-02", ("2019-02-01", "2019-02-28", "month")),
    ],
)
def test_acled_precision_codes(precision: int, edtf: str, bounds: tuple) -> None:
    when, earliest, latest = acled.edtf_for(date(2019, 2, 22), precision)
    parsed = parse_edtf(when)
    assert when == edtf and (earliest.isoformat(), latest.isoformat()) == bounds[:2]
    assert (parsed.earliest, parsed.latest) == bounds[:2]


@pytest.mark.parametrize(
    ("precision", "start", "end", "edtf"),
    [
        (1, "2024-08-01", "2024-08-01", "2024-08-01"),
        (2, "2024-07-25", "2024-07-27", "2024-07-25/2024-07-27"),
        (3, "2024-07-22", "2024-07-28", "2024-07-22/2024-07-28"),
        (4, "2024-07-01", "2024-07-31", "2024-07-01/2024-07-31"),
        (5, "2024-01-01", "2024-12-31", "2024-01-01/2024-12-31"),
        (4, "2024-07-15", "2024-07-15", "2024-07-15~"),
    ],
)
def test_ged_precision_codes(precision: int, start: str, end: str, edtf: str) -> None:
    got = ucdp.edtf_for(date.fromisoformat(start), date.fromisoformat(end), precision)
    assert got == edtf and parse_edtf(got).earliest == start


def _view(when: str, tags: list[str]) -> EventView:
    parsed = parse_edtf(when)
    row = {"earliest": parsed.earliest, "latest": parsed.latest, "approximate": 0,
           "uncertain": 0, "tags": tags}  # fmt: skip
    return EventView(row, [], [], [])


@settings(deadline=None)  # the EDTF library parses an interval in milliseconds, more on a busy host
@given(
    st.dates(min_value=date(1997, 1, 4), max_value=date(2030, 12, 27)),
    st.sampled_from([1, 2, 3]),
)
def test_every_acled_date_and_precision_comes_back(day: date, precision: int) -> None:
    when, _, _ = acled.edtf_for(day, precision)
    tags = [f"event_date:{day.isoformat()}"] if precision == 3 else []
    view = _view(when, tags)
    assert conflict.acled_precision(view) == precision
    assert conflict._coded_day(view, conflict._fields(view)) == day


# --- later releases -----------------------------------------------------------------


def test_a_later_release_corrects_reranks_and_adds(store_path: Path) -> None:
    imported(store_path, FIRST)
    first_head = log_size(store_path)
    assert imported(store_path, SECOND) == [
        "acled_release2.csv: 4 rows, 1 added, 2 corrected, 1 unchanged, 0 retracted (8 entries)"
    ]
    with Store.open(store_path) as store:
        conn = store.conn
        history = queries.history(conn, "ev:acled:MLI33002")
        tolls = conn.execute(
            "SELECT c.best, c.rank, r.reason FROM claims c LEFT JOIN history r "
            "ON r.event_id = c.event_id AND r.type = 'claim.ranked' "
            "WHERE c.event_id = 'ev:acled:MLI33001' ORDER BY c.asserted_seq"
        ).fetchall()
        then = queries.show(conn, "ev:acled:MLI33002", first_head)
        now = queries.show(conn, "ev:acled:MLI33002")
    corrections = [h for h in history if h["type"] == "event.corrected"]
    assert len(corrections) == 1
    assert corrections[0]["reason"] == (
        "ACLED release acled_release2.csv (2024-08-08) changes title, location, "
        "coded fields (timestamp)"
    )
    assert [(best, rank) for best, rank, _ in tolls] == [(20, "deprecated"), (42, "normal")]
    assert "gives 42 killed instead of 20" in tolls[0][2]
    assert then.event["place"] == "Tinzaouaten" and now.event["place"] == "In Afarak"
    # the same release again adds nothing
    assert imported(store_path, SECOND)[0].endswith(
        "0 added, 0 corrected, 4 unchanged, 0 retracted (0 entries)"
    )


def test_as_of_the_first_import_shows_the_first_release(store_path: Path) -> None:
    imported(store_path, FIRST)
    head = log_size(store_path)
    imported(store_path, SECOND)
    assert acled_rows(store_path, "--as-of", str(head))["MLI33001"]["fatalities"] == "20"
    assert acled_rows(store_path)["MLI33001"]["fatalities"] == "42"


def test_without_retract_missing_a_dropped_event_is_kept(store_path: Path) -> None:
    imported(store_path, FIRST)
    kept = imported(store_path, SECOND)
    assert kept[0].endswith("0 retracted (8 entries)")
    assert set(acled_rows(store_path)) >= {"MLI33004", "NER9001"}


def test_retract_missing_retracts_what_the_release_dropped(store_path: Path) -> None:
    imported(store_path, FIRST)
    line = imported(store_path, SECOND, extra=("--retract-missing",))[0]
    assert line.endswith("1 retracted (9 entries)")
    rows = acled_rows(store_path)
    assert "MLI33004" not in rows  # Mali, July 2024: covered and gone
    assert "NER9001" in rows  # Niger: the new file says nothing about it
    with Store.open(store_path) as store:
        reason = store.conn.execute(
            "SELECT reason FROM history WHERE event_id = 'ev:acled:MLI33004' "
            "AND type = 'event.retracted'"
        ).fetchone()[0]
    assert "covers Mali from 2024-07-01 to 2024-07-31" in reason


# --- bad rows -----------------------------------------------------------------------


def _broken(tmp_path: Path, column: str, value: str | None) -> Path:
    text = FIRST.read_text("utf-8").splitlines()
    header = text[0].split(",")
    rows = list(csv.reader(text[1:]))
    if value is None:  # the row stops before that column
        rows[2] = rows[2][: header.index(column)]
    else:
        rows[2][header.index(column)] = value
    out = tmp_path / "broken.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return out


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("latitude", None, "row 4, column latitude: missing"),
        ("event_date", "sometime in July", "row 4, column event_date: 'sometime in July' is not"),
        ("latitude", "91.5", "row 4, column latitude: 91.5 is out of range"),
        ("longitude", "east", "row 4, column longitude: 'east' is not a number"),
        ("fatalities", "dozens", "row 4, column fatalities: 'dozens' is not a number"),
        ("fatalities", "-3", "row 4, column fatalities: '-3' is not a count"),
        ("time_precision", "4", "row 4, column time_precision: 4 is not one of 1–3"),
    ],
)
def test_a_bad_row_is_one_line_and_nothing_is_written(
    store_path: Path, tmp_path: Path, column: str, value: str | None, message: str
) -> None:
    imported(store_path, DATA / "ged_release.csv")
    before = log_size(store_path)
    result = run(store_path, "import", str(_broken(tmp_path, column, value)))
    assert result.code == 1
    assert result.err.count("\n") == 1 and message in result.err
    assert result.err.startswith("error: broken.csv, row 4, column ")
    assert log_size(store_path) == before


def test_a_missing_column_is_refused_by_name(store_path: Path, tmp_path: Path) -> None:
    text = FIRST.read_text("utf-8").replace("fatalities", "deaths", 1)
    (tmp_path / "nofat.csv").write_text(text, "utf-8")
    result = run(store_path, "import", str(tmp_path / "nofat.csv"), "--format", "acled")
    assert result.code == 1
    assert result.err == "error: nofat.csv, row 1: no column fatalities (ACLED files have it)\n"


def test_a_bad_row_late_in_the_file_leaves_nothing(store_path: Path, tmp_path: Path) -> None:
    text = SECOND.read_text("utf-8").rstrip("\n") + "\n" + "x," * 30 + "x\n"
    (tmp_path / "late.csv").write_text(text, "utf-8")
    imported(store_path, FIRST)
    before = log_size(store_path)
    result = run(store_path, "import", str(tmp_path / "late.csv"))
    assert result.code == 1 and "row 6, column event_date" in result.err
    assert log_size(store_path) == before


# --- out again ------------------------------------------------------------------------

ROUND_TRIP = (
    "event_id_cnty", "event_date", "time_precision", "actor1", "assoc_actor_1", "actor2",
    "assoc_actor_2", "location", "latitude", "longitude", "fatalities",
)  # fmt: skip


def _source_rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {r["event_id_cnty"]: r for r in csv.DictReader(handle)}


def _same(ours: dict[str, str], theirs: dict[str, str]) -> None:
    for column in ROUND_TRIP:
        mine, given_ = ours[column], theirs[column]
        if column in ("latitude", "longitude"):
            assert float(mine) == float(given_), column
        elif column == "event_date":
            assert datetime.strptime(mine, "%d %B %Y") == datetime.strptime(given_, "%d %B %Y")
        else:
            assert mine == given_, (column, mine, given_)


def test_round_trip_gives_back_every_event(store_path: Path) -> None:
    imported(store_path, FIRST)
    ours = acled_rows(store_path)
    theirs = _source_rows(FIRST)
    assert set(ours) == set(theirs)
    for key, row in theirs.items():
        _same(ours[key], row)
    imported(store_path, SECOND)
    ours = acled_rows(store_path)
    for key, row in _source_rows(SECOND).items():
        _same(ours[key], row)  # the corrected values


def test_a_script_written_for_acleds_files_reads_ours(store_path: Path, tmp_path: Path) -> None:
    """What an analyst's script does with an ACLED download, done on our export."""
    run(store_path, "init")
    imported(store_path, FIRST)
    out = tmp_path / "export.csv"
    result = run(store_path, "export", "timeline", "--format", "acled-csv", "-o", str(out))
    assert result.code == 0, result.err
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == list(acled.COLUMNS)
        frame = list(reader)
    by_type: dict[str, int] = {}
    for row in frame:
        when = datetime.strptime(row["event_date"], "%d %B %Y")
        assert int(row["year"]) == when.year and row["time_precision"] in {"1", "2", "3"}
        by_type[row["event_type"]] = by_type.get(row["event_type"], 0) + int(row["fatalities"])
        if row["latitude"]:
            assert -90 <= float(row["latitude"]) <= 90
    assert by_type["Battles"] == 20 + 47 + 5
    battle = next(r for r in frame if r["event_id_cnty"] == "ev:2024-07-battle-of-tinzaouaten")
    assert (battle["actor1"], battle["assoc_actor_1"]) == ("Malian armed forces", "Wagner Group")
    assert (battle["actor2"], battle["assoc_actor_2"]) == ("CSP-DPA", "JNIM")


def test_the_files_own_encoding_issues_are_one_line(store_path: Path, tmp_path: Path) -> None:
    raw = FIRST.read_bytes().replace(b"Tinzaouaten", "Tinzaouat\xe9n".encode("latin-1"), 1)
    (tmp_path / "latin.csv").write_bytes(raw)
    result = run(store_path, "import", str(tmp_path / "latin.csv"), "--format", "acled")
    assert result.code == 1 and "not UTF-8" in result.err
    assert result.err.count("\n") == 1


def test_the_export_writer_shows_sides_everywhere(store_path: Path) -> None:
    imported(store_path, FIRST)
    with Store.open(store_path) as store:
        out = io.BytesIO()
        exports.write_export(store.conn, "timeline", "markdown", out)
    assert "Wagner Group (side A)" in out.getvalue().decode()


def test_release_date_defaults_to_the_latest_timestamp(store_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    shutil.copy(SECOND, copy)
    imported(store_path, copy)
    with Store.open(store_path) as store:
        published = store.conn.execute(
            "SELECT published FROM sources WHERE publisher = 'ACLED'"
        ).fetchone()[0]
    stamp = datetime(1970, 1, 1) + timedelta(seconds=1723075200)
    assert published == stamp.date().isoformat()


def test_the_apps_detail_pane_shows_the_sides(store_path: Path) -> None:
    imported(store_path, FIRST)

    async def scenario(app, pilot) -> None:
        await press(pilot, "G")
        assert app.detail.detail.event["event_id"] == "ev:acled:MLI33001"
        text = screen_text(app)
        assert "Wagner Group (side A)" in text and "(side B)" in text

    drive(new_app(store_path), scenario, size=(160, 50))


# --- the benchmark's synthetic releases ---------------------------------------------------

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_the_benchmark_imports_a_synthetic_release_and_its_next(tmp_path: Path) -> None:
    """The dataset benchmark runs end to end at a small size and counts every row."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "datasets.py"), "--rows", "300", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=BENCHMARKS, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "datasets-300.json").read_text("utf-8"))
    first, second = report["full"]["first_release"], report["full"]["next_release"]
    assert first["summary"].startswith("acled-300.csv: 300 rows, 300 added, 0 corrected")
    assert ", 3 added," in second["summary"] and "0 retracted" in second["summary"]
    assert int(second["summary"].split(" corrected")[0].rsplit(" ", 1)[1]) > 0
    assert first["rows_per_second"] > 0 and report["memory_ratio"] > 0
    assert "rows/s" in done.stdout


def test_synthetic_rows_read_as_acled(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import acled_rows
    finally:
        sys.path.remove(str(BENCHMARKS))
    out = io.StringIO()
    assert acled_rows.write(out, 200, 3) == 200
    again = io.StringIO()
    acled_rows.write(again, 200, 3)
    assert out.getvalue() == again.getvalue()  # a pure function of size and seed
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["time_precision"] for r in rows} == {"1", "2", "3"}
    assert any(r["actor2"] == "" for r in rows) and any(":" in r["actor1"] for r in rows)
    for number, row in enumerate(rows, start=2):
        event = acled.read_event([row])
        assert event.key == row["event_id_cnty"], number
