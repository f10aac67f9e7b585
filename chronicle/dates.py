"""EDTF dates, understood once: bounds, precision, qualifiers and a compact display.

An entry keeps what its date was understood to mean when it was written, so replay
never parses again and a change in the date library cannot move history. The `edtf`
package supplies the grammar; this module turns what it parsed into the values the
log stores. Two things are deliberately not taken from the library:

* its "fuzzy" bounds, which widen a qualified day by a whole year; the strict bounds
  and the qualifier flags carry the same information without the distortion;
* its season table, which ends winter on 31 December; a winter here runs from
  December to the end of the following February.

The library's grammar costs up to tens of milliseconds a string, which would make
importing a large log take minutes. Results are therefore cached, and the level 0 and
1 forms that entries are written in take a fast path that never calls the library:
days, months and years with a trailing ``~``, ``?`` or ``%``; seasons 21–24;
unspecified digits (``198X``, ``19XX``, ``2012-XX``, ``2012-07-XX``); and intervals
of these (without unspecified digits) with open (``..``) or unknown (empty) ends. It
follows the library's grammar for exactly these shapes and gives exactly what the
library path gives, refusals included; anything else (qualified parts, level 2,
other seasons) goes to the library.
"""

from __future__ import annotations

import calendar
import contextlib
import enum
import functools
import io
import re
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, TypeGuard

from chronicle.errors import ChronicleError

__all__ = [
    "PRECISIONS",
    "DateBounds",
    "DateError",
    "overlaps",
    "parse_edtf",
    "parse_loose",
]

PRECISIONS = ("day", "days", "week", "month", "season", "year", "decade", "century", "interval")

_MAX_LENGTH = 100  # far beyond any real EDTF string; keeps pathological input cheap
_CACHE_SIZE = 8192
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# season code -> (name shown, first month, last month); a last month before the
# first means the season ends in the following year.
_SEASONS: dict[int, tuple[str, int, int]] = {
    21: ("spring", 3, 5),
    22: ("summer", 6, 8),
    23: ("autumn", 9, 11),
    24: ("winter", 12, 2),
    25: ("spring", 3, 5),
    26: ("summer", 6, 8),
    27: ("autumn", 9, 11),
    28: ("winter", 12, 2),
    29: ("southern spring", 9, 11),
    30: ("southern summer", 12, 2),
    31: ("southern autumn", 3, 5),
    32: ("southern winter", 6, 8),
    33: ("Q1", 1, 3),
    34: ("Q2", 4, 6),
    35: ("Q3", 7, 9),
    36: ("Q4", 10, 12),
    37: ("Jan–Apr", 1, 4),
    38: ("May–Aug", 5, 8),
    39: ("Sep–Dec", 9, 12),
    40: ("H1", 1, 6),
    41: ("H2", 7, 12),
}


class DateError(ChronicleError, ValueError):
    """str(err) is ONE line, fit to show a user: what is wrong and with which input."""


def _shown(text: str) -> str:
    """Quote user input for a message; repr() keeps control characters off the line."""
    if len(text) > 60:
        text = text[:57] + "…"
    return repr(text)


# Refusals that both paths make, worded once so that they cannot drift apart.


def _not_edtf(text: str) -> DateError:
    return DateError(f"not a valid EDTF date: {_shown(text)}")


def _outside_years(text: str) -> DateError:
    return DateError(f"years outside 0001–9999 are not supported: {_shown(text)}")


@dataclass(frozen=True, slots=True)
class DateBounds:
    """What a date was understood to mean, as an entry stores it.

    Bounds are ISO days so that SQL can compare them as text; ``None`` is an open
    or unknown end.
    """

    edtf: str
    earliest: str | None
    latest: str | None
    precision: str
    approximate: bool
    uncertain: bool
    display: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form kept in an entry beside the EDTF string itself."""
        return {
            "earliest": self.earliest,
            "latest": self.latest,
            "precision": self.precision,
            "approximate": self.approximate,
            "uncertain": self.uncertain,
            "display": self.display,
        }


# ---------------------------------------------------------------------------
# What one date (or one end of an interval) means


@dataclass(frozen=True, slots=True)
class _Point:
    earliest: date
    latest: date
    precision: str
    approximate: bool = False
    uncertain: bool = False
    season: int | None = None


class _Side(enum.Enum):
    """An interval end that is not a date: '..' (open) or empty (unknown)."""

    OPEN = "open"
    UNKNOWN = "unknown"


_End = _Point | _Side


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _to_date(year: int, month: int, day: int, text: str) -> date:
    if not 1 <= year <= 9999:
        raise _outside_years(text)
    try:
        return date(year, month, day)
    except ValueError:  # such as 29 February in a common year, which the grammar allows
        raise DateError(f"no such day: {_shown(text)}") from None


def _shape(lo: date, hi: date) -> str:
    """Name the calendar unit that [lo, hi] covers exactly, or 'interval' if none."""
    if lo == hi:
        return "day"
    if lo.day == 1 and hi == _month_end(lo.year, lo.month):
        return "month"
    if (lo.month, lo.day, hi.month, hi.day) != (1, 1, 12, 31):
        return "interval"
    years = hi.year - lo.year + 1
    if years == 1:
        return "year"
    if years == 10 and lo.year % 10 == 0:
        return "decade"
    if years == 100 and lo.year % 100 == 0:
        return "century"
    return "interval"


def _season_point(year: int, code: int, approximate: bool, uncertain: bool, text: str) -> _Point:
    _, first, last = _SEASONS[code]
    end_year = year + 1 if last < first else year
    if year < 1 or end_year > 9999:
        raise _outside_years(text)
    return _Point(
        date(year, first, 1), _month_end(end_year, last), "season", approximate, uncertain, code
    )


# ---------------------------------------------------------------------------
# Display


def _day_text(d: date) -> str:
    return f"{d.day} {_MONTH_ABBR[d.month - 1]} {d.year:04d}"


def _month_text(d: date) -> str:
    return f"{_MONTH_ABBR[d.month - 1]} {d.year:04d}"


def _season_text(p: _Point) -> str:
    name, first, last = _SEASONS[p.season or 0]
    year = p.earliest.year
    if last >= first:
        return f"{name} {year:04d}"
    following = year + 1
    tail = f"{following % 100:02d}" if following // 100 == year // 100 else f"{following:04d}"
    return f"{name} {year:04d}–{tail}"


def _span_text(lo: date, hi: date) -> str:
    """Show bounds that match no single unit, at the coarsest grain they allow."""
    if (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31):
        grain = "year"
    elif lo.day == 1 and hi == _month_end(hi.year, hi.month):
        grain = "month"
    else:
        grain = "day"
    return _range_text(_Point(lo, lo, grain), _Point(hi, hi, grain))


def _point_text(p: _Point) -> str:
    """The date without its qualifiers."""
    lo = p.earliest
    match p.precision:
        case "day":
            return _day_text(lo)
        case "month":
            return _month_text(lo)
        case "season":
            return _season_text(p)
        case "year":
            return f"{lo.year:04d}"
        case "decade":
            return f"{lo.year:04d}s"
        case "century":
            return f"{lo.year:04d}s (century)"
    return _span_text(p.earliest, p.latest)


def _range_text(a: _Point, b: _Point) -> str:
    """Two unqualified ends, sharing what they share ("25–27 Jul 2024")."""
    x, y = a.earliest, b.earliest
    if a.precision == b.precision == "day":
        if (x.year, x.month) == (y.year, y.month):
            return f"{x.day}–{y.day} {_month_text(y)}"
        if x.year == y.year:
            return f"{x.day} {_MONTH_ABBR[x.month - 1]} – {_day_text(y)}"
    if a.precision == b.precision == "month" and x.year == y.year:
        return f"{_MONTH_ABBR[x.month - 1]}–{_month_text(y)}"
    if a.precision == b.precision == "year":
        return f"{x.year:04d}–{y.year:04d}"
    return f"{_point_text(a)} – {_point_text(b)}"


def _qualified(text: str, approximate: bool, uncertain: bool) -> str:
    return f"{'c. ' if approximate else ''}{text}{'?' if uncertain else ''}"


def _point_display(p: _Point) -> str:
    return _qualified(_point_text(p), p.approximate, p.uncertain)


def _interval_display(a: _End, b: _End) -> str:
    if isinstance(a, _Point) and isinstance(b, _Point):
        if a == b:
            return _point_display(a)
        if (a.approximate, a.uncertain) == (b.approximate, b.uncertain):
            return _qualified(_range_text(a, b), a.approximate, a.uncertain)
        return f"{_point_display(a)} – {_point_display(b)}"
    if isinstance(a, _Point):
        return f"since {_point_display(a)}" if b is _Side.OPEN else f"{_point_display(a)} – ?"
    if isinstance(b, _Point):
        return f"until {_point_display(b)}" if a is _Side.OPEN else f"? – {_point_display(b)}"
    return "any time"  # '../..': the library refuses every other pair of non-dates


# ---------------------------------------------------------------------------
# From points to bounds: shared by the fast path and the library path, so the two
# can only differ in how they find the points.


def _single_bounds(text: str, p: _Point) -> DateBounds:
    return DateBounds(
        edtf=text,
        earliest=p.earliest.isoformat(),
        latest=p.latest.isoformat(),
        precision=p.precision,
        approximate=p.approximate,
        uncertain=p.uncertain,
        display=_point_display(p),
    )


def _interval_precision(a: _End, b: _End) -> str:
    if not (isinstance(a, _Point) and isinstance(b, _Point)):
        return "interval"
    if a.earliest == b.earliest and a.latest == b.latest and a.precision == b.precision:
        return a.precision  # a one-day "interval" is that day
    if a.precision == b.precision == "day":
        days = (b.earliest - a.earliest).days + 1
        if days == 7:
            return "week"
        if 2 <= days <= 31:
            return "days"
    return "interval"


def _interval_bounds(text: str, a: _End, b: _End) -> DateBounds:
    if isinstance(a, _Point) and isinstance(b, _Point) and b.latest < a.earliest:
        start, end = text.split("/", 1)
        raise DateError(f"interval end {end} precedes its start {start}")
    ends = [e for e in (a, b) if isinstance(e, _Point)]
    return DateBounds(
        edtf=text,
        earliest=a.earliest.isoformat() if isinstance(a, _Point) else None,
        latest=b.latest.isoformat() if isinstance(b, _Point) else None,
        precision=_interval_precision(a, b),
        approximate=any(e.approximate for e in ends),
        uncertain=any(e.uncertain for e in ends),
        display=_interval_display(a, b),
    )


# ---------------------------------------------------------------------------
# Fast path: the level 0 and 1 forms that logs are made of, without the library.
# For these shapes it follows the library's grammar exactly, so it can answer them
# in full, refusals included; any other shape is left to the library.


_FAST_DATE = re.compile(
    r"(?P<year>[0-9]{2}(?:[0-9]{2}|[0-9]X|XX))"
    r"(?:-(?P<month>[0-9]{2}|XX)(?:-(?P<day>[0-9]{2}|XX))?)?"
    r"(?P<qualifier>[~?%]?)"
)
_QUALIFIER_FLAGS = {"": (False, False), "~": (True, False), "?": (False, True), "%": (True, True)}
_SIDES = {"..": _Side.OPEN, "": _Side.UNKNOWN}
_LEVEL1_SEASONS = frozenset(f"{code}" for code in range(21, 25))
_LEVEL2_SEASONS = frozenset(f"{code}" for code in range(25, 42))
# The grammar allows 29 February in any year (the calendar refuses it later, with
# another message), so its last days are those of a leap year.
_GRAMMAR_LAST_DAY = tuple(calendar.monthrange(2000, month)[1] for month in range(1, 13))


class _Form(NamedTuple):
    """A date as written, accepted by the grammar but not yet checked by the calendar."""

    year: str  # four characters, the last one or two may be X
    month: str | None  # 01–12, a season 21–24, or XX
    day: str | None  # 01–31 or XX
    qualifier: str  # "", "~", "?" or "%"


class _Verdict(enum.Enum):
    """Why the fast path gives no date for a piece of text."""

    DEFER = "defer"  # not one of its shapes: the library decides
    REFUSED = "refused"  # one of its shapes, with values the grammar has no place for


def _grammar_verdict(form: _Form, alone: bool) -> _Verdict | None:
    """None if the grammar accepts the date; `alone` means it is not an interval end.

    Only as an interval end may a season carry a qualifier.
    """
    year, month, day, qualifier = form
    if month is None:
        return None
    if "X" in year:
        return _Verdict.DEFER  # "19XX-07" is level 2
    if month == "XX":
        return None if day in (None, "XX") else _Verdict.DEFER
    if month in _LEVEL1_SEASONS and day is None:
        return _Verdict.REFUSED if alone and qualifier else None
    if month in _LEVEL2_SEASONS:
        return _Verdict.DEFER
    number = int(month)
    if not 1 <= number <= 12:
        return _Verdict.REFUSED
    if day in (None, "XX"):
        return None
    return None if 1 <= int(day) <= _GRAMMAR_LAST_DAY[number - 1] else _Verdict.REFUSED


def _fast_end(text: str, alone: bool) -> _Form | _Verdict:
    """The date in `text` if the grammar accepts it, else what to do instead.

    Unspecified digits are taken only alone: in an interval the library accepts them
    in some level 2 shapes ("198X/2000") and not in others ("2012-XX/2013").
    """
    m = _FAST_DATE.fullmatch(text)
    if m is None or (not alone and "X" in text):
        return _Verdict.DEFER
    form = _Form(*m.groups())
    return _grammar_verdict(form, alone) or form


def _fast_interval_end(text: str) -> _Form | _Side | _Verdict:
    return _SIDES.get(text) or _fast_end(text, alone=False)


def _fast_point(form: _Form, text: str) -> _Point:
    """What an accepted date means: unspecified digits run from all 0 to all 9."""
    approximate, uncertain = _QUALIFIER_FLAGS[form.qualifier]
    year, month, day = form.year, form.month, form.day
    if month is not None and month in _LEVEL1_SEASONS:
        return _season_point(int(year), int(month), approximate, uncertain, text)
    first_month, last_month = (1, 12) if month in (None, "XX") else (int(month), int(month))
    day_number = None if day is None or day == "XX" else int(day)  # None: the whole month
    first_day = 1 if day_number is None else day_number
    lo = _to_date(int(year.replace("X", "0")), first_month, first_day, text)
    last_year = int(year.replace("X", "9"))
    month_end = calendar.monthrange(last_year, last_month)[1]
    last_day = month_end if day_number is None else day_number
    hi = _to_date(last_year, last_month, last_day, text)
    return _Point(lo, hi, _shape(lo, hi), approximate, uncertain)


def _taken(
    ends: tuple[_Form | _Side | _Verdict, ...], text: str
) -> TypeGuard[tuple[_Form | _Side, ...]]:
    """Whether the fast path answers: False leaves the text to the library."""
    if _Verdict.DEFER in ends:
        return False
    if _Verdict.REFUSED in ends:
        raise _not_edtf(text)
    return True


def _fast_resolve(end: _Form | _Side, text: str) -> _End:
    return end if isinstance(end, _Side) else _fast_point(end, text)


def _parse_fast(text: str) -> DateBounds | None:
    """Bounds for the common level 0 and 1 forms, or None when the library must decide.

    A DateError from here is the one the library path raises for the same text.
    """
    if "/" not in text:
        form = _fast_end(text, alone=True)
        if isinstance(form, _Verdict):
            _taken((form,), text)  # a refused form raises here
            return None
        return _single_bounds(text, _fast_point(form, text))
    start, end = text.split("/", 1)
    ends = (_fast_interval_end(start), _fast_interval_end(end))
    if not _taken(ends, text):
        return None
    first, last = ends
    if isinstance(first, _Side) and isinstance(last, _Side) and _Side.UNKNOWN in ends:
        raise _not_edtf(text)  # without a date, only two open ends make an interval
    return _interval_bounds(text, _fast_resolve(first, start), _fast_resolve(last, end))


# ---------------------------------------------------------------------------
# Library path


_LIBRARY_LOCK = threading.Lock()


@functools.cache
def _library() -> Any:
    """The edtf package, imported the first time a date needs more than the fast path.

    Its grammar takes 60-80 ms to import, which every command paid at start-up
    even though most of them (reads, the usual dates) never reach it.
    """
    import edtf

    return edtf


def _library_parse(text: str) -> Any:
    """Parse with the edtf package, turning every failure into a DateError.

    Some inputs its grammar half-accepts make it print a diagnostic to stdout and
    then raise an arbitrary exception; stdout is therefore swapped out during the
    call, under a lock because the swap is process-wide.
    """
    with _LIBRARY_LOCK, contextlib.redirect_stdout(io.StringIO()):
        try:
            return _library().parse_edtf(text)
        except Exception:  # EDTFParseException, but also its internal errors
            raise _not_edtf(text) from None


def _strict(node: Any, text: str) -> tuple[date, date]:
    try:
        lo, hi = node.lower_strict(), node.upper_strict()
    except Exception:  # e.g. unspecified digits inside a day ("2012-07-2X")
        raise DateError(f"cannot work out the bounds of {_shown(text)}") from None
    return _to_date(lo[0], lo[1], lo[2], text), _to_date(hi[0], hi[1], hi[2], text)


def _flags(node: Any) -> tuple[bool, bool]:
    """(approximate, uncertain); the library reports '%' as a third, separate flag."""
    both = bool(node.is_uncertain_and_approximate)
    return bool(node.is_approximate) or both, bool(node.is_uncertain) or both


def _library_point(node: Any, text: str) -> _Point:
    approximate, uncertain = _flags(node)
    inner = node.date if isinstance(node, _library().UncertainOrApproximate) else node
    if isinstance(inner, _library().Season):
        return _season_point(int(inner.year), int(inner.season), approximate, uncertain, text)
    lo, hi = _strict(inner, text)
    return _Point(lo, hi, _shape(lo, hi), approximate, uncertain)


def _library_end(node: Any, text: str) -> _End:
    if isinstance(node, _library().UnspecifiedIntervalSection):
        return _Side.OPEN if node.is_open else _Side.UNKNOWN
    return _library_point(node, text)


def _refuse_unsupported(node: Any, text: str) -> None:
    """Refuse forms whose strict bounds would misstate what the writer meant."""
    if isinstance(node, _library().OneOfASet | _library().MultipleDates):
        raise DateError(f"lists of dates are not supported, use an interval: {_shown(text)}")
    if "^" in text:
        raise DateError(f"qualified seasons (^) are not supported: {_shown(text)}")
    if "S" in text:
        raise DateError(f"significant digits (S) are not supported: {_shown(text)}")


def _parse_library(text: str) -> DateBounds:
    node = _library_parse(text)
    _refuse_unsupported(node, text)
    if isinstance(node, _library().Interval):
        start, end = text.split("/", 1)
        return _interval_bounds(
            text, _library_end(node.lower, start), _library_end(node.upper, end)
        )
    return _single_bounds(text, _library_point(node, text))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(text: str) -> DateBounds:
    return _parse_fast(text) or _parse_library(text)


def _checked(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise DateError("no date given")
    if len(stripped) > _MAX_LENGTH:
        raise DateError(f"too long to be a date ({len(stripped)} characters): {_shown(stripped)}")
    return stripped


def parse_edtf(text: str) -> DateBounds:
    """Understand a strict EDTF string (levels 0 and 1, and level 2 where sound)."""
    return _parse_cached(_checked(text))


# ---------------------------------------------------------------------------
# Loose input: what people type when they jump to a date


_EDTF_CHARS = re.compile(r"[0-9X?~%./+:TZSYE^\[\]{},-]+")
_MONTH_WORDS = {
    name: number
    for number, full in enumerate(calendar.month_name[1:], start=1)
    for name in (full.lower(), full[:3].lower())
} | {"sept": 9}
_SEASON_WORDS = {"spring": 21, "summer": 22, "autumn": 23, "fall": 23, "winter": 24}
_FILLER_WORDS = {"of", "the"}  # "summer of 2023", "the 25th of July 2024"
_APPROXIMATE = re.compile(
    r"(?:circa|approximately|approx\.?|about|around|ca\.|ca\s|c\.|c\s|~)\s*", re.IGNORECASE
)
_OPEN_PREFIXES = {"since": "{}/..", "from": "{}/..", "until": "../{}", "till": "../{}"}
_UNKNOWN_END = re.compile(r"(.+?)\s*–\s*\?")
_UNKNOWN_START = re.compile(r"\?\s*–\s*(.+)")
_CENTURY_SHOWN = re.compile(r"\b([0-9]{2})00s\s*\(century\)", re.IGNORECASE)
_CENTURY_ORDINAL = re.compile(r"\b([0-9]{1,2})(?:st|nd|rd|th)\s+century\b", re.IGNORECASE)
_WINTER_SPAN = re.compile(r"\bwinter\s+([0-9]{4})[–/-]([0-9]{2}|[0-9]{4})\b", re.IGNORECASE)
_ISO_LIKE = re.compile(r"[0-9X]{4}(?:-[0-9X]{2}){0,2}")
_DAY = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?")
_DECADE = re.compile(r"([0-9]{3})0s")


class _Unreadable(Exception):
    """Why a loose phrase cannot be read; parse_loose words the DateError."""


@dataclass(slots=True)
class _Parts:
    """The pieces of one loosely written date, before missing ones are inherited."""

    day: int | None = None
    month: int | None = None
    year: int | None = None
    season: int | None = None
    edtf: str | None = None  # a piece already in EDTF form: "2024-07-25", "198X"

    def to_edtf(self, qualifier: str) -> str:
        if self.edtf is not None:
            return self.edtf + qualifier
        if self.year is None:
            raise _Unreadable("no year")
        if self.season is not None:
            if qualifier:
                raise _Unreadable("EDTF cannot mark a season approximate or uncertain")
            if self.day is not None or self.month is not None:
                raise _Unreadable("a season with a day or month")
            return f"{self.year:04d}-{self.season}"
        if self.day is not None and self.month is None:
            raise _Unreadable("a day without a month")
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text + qualifier


def _set_once(parts: _Parts, field: str, value: int, word: str) -> None:
    if getattr(parts, field) is not None:
        raise _Unreadable(f"two {field}s (at {word!r})")
    setattr(parts, field, value)


def _read_word(parts: _Parts, word: str) -> None:
    lower = word.lower().rstrip(".")
    if lower in _FILLER_WORDS:
        return
    if lower in _MONTH_WORDS:
        _set_once(parts, "month", _MONTH_WORDS[lower], word)
    elif lower in _SEASON_WORDS:
        _set_once(parts, "season", _SEASON_WORDS[lower], word)
    elif re.fullmatch(r"[0-9]{4}", lower):
        _set_once(parts, "year", int(lower), word)
    elif (m := _DAY.fullmatch(lower)) is not None:
        _set_once(parts, "day", int(m[1]), word)
    elif (m := _DECADE.fullmatch(lower)) is not None:
        parts.edtf = f"{m[1]}X"
    elif re.fullmatch(r"[0-9]{4}s", lower):
        raise _Unreadable(f"{word!r} is not a decade (a decade ends in 0, as in 2010s)")
    else:
        raise _Unreadable(f"unknown word {word!r}")


def _read_parts(phrase: str) -> _Parts:
    if _ISO_LIKE.fullmatch(phrase):
        return _Parts(edtf=phrase)
    words = phrase.split()
    if not words:
        raise _Unreadable("a range with an empty end")
    parts = _Parts()
    for word in words:
        _read_word(parts, word)
    if parts.edtf is not None and len(words) > 1:
        raise _Unreadable("a decade or century cannot carry a day, month or season")
    return parts


def _inherit(left: _Parts, right: _Parts) -> None:
    """Fill what a compact range leaves out: '25–27 July 2024', 'July 25–27, 2024'."""
    if right.day is not None and right.month is None and right.edtf is None:
        right.month = left.month
    if left.edtf is None and left.year is None:
        left.year = right.year
        if left.day is not None and left.month is None:
            left.month = right.month


def _range_candidates(phrase: str) -> list[tuple[str, str]]:
    """Ways to cut a phrase into two ends: at an en dash, or else at any hyphen."""
    if "–" in phrase:
        left, _, right = phrase.partition("–")
        return [(left.strip(), right.strip())]
    return [
        (phrase[:i].strip(), phrase[i + 1 :].strip())
        for i, char in enumerate(phrase)
        if char == "-"
    ]


def _read_range(left: str, right: str, qualifier: str) -> str:
    lp, rp = _read_parts(left), _read_parts(right)
    _inherit(lp, rp)
    return f"{lp.to_edtf(qualifier)}/{rp.to_edtf(qualifier)}"


def _read_span(phrase: str, qualifier: str) -> str:
    """One date or a range of two, as EDTF."""
    try:
        return _read_parts(phrase).to_edtf(qualifier)
    except _Unreadable as whole_failed:
        for left, right in _range_candidates(phrase):
            with contextlib.suppress(_Unreadable):
                return _read_range(left, right, qualifier)
        raise whole_failed from None


def _strip_qualifiers(phrase: str) -> tuple[str, str]:
    """Split off 'c.'-style prefixes and a '?' suffix; return (rest, EDTF qualifier)."""
    approximate = uncertain = False
    if (m := _APPROXIMATE.match(phrase)) is not None:
        approximate, phrase = True, phrase[m.end() :]
    if phrase.endswith("?"):
        uncertain, phrase = True, phrase[:-1].rstrip()
    qualifier = {(True, True): "%", (True, False): "~", (False, True): "?"}.get(
        (approximate, uncertain), ""
    )
    return phrase, qualifier


def _read_qualified(phrase: str) -> str:
    rest, qualifier = _strip_qualifiers(phrase)
    if not rest:
        raise _Unreadable("no date")
    return _read_span(rest, qualifier)


def _winter(m: re.Match[str]) -> str:
    year, following = int(m[1]), m[2]
    if int(following) not in (year + 1, (year + 1) % 100):
        raise _Unreadable(f"a winter spans two consecutive years, not {m[0]!r}")
    return f"{year:04d}-24"


def _normalise(text: str) -> str:
    """One spelling for each thing: en dashes for ranges, EDTF for spans of years."""
    s = re.sub(r"[—―−]", "–", text)
    s = re.sub(r"\s+(?:to|through|thru)\s+|\s+-\s+", "–", s, flags=re.IGNORECASE)
    s = _CENTURY_SHOWN.sub(lambda m: f"{m[1]}XX", s)
    s = _CENTURY_ORDINAL.sub(lambda m: f"{int(m[1]) - 1:02d}XX", s)
    s = _WINTER_SPAN.sub(_winter, s)
    s = s.replace(",", " ")
    return re.sub(r"\s+", " ", s).strip()


def _loose_to_edtf(text: str) -> str:
    s = _normalise(text)
    first, _, rest = s.partition(" ")
    if first.lower() in _OPEN_PREFIXES and rest:
        return _OPEN_PREFIXES[first.lower()].format(_read_qualified(rest))
    if (m := _UNKNOWN_END.fullmatch(s)) is not None:
        return f"{_read_qualified(m[1])}/"
    if (m := _UNKNOWN_START.fullmatch(s)) is not None:
        return f"/{_read_qualified(m[1])}"
    return _read_qualified(s)


def parse_loose(text: str) -> DateBounds:
    """Understand EDTF or the plain words people type: '25–27 July 2024', 'c. 2012'.

    Qualifiers written around a whole range apply to both of its ends. The result's
    .edtf is the EDTF the words were read as, so what is stored is always EDTF.
    """
    stripped = _checked(text)
    edtf_error: DateError | None = None
    if _EDTF_CHARS.fullmatch(stripped):
        try:
            return _parse_cached(stripped)
        except DateError as err:
            edtf_error = err
    try:
        return _parse_cached(_loose_to_edtf(stripped))
    except (_Unreadable, DateError) as err:
        # Text that looked like EDTF is best explained by what was wrong with it as EDTF.
        raise edtf_error or DateError(f"cannot read {_shown(stripped)} as a date: {err}") from None


# ---------------------------------------------------------------------------


def overlaps(b: DateBounds, start: str | None, end: str | None) -> bool:
    """Whether the date may fall in [start, end] (ISO days; None = unbounded).

    An open or unknown bound could be anything, so it never excludes; ISO days
    compare correctly as text.
    """
    starts_in_time = b.earliest is None or end is None or b.earliest <= end
    ends_in_time = b.latest is None or start is None or b.latest >= start
    return starts_in_time and ends_in_time
