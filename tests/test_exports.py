"""Streamed exports: every WHAT as csv/json/ndjson, and the chronology formats.

Each format is read back by a real reader (the csv and json modules, a CommonMark
renderer, an HTML parser) and compared with what the queries say, on the seed
store plus entries whose text is markup, CSV syntax and terminal escapes.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import stat
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from export_samples import (
    ACTOR_NAME,
    ESC,
    QUOTE,
    SOURCE_TITLE,
    SUMMARY,
    TITLE,
    build_store,
    corrected_at,
    export_text,
)
from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from chronicle import exports, queries, wording
from chronicle.exporters import rows as export_rows
from chronicle.exporters.text import esc, flat, md
from chronicle.render import has_control, printable
from chronicle.store import Store

BATTLE = "ev:2024-07-battle-of-tinzaouaten"
# Pieces of markup syntax, so that generated text holds them far more often than chance.
SYNTAX = (
    "&amp;", "&#35;", "&", "**", "__", "*", "_", "[", "](", ")", "<", ">", "<b>", "</b>", "`",
    "\\", "#", "- ", "+ ", "1. ", "2) ", "> ", "|", "~~", "!", "=", "---", "<http://x>",
    "\n", "\r", " ", "\t", "\x1b", "\u202e", "\"", "'",
)  # fmt: skip
MARKUP_TEXT = st.lists(
    st.sampled_from(SYNTAX)
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=3),
    max_size=12,
).map("".join)
TEST_TAG = queries.TimelineFilter(tags=["test"])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = build_store(tmp_path_factory.mktemp("exports") / "store.db")
    yield store
    store.close()


@pytest.fixture(scope="module")
def conn(store: Store):
    return store.conn


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _cell(value) -> str:
    """What the CSV export should write for a value read from the queries."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list | dict):
        return printable(json.dumps(value, ensure_ascii=False))
    return printable(str(value))


# --- tabular formats ----------------------------------------------------------------------


EXPECTED_ROWS = {
    "timeline": lambda c: list(queries.timeline(c)),
    "claims": lambda c: queries.claims(c),
    "disputes": lambda c: queries.disputes(c),
    "sources": lambda c: list(queries.sources(c)),
    "entities": lambda c: list(queries.entities(c)),
    "history": lambda c: list(queries.iter_history(c)),
}


@pytest.mark.parametrize("what", sorted(EXPECTED_ROWS))
def test_csv_has_the_rows_the_queries_give(conn, what: str) -> None:
    expected = EXPECTED_ROWS[what](conn)
    got = _csv(export_text(conn, what, "csv"))
    assert len(got) == len(expected) > 0
    columns = list(got[0])
    assert [{c: _cell(r[c]) for c in columns} for r in expected] == got


def test_csv_of_a_past_timeline_has_the_rows_the_query_gives(conn) -> None:
    before = corrected_at(conn) - 1
    expected = list(queries.timeline(conn, None, before))
    got = _csv(export_text(conn, "timeline", "csv", as_of=before))
    assert [{c: _cell(r[c]) for c in got[0]} for r in expected] == got


def test_an_export_leaves_the_connection_mapped_as_it_found_it(conn) -> None:
    before = conn.execute("PRAGMA mmap_size").fetchone()[0]
    export_text(conn, "timeline", "csv")
    assert conn.execute("PRAGMA mmap_size").fetchone()[0] == before


@pytest.mark.parametrize("what", sorted(EXPECTED_ROWS))
def test_json_and_ndjson_hold_the_same_rows(conn, what: str) -> None:
    expected = json.loads(json.dumps(EXPECTED_ROWS[what](conn)))
    for row in expected if what == "timeline" else ():
        row["tags"] = json.loads(row["tags"])  # a list in JSON, as in every JSON row
    assert json.loads(export_text(conn, what, "json")) == expected
    lines = export_text(conn, what, "ndjson").splitlines()
    assert [json.loads(line) for line in lines] == expected


def test_events_include_retracted_ones_with_members(conn) -> None:
    rows = json.loads(export_text(conn, "events", "json"))
    by_id = {r["event_id"]: r for r in rows}
    assert by_id["ev:approx"]["status"] == "retracted"
    assert "ev:approx" not in {r["event_id"] for r in queries.timeline(conn)}
    hostile = by_id["ev:hostile"]
    assert [(a["entity_id"], a["role"]) for a in hostile["actors"]] == [
        ("actor:alpha", "attacker"),
        ("actor:beta", "defender"),
    ]
    assert hostile["citations"][0]["quote"] == QUOTE
    assert hostile["tags"] == ["<b>tag</b>", "test"]


def test_log_rows_are_the_interchange_format(store: Store) -> None:
    rows = json.loads(export_text(store.conn, "log", "json"))
    assert rows == list(store.entries())
    table = _csv(export_text(store.conn, "log", "csv"))
    assert [int(r["seq"]) for r in table] == list(range(1, store.head()[0] + 1))
    assert json.loads(table[0]["data"]) == rows[0]["data"]


def test_csv_keeps_commas_quotes_and_newlines(conn) -> None:
    row = next(
        r for r in _csv(export_text(conn, "timeline", "csv")) if r["event_id"] == "ev:hostile"
    )
    assert row["title"] == TITLE + " (v2)"
    assert row["summary"] == printable(SUMMARY)
    assert row["place"] == "Gamma | Town # 1"


def test_no_format_lets_a_control_character_through(conn) -> None:
    for fmt in exports.FORMATS:
        if fmt == "sqlite":
            continue
        what = "timeline" if fmt in exports.CHRONOLOGIES else "events"
        text = export_text(conn, what, fmt)
        assert ESC not in text and "\u202e" not in text, fmt


@given(st.lists(MARKUP_TEXT | st.text(), min_size=1, max_size=4))
def test_csv_cells_read_back_as_the_printable_text(values: list[str]) -> None:
    from chronicle.exporters.tabular import write_csv
    from chronicle.exporters.text import spreadsheet_safe

    columns = [f"c{i}" for i in range(len(values))]
    out = io.StringIO()
    write_csv(out, columns, [values])
    (row,) = _csv(out.getvalue())
    assert list(row.values()) == [spreadsheet_safe(printable(v)) for v in values]
    raw = io.StringIO()
    write_csv(raw, columns, [values], safe=False)
    (row,) = _csv(raw.getvalue())
    assert list(row.values()) == [printable(v) for v in values]


# Cell values of every kind a row may hold, mostly the plain ones a query returns.
PLAIN_VALUE = MARKUP_TEXT | st.integers() | st.none()
ODD_VALUE = (
    st.floats() | st.booleans() | st.binary(max_size=3) | st.lists(MARKUP_TEXT, max_size=2)
    | st.dictionaries(st.text(max_size=2), MARKUP_TEXT, max_size=2)
)  # fmt: skip
CSV_COLUMNS = ("a", "b", "c")


def _csv_cell_by_cell(columns: tuple[str, ...], rows: list[list]) -> str:
    """What the CSV export writes, one cell at a time: ``cell``, then spreadsheet-safe text."""
    from chronicle.exporters.text import cell, sheet_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([sheet_cell(cell(v), True) for v in values] for values in rows)
    return out.getvalue()


@given(
    st.integers(1, 3).flatmap(
        lambda width: st.lists(
            st.lists(
                st.one_of(PLAIN_VALUE, PLAIN_VALUE, ODD_VALUE), min_size=width, max_size=width
            ),
            max_size=9,
        )
    ),
    st.integers(1, 4),
)
@example([["two\nlines", 1], ["plain", None]], 4)
@example([["a, b", ""], ['say "x"', "\xa0\t"]], 4)
@example([["x", 2, None], ["\x1b[2J", None, "\u202e"], [None, True, 1.0]], 2)
@example([[""], [None], ["x"]], 2)
def test_csv_writes_each_row_as_its_cells_make_it(rows: list[list], batch: int) -> None:
    from chronicle.exporters.tabular import write_csv

    columns = CSV_COLUMNS[: len(rows[0]) if rows else 1]
    out = io.StringIO()
    write_csv(out, columns, rows, batch=batch)
    assert out.getvalue() == _csv_cell_by_cell(columns, rows)


def test_csv_takes_a_missing_value_as_an_empty_cell() -> None:
    assert export_rows.values_in(("a", "b"))({"a": 1, "b": 2}) == (1, 2)
    assert list(export_rows.values_in(("a", "b"))({"b": 2})) == [None, 2]
    assert export_rows.values_in(("a",))({"a": 1}) == (1,)


def test_csv_escapes_a_control_character_among_plain_rows() -> None:
    from chronicle.exporters.tabular import write_csv

    rows = [[f"row {i}", i] for i in range(10)]
    rows[7][0] = "\x1b[2Jrow 7\r"
    out = io.StringIO()
    write_csv(out, ("a", "b"), rows, batch=4)
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()
    assert [r["a"] for r in _csv(out.getvalue())][6:8] == ["row 6", "\\x1b[2Jrow 7\\x0d"]


@given(MARKUP_TEXT | st.text())
def test_has_control_is_whether_printable_changes_the_text(text: str) -> None:
    assert has_control(text) == (printable(text) != text)


@given(st.text())
def test_json_text_round_trips_and_escapes_what_a_terminal_obeys(text: str) -> None:
    from chronicle.exporters.text import json_text

    encoded = json_text({"t": text})
    assert json.loads(encoded) == {"t": text}
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", encoded)


# --- as-of and filters ------------------------------------------------------------------


def test_as_of_shows_the_title_before_the_correction(conn) -> None:
    before = corrected_at(conn) - 1
    rows = json.loads(export_text(conn, "timeline", "json", as_of=before))
    titles = {r["event_id"]: r["title"] for r in rows}
    assert titles["ev:hostile"] == TITLE
    assert [r["event_id"] for r in rows] == queries.timeline_ids(conn, None, before)
    now = json.loads(export_text(conn, "timeline", "json"))
    assert {r["event_id"]: r["title"] for r in now}["ev:hostile"] == TITLE + " (v2)"


def _exported_events(text: str, fmt: str) -> list[str]:
    """The events an export holds, in its order: ids where the format has them, else titles."""
    if fmt == "csv":
        return [r["event_id"] for r in _csv(text)]
    if fmt == "acled-csv":
        return [r["event_id_cnty"] for r in _csv(text)]
    if fmt == "ucdp-csv":
        return [r["id"] for r in _csv(text)]
    if fmt == "json":
        return [r["event_id"] for r in json.loads(text)]
    if fmt == "ndjson":
        return [json.loads(line)["event_id"] for line in text.splitlines()]
    if fmt == "markdown":
        return re.findall(r"^\*?.* · `(ev:[^`]+)`$", text, re.M)
    if fmt == "html":
        return [a["id"] for t, a in _page(text).tags if t == "article"]
    if fmt == "timelinejs":
        return [s["unique_id"] for s in json.loads(text)["events"]]
    rows = list(csv.DictReader(io.StringIO(text)))  # timelinejs-csv: no id column
    return [r["Headline"] for r in rows if r["Type"] != "title"]  # plain text


STREAMED = [f for f in exports.FORMATS if f != "sqlite"]


@pytest.mark.parametrize("fmt", STREAMED)
def test_every_format_follows_the_filter_and_the_as_of(conn, fmt: str) -> None:
    asserted = conn.execute(
        "SELECT seq FROM log WHERE subject = 'ev:2024-07-26-fighting-resumes' ORDER BY seq"
    ).fetchone()[0]
    key = "title" if fmt == "timelinejs-csv" else "event_id"
    for flt, as_of in (
        (queries.TimelineFilter(tags=["battle"]), None),
        (queries.TimelineFilter(search="Tinzaouaten"), asserted - 1),
        (None, None),
    ):
        expected = [r[key] for r in queries.timeline(conn, flt, as_of)]
        got = _exported_events(export_text(conn, "timeline", fmt, flt=flt, as_of=as_of), fmt)
        assert got == expected and got, (fmt, flt, as_of)
    then = _exported_events(export_text(conn, "timeline", fmt, as_of=asserted - 1), fmt)
    assert "ev:2024-07-26-fighting-resumes" not in then


def test_as_of_applies_to_log_sources_and_entities(store: Store) -> None:
    seq = corrected_at(store.conn) - 1
    log = [
        json.loads(line)
        for line in export_text(store.conn, "log", "ndjson", as_of=seq).splitlines()
    ]
    assert [e["seq"] for e in log] == list(range(1, seq + 1))
    first_test_seq = store.conn.execute(
        "SELECT min(seq) FROM log WHERE id LIKE 'test-%'"
    ).fetchone()[0]
    sources = json.loads(export_text(store.conn, "sources", "json", as_of=first_test_seq - 1))
    assert "src:hostile" not in {s["source_id"] for s in sources}
    entities = json.loads(export_text(store.conn, "entities", "json"))
    assert {e["entity_id"]: e for e in entities}["place:gamma"]["aliases"] == ["Gammatown"]


def test_filters_narrow_every_event_export(conn) -> None:
    flt = queries.TimelineFilter(tags=["battle"])
    kept = set(queries.timeline_ids(conn, flt))
    assert kept and BATTLE in kept
    for what in ("timeline", "claims", "disputes", "history"):
        rows = json.loads(export_text(conn, what, "json", flt=flt))
        assert rows and {r["event_id"] for r in rows} <= kept, what
    claims = json.loads(export_text(conn, "claims", "json", flt=flt))
    assert len(claims) == sum(len(queries.claims(conn, e)) for e in kept)


def test_filters_follow_the_timeline_for_search_and_place(conn) -> None:
    flt = queries.TimelineFilter(search="Tinzaouatene", places=["Tin Zaouatine"])
    ids = [r["event_id"] for r in json.loads(export_text(conn, "timeline", "json", flt=flt))]
    assert ids == queries.timeline_ids(conn, flt) and BATTLE in ids


def test_combinations_without_meaning_are_refused() -> None:
    with pytest.raises(exports.ExportError, match="chronology"):
        exports.check("claims", "markdown")
    with pytest.raises(exports.ExportError, match="cannot be filtered"):
        exports.check("sources", "csv", queries.TimelineFilter(tags=["x"]))
    with pytest.raises(exports.ExportError, match="not sqlite"):
        exports.check("log", "sqlite")
    with pytest.raises(exports.ExportError, match="give it a path"):
        exports.write_export(None, "timeline", "sqlite", io.BytesIO())  # type: ignore[arg-type]


# --- Markdown -----------------------------------------------------------------------------


def _rendered(conn, **kwargs) -> str:
    return MarkdownIt("commonmark").render(export_text(conn, "timeline", "markdown", **kwargs))


def test_markdown_is_a_chronology_grouped_by_year(conn) -> None:
    text = export_text(conn, "timeline", "markdown", title="Mali, 2012–2024")
    assert text.startswith("# Mali, 2012–2024\n")
    years = re.findall(r"^## (\d{4})$", text, re.M)
    assert years == sorted(set(years)) and {"2012", "2023", "2024"} <= set(years)
    rows = list(queries.timeline(conn))
    assert len(re.findall(r"^### ", text, re.M)) == len(rows)
    assert text.rstrip().endswith(f"*{len(rows)} events*")


def test_markdown_states_disputes_and_numbers_citations(conn) -> None:
    text = export_text(conn, "timeline", "markdown")
    battle = text.split("Battle of Tinzaouaten", 1)[1].split("\n### ", 1)[0]
    disputed = [line for line in battle.splitlines() if line.startswith("- **Disputed, killed")]
    assert any("JNIM says 50" in line and "says 2" in line for line in disputed)
    sources = battle.split("Sources:", 1)[1]
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", sources, re.M)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 3
    assert "Tin Zaouatine" in sources and "Tinzaouatene" in sources


def test_markdown_renders_hostile_text_as_text(conn) -> None:
    page = _rendered(conn, flt=TEST_TAG)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert not re.search(r'href="javascript', page)
    assert html.escape(flat(TITLE), quote=False) in page.replace("&quot;", '"')
    assert "<strong>bold</strong>" not in page
    assert 'href="https://example.org/report?a=1&amp;b=%3C2%3E"' in page


@given(MARKUP_TEXT)
def test_markdown_escaping_renders_exactly_the_text(text: str) -> None:
    rendered = MarkdownIt("commonmark").render(md(text))
    expected = flat(text)
    if not expected:
        assert rendered == ""
        return
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n")
    assert html.unescape(rendered[3:-5]) == expected


# --- HTML ----------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collects the tags, attributes and text of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data) -> None:
        self.text.append(data)


def _page(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
    "figure", "svg", "rect", "text", "path", "circle", "figcaption", "main", "section",
    "article", "ul", "li",
    "ol", "a", "span", "footer",
}  # fmt: skip


def test_html_is_self_contained_and_holds_only_its_own_markup(conn) -> None:
    text = export_text(conn, "timeline", "html")
    page = _page(text)
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    for tag, attrs in page.tags:
        assert "src" not in attrs and not any(k.startswith("on") for k in attrs), tag
        if tag == "a":
            assert attrs["href"].startswith(("http://", "https://"))
    assert "url(" not in text and "@import" not in text
    csp = next(a for t, a in page.tags if t == "meta" and a.get("http-equiv"))
    assert "default-src 'none'" in csp["content"]


def test_html_has_every_event_the_chart_and_the_disputes(conn) -> None:
    text = export_text(conn, "timeline", "html")
    page = _page(text)
    articles = [a["id"] for t, a in page.tags if t == "article"]
    assert articles == queries.timeline_ids(conn)
    counts = dict(queries.density(conn))
    bars = [t for t, _ in page.tags if t == "rect"]
    years = [int(y) for y in counts]
    assert len(bars) == max(years) - min(years) + 1
    assert f"2024: {counts['2024']} events" in "".join(page.text)
    body = "".join(page.text)
    assert "Disputed, killed (Wagner Group): " in body and "JNIM says 50" in body


def test_html_shows_hostile_text_as_text(conn) -> None:
    page = _page(export_text(conn, "timeline", "html", flt=TEST_TAG))
    body = "".join(page.text)
    for expected in (TITLE, SOURCE_TITLE, ACTOR_NAME, QUOTE, "<img src=x onerror=alert(1)>"):
        assert expected in body
    assert printable(SUMMARY) in body
    hrefs = [a.get("href") for t, a in page.tags if t == "a"]
    assert "javascript:alert(1)" not in hrefs


def test_html_chart_follows_the_filter(conn) -> None:
    page = _page(export_text(conn, "timeline", "html", flt=TEST_TAG))
    assert [t for t, _ in page.tags].count("rect") == 1  # every test event is in 2030
    assert "2030: 4 events" in "".join(page.text)


@given(MARKUP_TEXT)
def test_html_escaping_gives_back_the_printable_text(text: str) -> None:
    page = _page(f"<p>{esc(text)}</p>")
    assert [t for t, _ in page.tags] == ["p"]
    assert "".join(page.text) == printable(text)


# --- TimelineJS ----------------------------------------------------------------------------

DATE_KEYS = {"year", "month", "day", "hour", "minute", "second", "millisecond", "display_date"}
SLIDE_KEYS = {
    "start_date", "end_date", "text", "media", "group", "display_date", "background",
    "autolink", "unique_id",
}  # fmt: skip


def _date(d: dict) -> date:
    return date(d["year"], d.get("month", 1), d.get("day", 1))


def check_timelinejs(data: dict) -> None:
    """The structure TimelineJS3 documents for its JSON: a title slide, events, scale."""
    assert set(data) <= {"events", "title", "eras", "scale"}
    assert data.get("scale", "human") in ("human", "cosmological")
    assert isinstance(data["title"]["text"]["headline"], str)
    assert isinstance(data["events"], list)
    ids = [slide["unique_id"] for slide in data["events"]]
    assert len(ids) == len(set(ids))
    for slide in data["events"]:
        assert set(slide) <= SLIDE_KEYS
        for key in ("start_date", "end_date"):
            if key in slide:
                assert set(slide[key]) <= DATE_KEYS and isinstance(slide[key]["year"], int)
                assert "day" not in slide[key] or "month" in slide[key]
                _date(slide[key])  # a real calendar date
        if "end_date" in slide:
            assert _date(slide["end_date"]) >= _date(slide["start_date"])
        assert isinstance(slide["text"]["headline"], str) and isinstance(slide["text"]["text"], str)
        assert isinstance(slide.get("group", ""), str)
        assert isinstance(slide["display_date"], str)


def test_timelinejs_has_the_documented_structure(conn) -> None:
    data = json.loads(export_text(conn, "timeline", "timelinejs", title="Mali"))
    check_timelinejs(data)
    rows = list(queries.timeline(conn))
    assert [s["unique_id"] for s in data["events"]] == [r["event_id"] for r in rows]
    assert [s["display_date"] for s in data["events"]] == [r["display"] for r in rows]
    assert data["title"]["text"]["headline"] == "Mali"


def test_timelinejs_dates_keep_the_precision_known(conn) -> None:
    data = json.loads(export_text(conn, "timeline", "timelinejs", flt=TEST_TAG))
    slides = {s["unique_id"]: s for s in data["events"]}
    assert slides["ev:year"]["start_date"] == {"year": 2030} and "end_date" not in slides["ev:year"]
    assert slides["ev:month"]["start_date"] == {"year": 2030, "month": 6}
    assert slides["ev:days"]["start_date"] == {"year": 2030, "month": 7, "day": 1}
    assert slides["ev:days"]["end_date"] == {"year": 2030, "month": 7, "day": 3}
    assert slides["ev:hostile"]["start_date"] == {"year": 2030, "month": 5, "day": 3}
    seeds = {
        s["unique_id"]: s for s in json.loads(export_text(conn, "timeline", "timelinejs"))["events"]
    }
    assert seeds[BATTLE]["start_date"]["day"] == 25 and seeds[BATTLE]["end_date"]["day"] == 27


def test_timelinejs_text_is_escaped_html_and_groups_follow_the_choice(conn) -> None:
    by_place = json.loads(export_text(conn, "timeline", "timelinejs", flt=TEST_TAG))
    hostile = next(s for s in by_place["events"] if s["unique_id"] == "ev:hostile")
    assert hostile["text"]["headline"] == html.escape(TITLE + " (v2)")
    assert hostile["group"] == "Gamma | Town # 1"
    assert "<script>" not in hostile["text"]["text"]
    assert html.escape(QUOTE) in hostile["text"]["text"]
    by_tag = json.loads(export_text(conn, "timeline", "timelinejs", flt=TEST_TAG, group_by="tag"))
    tag_group = {s["unique_id"]: s["group"] for s in by_tag["events"]}["ev:hostile"]
    # TimelineJS decodes the group once (its markup stripper), then sets it as HTML
    assert tag_group == html.escape(html.escape("<b>tag</b>"))


def test_timelinejs_csv_has_the_spreadsheet_columns(conn) -> None:
    table = list(csv.reader(io.StringIO(export_text(conn, "timeline", "timelinejs-csv"))))
    header, title, *events = table
    assert header == [
        "Year", "Month", "Day", "Time", "End Year", "End Month", "End Day", "End Time",
        "Display Date", "Headline", "Text", "Media", "Media Credit", "Media Caption",
        "Media Thumbnail", "Type", "Group", "Background",
    ]  # fmt: skip
    assert title[header.index("Type")] == "title"
    slides = json.loads(export_text(conn, "timeline", "timelinejs"))["events"]
    assert len(events) == len(slides)
    for row, slide in zip(events, slides, strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["Year"] == str(slide["start_date"]["year"])
        assert cells["Month"] == str(slide["start_date"].get("month", ""))
        assert cells["End Day"] == str(slide.get("end_date", {}).get("day", ""))
        assert cells["Headline"] == html.unescape(slide["text"]["headline"])  # plain text
        assert cells["Group"] == html.unescape(html.unescape(slide.get("group", "")))
        assert cells["Display Date"] == slide["display_date"]


# --- conflict-data conventions -----------------------------------------------------------------


def _by_id(text: str, key: str) -> dict[str, dict[str, str]]:
    return {r[key]: r for r in _csv(text)}


def test_acled_reduces_disputed_figures_to_the_most_conservative(conn) -> None:
    rows = _by_id(export_text(conn, "timeline", "acled-csv", flt=TEST_TAG), "event_id_cnty")
    hostile = rows["ev:hostile"]
    # Beta's dead: 50 or 2, so 2; Alpha's dead: 20 to 80, so 20.
    assert hostile["fatalities"] == "22"
    assert 'Alpha "A", <b>Co</b> says 50' in hostile["notes"] and "Beta says 2" in hostile["notes"]
    assert "says 50 (reported by Plain report; ranked preferred)" in hostile["notes"]
    # no side is known: the first actor alone, the second column left empty, no guess
    assert (hostile["actor1"], hostile["actor2"]) == (ACTOR_NAME, "")
    assert "Other actors: Beta" in hostile["notes"]
    assert hostile["location"] == "Gamma | Town # 1" and SOURCE_TITLE in hostile["source"]
    assert rows["ev:year"]["fatalities"] == "0"


def test_acled_time_precision_follows_the_date(conn) -> None:
    rows = _by_id(export_text(conn, "timeline", "acled-csv", flt=TEST_TAG), "event_id_cnty")
    codes = {k: (rows[k]["event_date"], rows[k]["time_precision"]) for k in rows}
    assert codes["ev:hostile"] == ("03 May 2030", "1")
    assert codes["ev:days"] == ("02 July 2030", "2")
    assert codes["ev:month"] == ("15 June 2030", "3")
    assert codes["ev:year"][1] == "3"
    battle = _by_id(export_text(conn, "timeline", "acled-csv"), "event_id_cnty")[BATTLE]
    assert battle["time_precision"] == "2" and "JNIM says 50" in battle["notes"]


def test_ucdp_has_bounds_precision_and_low_best_high(conn) -> None:
    rows = _by_id(export_text(conn, "timeline", "ucdp-csv", flt=TEST_TAG), "id")
    hostile = rows["ev:hostile"]
    assert (hostile["date_start"], hostile["date_end"], hostile["date_prec"]) == (
        "2030-05-03", "2030-05-03", "1",
    )  # fmt: skip
    # low: 2 + 20; high: 50 + 80; best: the preferred 50 + Alpha's lowest 20.
    assert (hostile["low"], hostile["best"], hostile["high"]) == ("22", "70", "130")
    assert [rows[k]["date_prec"] for k in ("ev:days", "ev:month", "ev:year")] == ["2", "4", "5"]
    assert rows["ev:year"]["best"] == ""  # no claim is not a claim of zero


def test_conflict_exports_honour_as_of(conn) -> None:
    ranked = conn.execute("SELECT seq FROM log WHERE type = 'claim.ranked' AND subject = 'cl:h1'")
    before = ranked.fetchone()[0] - 1
    rows = _by_id(export_text(conn, "timeline", "ucdp-csv", flt=TEST_TAG, as_of=before), "id")
    assert rows["ev:hostile"]["best"] == "22"  # no preferred claim yet


def test_figures_read_as_people_write_them() -> None:
    figure = wording.figure
    assert figure({"best": 50.0}) == "50"
    assert figure({"low": 20, "high": 80, "value_text": "20 to 80"}) == "20–80 (“20 to 80”)"
    assert figure({"low": 3}) == "at least 3"
    assert figure({"value_text": "dozens"}) == "“dozens”"
    assert figure({"best": 2, "unit": "helicopters"}) == "2 helicopters"


def test_progress_is_told_the_count(conn, tmp_path: Path) -> None:
    seen: list[int] = []
    result = exports.export_file(
        conn, "history", "ndjson", tmp_path / "h.ndjson", progress=seen.append
    )
    assert seen[-1] == result.rows == len(list(queries.iter_history(conn)))
    assert seen == sorted(seen)
    assert result.path == tmp_path / "h.ndjson" and not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
@pytest.mark.parametrize("fmt", ["html", "sqlite"])
def test_an_output_file_gets_the_umasks_mode(conn, tmp_path: Path, umask: int, fmt: str) -> None:
    """As a file the shell makes for ``> FILE`` would: 0644 under 022, not a temporary 0600."""
    path = tmp_path / f"chronology{exports.SUFFIXES[fmt]}"
    before = os.umask(umask)
    try:
        result = exports.export_file(conn, "timeline", fmt, path)
    finally:
        os.umask(before)
    for written in filter(None, (result.path, result.metadata)):
        assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~umask, written


def test_the_export_command(store: Store, tmp_path: Path) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        command = [sys.executable, "-m", "chronicle", "--store", str(store.path), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr

    code, out, _ = run("export", "timeline", "--format", "markdown", "--tag", "battle")
    assert code == 0 and "## 2024" in out and BATTLE in out
    target = tmp_path / "t.json"
    code, _, err = run("export", "timeline", "--format", "timelinejs", "-o", str(target))
    assert code == 0 and f"to {target}" in err
    check_timelinejs(json.loads(target.read_text("utf-8")))
    code, _, err = run("export", "timeline", "--format", "sqlite")
    assert code == 2 and "needs --output" in err
    code, _, err = run("export", "sources", "--format", "csv", "--tag", "x")
    assert code == 1 and err == "error: filters select events; sources cannot be filtered\n"
    code, _, err = run("export", "timeline", "--format", "csv", "--as-of", "99999999")
    assert code == 1 and "past the end of the log" in err
