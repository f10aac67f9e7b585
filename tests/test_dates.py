"""EDTF dates: bounds, precision, qualifiers, display, loose input and their limits."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chronicle import dates
from chronicle.dates import PRECISIONS, DateBounds, DateError, overlaps, parse_edtf, parse_loose

# input, earliest, latest, precision, approximate, uncertain, display
STRICT_CASES = [
    # level 0
    ("2024-07-25", "2024-07-25", "2024-07-25", "day", False, False, "25 Jul 2024"),
    ("2024-07-05", "2024-07-05", "2024-07-05", "day", False, False, "5 Jul 2024"),
    ("2023-11", "2023-11-01", "2023-11-30", "month", False, False, "Nov 2023"),
    ("2024-02", "2024-02-01", "2024-02-29", "month", False, False, "Feb 2024"),
    ("2012", "2012-01-01", "2012-12-31", "year", False, False, "2012"),
    ("2012-07-25T10:00:00", "2012-07-25", "2012-07-25", "day", False, False, "25 Jul 2012"),
    # day intervals: days, week, a single day, longer spans
    ("2024-07-25/2024-07-27", "2024-07-25", "2024-07-27", "days", False, False, "25–27 Jul 2024"),
    (
        "2024-07-30/2024-08-02",
        "2024-07-30",
        "2024-08-02",
        "days",
        False,
        False,
        "30 Jul – 2 Aug 2024",
    ),
    (
        "2023-12-30/2024-01-02",
        "2023-12-30",
        "2024-01-02",
        "days",
        False,
        False,
        "30 Dec 2023 – 2 Jan 2024",
    ),
    ("2024-07-01/2024-07-07", "2024-07-01", "2024-07-07", "week", False, False, "1–7 Jul 2024"),
    ("2024-07-01/2024-07-08", "2024-07-01", "2024-07-08", "days", False, False, "1–8 Jul 2024"),
    ("2024-07-01/2024-07-31", "2024-07-01", "2024-07-31", "days", False, False, "1–31 Jul 2024"),
    (
        "2024-07-01/2024-08-01",
        "2024-07-01",
        "2024-08-01",
        "interval",
        False,
        False,
        "1 Jul – 1 Aug 2024",
    ),
    ("2024-07-25/2024-07-25", "2024-07-25", "2024-07-25", "day", False, False, "25 Jul 2024"),
    # other intervals, each end at its own precision
    ("2023-11/2024", "2023-11-01", "2024-12-31", "interval", False, False, "Nov 2023 – 2024"),
    ("2023-03/2023-05", "2023-03-01", "2023-05-31", "interval", False, False, "Mar–May 2023"),
    ("2012/2014", "2012-01-01", "2014-12-31", "interval", False, False, "2012–2014"),
    (
        "2011-21/2012",
        "2011-03-01",
        "2012-12-31",
        "interval",
        False,
        False,
        "spring 2011 – 2012",
    ),
    # seasons; winter runs into the next year
    ("2012-21", "2012-03-01", "2012-05-31", "season", False, False, "spring 2012"),
    ("2023-22", "2023-06-01", "2023-08-31", "season", False, False, "summer 2023"),
    ("2023-23", "2023-09-01", "2023-11-30", "season", False, False, "autumn 2023"),
    ("2023-24", "2023-12-01", "2024-02-29", "season", False, False, "winter 2023–24"),
    ("2024-24", "2024-12-01", "2025-02-28", "season", False, False, "winter 2024–25"),
    ("1999-24", "1999-12-01", "2000-02-29", "season", False, False, "winter 1999–2000"),
    ("2012-33", "2012-01-01", "2012-03-31", "season", False, False, "Q1 2012"),
    # qualifiers on the whole date: strict bounds, flags
    ("2012~", "2012-01-01", "2012-12-31", "year", True, False, "c. 2012"),
    ("2012?", "2012-01-01", "2012-12-31", "year", False, True, "2012?"),
    ("2012%", "2012-01-01", "2012-12-31", "year", True, True, "c. 2012?"),
    ("2024-07-25~", "2024-07-25", "2024-07-25", "day", True, False, "c. 25 Jul 2024"),
    ("2023-11?", "2023-11-01", "2023-11-30", "month", False, True, "Nov 2023?"),
    # qualifiers on parts (level 2)
    ("2012?-07", "2012-07-01", "2012-07-31", "month", False, True, "Jul 2012?"),
    ("?2012-07-25", "2012-07-25", "2012-07-25", "day", False, True, "25 Jul 2012?"),
    ("2004-06~-11", "2004-06-11", "2004-06-11", "day", True, False, "c. 11 Jun 2004"),
    # unspecified digits
    ("198X", "1980-01-01", "1989-12-31", "decade", False, False, "1980s"),
    ("198X~", "1980-01-01", "1989-12-31", "decade", True, False, "c. 1980s"),
    ("19XX", "1900-01-01", "1999-12-31", "century", False, False, "1900s (century)"),
    ("1XXX", "1000-01-01", "1999-12-31", "interval", False, False, "1000–1999"),
    ("2012-XX", "2012-01-01", "2012-12-31", "year", False, False, "2012"),
    ("2012-07-XX", "2012-07-01", "2012-07-31", "month", False, False, "Jul 2012"),
    ("2012-XX-XX", "2012-01-01", "2012-12-31", "year", False, False, "2012"),
    # open and unknown ends
    ("../2023", None, "2023-12-31", "interval", False, False, "until 2023"),
    ("2023/..", "2023-01-01", None, "interval", False, False, "since 2023"),
    ("2023/", "2023-01-01", None, "interval", False, False, "2023 – ?"),
    ("/2023", None, "2023-12-31", "interval", False, False, "? – 2023"),
    ("2012~/..", "2012-01-01", None, "interval", True, False, "since c. 2012"),
    ("../..", None, None, "interval", False, False, "any time"),
    # qualified intervals: the same qualifier on both ends wraps the range
    ("2012~/2014~", "2012-01-01", "2014-12-31", "interval", True, False, "c. 2012–2014"),
    ("2012~/2014", "2012-01-01", "2014-12-31", "interval", True, False, "c. 2012 – 2014"),
    (
        "2024-07-25~/2024-07-27?",
        "2024-07-25",
        "2024-07-27",
        "days",
        True,
        True,
        "c. 25 Jul 2024 – 27 Jul 2024?",
    ),
    (
        "2024-07-25%/2024-07-27%",
        "2024-07-25",
        "2024-07-27",
        "days",
        True,
        True,
        "c. 25–27 Jul 2024?",
    ),
    # surrounding whitespace is not part of the date
    ("  2012 ", "2012-01-01", "2012-12-31", "year", False, False, "2012"),
]


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "precision", "approximate", "uncertain", "display"),
    STRICT_CASES,
)
def test_parse_edtf(text, earliest, latest, precision, approximate, uncertain, display):
    b = parse_edtf(text)
    assert b == DateBounds(
        text.strip(), earliest, latest, precision, approximate, uncertain, display
    )
    assert b.precision in PRECISIONS


@pytest.mark.parametrize("text", ["2024-07-25~", "2024-07-25?", "2024-07-25%", "2024-07-~25"])
def test_a_qualified_day_is_not_widened(text):
    b = parse_edtf(text)
    assert (b.earliest, b.latest, b.precision) == ("2024-07-25", "2024-07-25", "day")


# input, a piece of the message that says what is wrong
BAD_INPUTS = [
    ("", "no date given"),
    ("   ", "no date given"),
    ("garbage", "not a valid EDTF date: 'garbage'"),
    ("2024-13", "not a valid EDTF date"),
    ("2023-02-29", "no such day: '2023-02-29'"),
    ("2024-07-27/2024-07-01", "interval end 2024-07-01 precedes its start 2024-07-27"),
    ("2024-07/2024-06", "interval end 2024-06 precedes its start 2024-07"),
    ("0000", "years outside 0001–9999"),
    ("-0100", "years outside 0001–9999"),
    ("Y17000", "years outside 0001–9999"),
    ("9999-24", "years outside 0001–9999"),
    ("0000-01-01/2024-01-01", "years outside 0001–9999"),
    ("[2012,2013]", "lists of dates are not supported"),
    ("{2012,2013}", "lists of dates are not supported"),
    ("1950S2", "significant digits"),
    ("2012-21^S", "qualified seasons"),
    ("2012-07-2X", "cannot work out the bounds of '2012-07-2X'"),
    ("2012/2012-XX", "not a valid EDTF date"),
    ("2024-07-25\n2024", "not a valid EDTF date: '2024-07-25\\n2024'"),
    ("2" * 500, "too long to be a date"),
]


@pytest.mark.parametrize(("text", "message"), BAD_INPUTS)
def test_bad_input_is_refused_in_one_line(text, message):
    with pytest.raises(DateError) as caught:
        parse_edtf(text)
    assert message in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1
    assert len(str(caught.value)) < 200


def test_date_error_is_a_value_error():
    with pytest.raises(ValueError, match="not a valid EDTF date"):
        parse_edtf("tomorrow")


def test_library_diagnostics_do_not_reach_stdout(capsys):
    with pytest.raises(DateError):
        parse_edtf("2012/2012-XX")  # the library prints before it fails on this one
    assert capsys.readouterr().out == ""


def test_results_are_cached():
    assert parse_edtf("2011-23") is parse_edtf("2011-23")


# phrase, EDTF it is read as, display
LOOSE_CASES = [
    ("25 July 2024", "2024-07-25", "25 Jul 2024"),
    ("July 25, 2024", "2024-07-25", "25 Jul 2024"),
    ("the 25th of July 2024", "2024-07-25", "25 Jul 2024"),
    ("14 Nov 2023", "2023-11-14", "14 Nov 2023"),
    ("Jul 2024", "2024-07", "Jul 2024"),
    ("July 2024", "2024-07", "Jul 2024"),
    ("Nov 2023", "2023-11", "Nov 2023"),
    ("Sept. 2023", "2023-09", "Sep 2023"),
    ("2023", "2023", "2023"),
    ("2024-07-25", "2024-07-25", "25 Jul 2024"),
    ("summer 2023", "2023-22", "summer 2023"),
    ("the summer of 2023", "2023-22", "summer 2023"),
    ("spring 2012", "2012-21", "spring 2012"),
    ("fall 2012", "2012-23", "autumn 2012"),
    ("winter 2023–24", "2023-24", "winter 2023–24"),
    ("winter 2023/24", "2023-24", "winter 2023–24"),
    ("c. 2012", "2012~", "c. 2012"),
    ("circa 2012", "2012~", "c. 2012"),
    ("about July 2024", "2024-07~", "c. Jul 2024"),
    ("July 2024?", "2024-07?", "Jul 2024?"),
    ("c. Nov 2023?", "2023-11%", "c. Nov 2023?"),
    ("1980s", "198X", "1980s"),
    ("1900s (century)", "19XX", "1900s (century)"),
    ("20th century", "19XX", "1900s (century)"),
    ("25-27 July 2024", "2024-07-25/2024-07-27", "25–27 Jul 2024"),
    ("25–27 Jul 2024", "2024-07-25/2024-07-27", "25–27 Jul 2024"),
    ("July 25–27, 2024", "2024-07-25/2024-07-27", "25–27 Jul 2024"),
    ("25 to 27 July 2024", "2024-07-25/2024-07-27", "25–27 Jul 2024"),
    ("30 Jul – 2 Aug 2024", "2024-07-30/2024-08-02", "30 Jul – 2 Aug 2024"),
    ("30 Dec 2023 - 2 Jan 2024", "2023-12-30/2024-01-02", "30 Dec 2023 – 2 Jan 2024"),
    ("2024-07-25 to 2024-07-27", "2024-07-25/2024-07-27", "25–27 Jul 2024"),
    ("c. 25–27 Jul 2024", "2024-07-25~/2024-07-27~", "c. 25–27 Jul 2024"),
    ("Nov 2023 – 2024", "2023-11/2024", "Nov 2023 – 2024"),
    ("Mar–May 2023", "2023-03/2023-05", "Mar–May 2023"),
    ("2012-2014", "2012/2014", "2012–2014"),
    ("since 2023", "2023/..", "since 2023"),
    ("since c. 2012", "2012~/..", "since c. 2012"),
    ("until Nov 2023", "../2023-11", "until Nov 2023"),
    ("2023 – ?", "2023/", "2023 – ?"),
    ("? – 2023", "/2023", "? – 2023"),
    ("2012~", "2012~", "c. 2012"),
]


@pytest.mark.parametrize(("phrase", "edtf", "display"), LOOSE_CASES)
def test_parse_loose(phrase, edtf, display):
    b = parse_loose(phrase)
    assert (b.edtf, b.display) == (edtf, display)
    assert b == parse_edtf(edtf)


LOOSE_BAD = [
    ("", "no date given"),
    ("2012s", "'2012s' is not a decade"),
    ("25 July", "no year"),
    ("July", "no year"),
    ("foo 2012", "unknown word 'foo'"),
    ("c. summer 2023", "cannot mark a season approximate"),
    ("winter 2023–25", "a winter spans two consecutive years"),
    ("27–25 July 2024", "interval end 2024-07-25 precedes its start 2024-07-27"),
    ("31 Feb 2024", "cannot read '31 Feb 2024' as a date"),
    ("2024 2025", "two years"),
    ("2024-07-27/2024-07-01", "interval end 2024-07-01 precedes its start 2024-07-27"),
    ("2023-02-29", "no such day: '2023-02-29'"),
]


@pytest.mark.parametrize(("phrase", "message"), LOOSE_BAD)
def test_parse_loose_refuses(phrase, message):
    with pytest.raises(DateError) as caught:
        parse_loose(phrase)
    assert message in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


OVERLAP_CASES = [
    ("2024-07-25/2024-07-27", "2024-07-27", "2024-08-01", True),
    ("2024-07-25/2024-07-27", "2024-07-28", "2024-08-01", False),
    ("2024-07-25/2024-07-27", "2024-07-01", "2024-07-24", False),
    ("2024-07-25/2024-07-27", "2024-07-01", "2024-07-25", True),
    ("2024-07-25/2024-07-27", "2024-07-26", "2024-07-26", True),
    ("2023", None, "2023-01-01", True),
    ("2023", "2023-12-31", None, True),
    ("2023", None, "2022-12-31", False),
    ("2023", None, None, True),
    ("../2023", "1900-01-01", "1900-01-01", True),
    ("../2023", "2024-01-01", None, False),
    ("2023/", "2050-01-01", "2050-12-31", True),
    ("2023/", None, "2022-12-31", False),
    ("2023-24", "2024-02-29", "2024-03-01", True),
    ("2023-24", "2024-03-01", "2024-03-31", False),
]


@pytest.mark.parametrize(("text", "start", "end", "expected"), OVERLAP_CASES)
def test_overlaps(text, start, end, expected):
    assert overlaps(parse_edtf(text), start, end) is expected


@pytest.mark.parametrize("text", [case[0] for case in STRICT_CASES])
def test_dict_round_trip(text):
    b = parse_edtf(text)
    stored = json.loads(json.dumps(b.to_dict()))
    assert set(stored) == {"earliest", "latest", "precision", "approximate", "uncertain", "display"}
    assert DateBounds(edtf=b.edtf, **stored) == b


# ---------------------------------------------------------------------------
# Properties

_QUALIFIERS = st.sampled_from(["", "~", "?", "%"])
_years = st.integers(0, 9999).map("{:04d}".format)
_months = (st.integers(0, 13) | st.integers(20, 25)).map("{:02d}".format)  # 21–24: seasons
_days = (st.integers(0, 32) | st.integers(28, 32)).map("{:02d}".format)


@st.composite
def _written_date(draw, unspecified: bool = False) -> str:
    """One date of any level 0/1 shape, its values in and just outside their ranges.

    unspecified: with X for the last digits of the year, or for the month or day.
    """
    year = draw(_years)
    month = draw(st.none() | _months)
    day = draw(st.none() | _days) if month else None
    if unspecified:
        year, month, day = draw(
            st.sampled_from(
                [
                    (year[:3] + "X", None, None),
                    (year[:2] + "XX", None, None),
                    (year, "XX", None),
                    (year, "XX", "XX"),
                    (year, month or "01", "XX"),
                ]
            )
        )
    return "-".join(part for part in (year, month, day) if part) + draw(_QUALIFIERS)


# the last days of months, where the grammar and the calendar part ways
_month_ends = st.builds(
    "{:04d}-{:02d}-{:02d}{}".format,
    st.integers(1, 9999),
    st.integers(1, 12),
    st.integers(28, 31),
    _QUALIFIERS,
)
_interval_ends = st.one_of(_written_date(), _month_ends, st.sampled_from(["..", ""]))


@st.composite
def _at_some_precision(draw, d: date) -> str:
    season = f"{d.year:04d}-{draw(st.integers(21, 24))}"
    text = draw(st.sampled_from([d.isoformat(), d.isoformat()[:7], d.isoformat()[:4], season]))
    return text + draw(_QUALIFIERS)


@st.composite
def _nearby_ends(draw) -> str:
    """Two ends up to about a year apart, either way round: real, often reversed, intervals."""
    first = draw(st.dates(min_value=date(2, 1, 1), max_value=date(9997, 12, 31)))
    second = first + timedelta(days=draw(st.integers(-400, 400)))
    return f"{draw(_at_some_precision(first))}/{draw(_at_some_precision(second))}"


_near_day_intervals = st.builds(
    lambda d, n: f"{d.isoformat()}/{(d + timedelta(days=n)).isoformat()}",
    st.dates(max_value=date(9999, 11, 30)),
    st.integers(-3, 40),
)
_fast_shaped = st.one_of(
    _written_date(),
    _month_ends,
    _written_date(unspecified=True),
    st.tuples(_interval_ends, _interval_ends).map("/".join),
    st.tuples(_written_date(unspecified=True), _interval_ends)
    .flatmap(st.permutations)
    .map("/".join),
    _nearby_ends(),
    _near_day_intervals,
)

# Of the shapes above, the ones the fast path leaves to the library: level 2 seasons,
# and unspecified digits in an interval (which the library takes only in a few shapes).
_LEFT_TO_LIBRARY = re.compile(r"(?:^|/)[0-9]{4}-25|X.*/|/.*X")


def _outcome(parse, text):
    try:
        return parse(text)
    except DateError as err:
        return f"DateError: {err}"


# Every branch of the fast path's grammar and calendar, whatever hypothesis draws.
_EDGES = [
    "2024-04-31",
    "2023-02-30",
    "2023-02-29",
    "2024-02-29~",
    "2023-00",
    "2023-13-XX",
    "2023-21-05",
    "2023-22~",
    "2023-22~/2024-22%",
    "0000",
    "0000-02-29",
    "00XX",
    "9999-24",
    "2012-21/2012-02",
    "2023/2012-13",
    "2023-25",
    "198X/2000",
    "/",
    "../",
    "/..",
]


def _assert_fast_path_agrees(text: str) -> None:
    fast = _outcome(dates._parse_fast, text)
    assert (fast is None) == bool(_LEFT_TO_LIBRARY.search(text))
    if fast is not None:
        assert fast == _outcome(dates._parse_library, text)


@settings(max_examples=150, deadline=None)
@given(_fast_shaped)
def test_fast_path_gives_what_the_library_gives(text):
    _assert_fast_path_agrees(text)


@pytest.mark.parametrize("text", _EDGES)
def test_fast_path_agrees_at_its_edges(text):
    _assert_fast_path_agrees(text)


COMMON_FORMS = [
    "2024-07-25",
    "2023-11",
    "2012",
    "2024-07-25/2024-07-27",
    "2023-22",
    "2023-24",
    "2012~",
    "2019-03?",
    "2024-07-25%",
    "198X",
    "19XX",
    "2012-XX",
    "2012-07-XX",
    "2012-XX-XX~",
    "2023/..",
    "../2023",
    "2023/",
    "/2023",
    "../..",
    "2012~/2014",
    "2023-11/2024-02",
    "2023-22/..",
    "2023-24?/2024-03",
    # and refusals
    "2023-13",
    "2024-04-31",
    "2023-02-29",
    "0000",
    "2023-22~",
    "2024-07-27/2024-07-01",
    "2023-02-29/..",
    "/2023-13",
]


@pytest.mark.parametrize("text", COMMON_FORMS)
def test_common_forms_do_not_need_the_library(text, monkeypatch):
    expected = _outcome(dates._parse_library, text)

    def no_library(asked):
        raise AssertionError(f"{asked!r} went to the library")

    monkeypatch.setattr(dates, "_parse_library", no_library)
    assert _outcome(dates._parse_cached.__wrapped__, text) == expected


_EDTF_ALPHABET = "0123456789X-/~?%.^[]{},TYSEZ:+ "
_WORDS = ["25", "7", "July", "Nov", "2024", "2023–24", "1980s", "19XX", "2012-07", "winter"]
_WORDS += ["of", "c.", "?", "–", "-", "to", "since", "until", "/", "..", "(century)", "20th"]
_PHRASES = st.lists(st.sampled_from(_WORDS), max_size=6).map(" ".join)


@given(st.one_of(st.text(), st.text(alphabet=_EDTF_ALPHABET, max_size=30), _PHRASES))
def test_no_other_exception_escapes(text):
    for parse in (parse_edtf, parse_loose):
        try:
            b = parse(text)
        except DateError as err:
            assert len(str(err).splitlines()) == 1
        else:
            assert b.precision in PRECISIONS
            assert b.earliest is None or b.latest is None or b.earliest <= b.latest


@st.composite
def _edtf_end(draw, qualifier: str) -> str:
    """One level 0/1 date of any precision, with the given qualifier where EDTF allows."""
    d = draw(st.dates(min_value=date(100, 1, 1), max_value=date(9998, 12, 31)))
    y = f"{d.year:04d}"
    forms = ["day", "month", "year", "decade", "century", "xx"]
    form = draw(st.sampled_from(forms if qualifier else [*forms, "season"]))
    if form == "season":
        return f"{y}-{draw(st.integers(21, 24))}"
    text = {
        "day": d.isoformat(),
        "month": d.isoformat()[:7],
        "year": y,
        "decade": y[:3] + "X",
        "century": y[:2] + "XX",
        "xx": draw(st.sampled_from([f"{y}-XX", f"{y}-{d.month:02d}-XX", f"{y}-XX-XX"])),
    }[form]
    return text + qualifier


@st.composite
def _edtf_dates(draw) -> str:
    """Level 0/1 dates and intervals whose ends share their qualifier."""
    qualifier = draw(_QUALIFIERS)
    first = draw(_edtf_end(qualifier))
    shape = draw(st.sampled_from(["single", "interval", "open", "unknown"]))
    if shape == "single":
        return first
    if shape == "interval":
        return f"{first}/{draw(_edtf_end(qualifier))}"
    side = "" if shape == "unknown" else ".."
    return draw(st.sampled_from([f"{first}/{side}", f"{side}/{first}"]))


@given(_edtf_dates())
def test_a_display_reads_back_as_the_same_date(text):
    try:
        b = parse_edtf(text)
    except DateError:
        assume(False)  # an interval drawn backwards
    again = parse_loose(b.display)
    assert (again.earliest, again.latest, again.precision) == (b.earliest, b.latest, b.precision)
    assert (again.approximate, again.uncertain, again.display) == (
        b.approximate,
        b.uncertain,
        b.display,
    )


def test_the_date_library_is_loaded_only_for_a_date_that_needs_it() -> None:
    """Start-up of every command stays clear of the library's grammar (60-80 ms)."""
    script = textwrap.dedent(
        """
        import sys
        import chronicle.cli
        from chronicle.dates import parse_edtf
        for common in ("2023-11-04", "2023-21", "2012/2015", "2023~", "198X", "2023-11/.."):
            parse_edtf(common)
        assert "edtf" not in sys.modules, "loaded for a common date"
        assert parse_edtf("2004-?06-11").display == "11 Jun 2004?"
        assert "edtf" in sys.modules
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
