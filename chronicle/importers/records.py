"""What a conflict-dataset row says, in the store's terms, and the checks on each cell.

Shared by the ACLED and UCDP GED readers. Pure domain: a row (a dict of cells, as
``sqlite_utils.utils.rows_from_file`` gives it) becomes a ``DatasetEvent``, and any
cell that cannot be read raises a ``RowError`` naming its column, which the importer
turns into one line naming the row too. Nothing here knows about storage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from chronicle.errors import EntryError
from chronicle.terms import MAX_SHORT, MAX_TITLE

Row = Mapping[str, object]
TAG_LIMIT = 64
# "JNIM: Group for Support of Islam and Muslims": an acronym, a colon, the long name.
_ACRONYM = re.compile(r"^(?P<acr>[A-Z][A-Za-z0-9.&'\-/]{0,19}):\s+(?P<long>\S.*)$")
_SLUG = re.compile(r"[^a-z0-9]+")


class RowError(EntryError):
    """A cell that cannot be read; ``column`` is the header's name for it."""

    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"column {column}: {problem}")
        self.column = column


@dataclass(frozen=True)
class PlaceRecord:
    name: str
    lat: float | None
    lon: float | None
    country: str = ""
    admin1: str = ""
    admin2: str = ""
    admin3: str = ""
    geo_precision: int | None = None


@dataclass(frozen=True)
class ActorRecord:
    name: str  # as the dataset writes it
    side: str  # "a" or "b"


@dataclass(frozen=True)
class Figure:
    """A death toll the dataset gives: about one party (its name) or, None, all sides."""

    about: str | None
    low: int
    best: int
    high: int


@dataclass
class DatasetEvent:
    """One event of a dataset file, in the vocabulary's terms."""

    key: str  # the dataset's own id: event_id_cnty, GED id
    title: str
    when: str  # EDTF
    earliest: date
    latest: date
    summary: str
    place: PlaceRecord | None
    actors: list[ActorRecord]
    tags: list[str]
    figures: list[Figure]
    coded_from: str = ""  # the media the dataset coded it from
    country: str = ""
    parties: list[str] = field(default_factory=list)  # names that figures are about


def text(row: Row, column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    return str(value).strip()


def required(row: Row, column: str) -> str:
    if column not in row or row[column] is None:
        raise RowError(column, "missing (the row has fewer cells than the header)")
    value = text(row, column)
    if not value:
        raise RowError(column, "empty")
    return value


def _number(row: Row, column: str, optional: bool) -> tuple[str, float] | None:
    raw = text(row, column) if optional else required(row, column)
    if not raw:
        return None
    try:
        return raw, float(raw)
    except ValueError:
        raise RowError(column, f"{raw[:40]!r} is not a number") from None


def count(row: Row, column: str, *, optional: bool = False) -> int | None:
    """A number of people: a whole number, 0 or more (``12.0`` is read as 12)."""
    found = _number(row, column, optional)
    if found is None:
        return None
    raw, value = found
    if value < 0 or value != int(value) or value > 10**9:
        raise RowError(column, f"{raw[:40]!r} is not a count of people")
    return int(value)


def coordinate(row: Row, column: str, limit: float, *, optional: bool = False) -> float | None:
    found = _number(row, column, optional)
    if found is None:
        return None
    raw, value = found
    if not -limit <= value <= limit:
        raise RowError(column, f"{raw} is out of range (-{limit:g} to {limit:g})")
    return value


def code(row: Row, column: str, allowed: range) -> int:
    raw = required(row, column)
    try:
        value = int(float(raw))
    except ValueError:
        raise RowError(column, f"{raw[:40]!r} is not a code") from None
    if value not in allowed or float(raw) != value:
        raise RowError(column, f"{raw} is not one of {allowed.start}–{allowed.stop - 1}")
    return value


def tag(column: str, value: str) -> str:
    """A dataset field kept as ``column:value``; too long a value is refused, never cut."""
    kept = f"{column}:{value}"
    if len(kept) > TAG_LIMIT:
        raise RowError(column, f"{len(value)} characters, more than a tag keeps ({TAG_LIMIT})")
    return kept


def tags_of(row: Row, columns: tuple[str, ...]) -> list[str]:
    return [tag(c, text(row, c)) for c in columns if text(row, c)]


def short(column: str, value: str, limit: int = MAX_SHORT) -> str:
    if len(value) > limit:
        raise RowError(column, f"{len(value)} characters, more than {limit}")
    return value


def names(column: str, cell: str, separator: str = ";") -> list[str]:
    """An actors cell: names split on ';' (ACLED's associated actors) or ', ' (GED's sides)."""
    return [short(column, n.strip()) for n in cell.split(separator) if n.strip()]


def acronym(name: str) -> tuple[str, str] | None:
    """("JNIM", "Group for Support of Islam and Muslims") from the "ACR: Long name" pattern."""
    found = _ACRONYM.match(name)
    return (found["acr"], found["long"].strip()) if found else None


def title_for(kind: str, actors: list[ActorRecord], place: PlaceRecord | None) -> str:
    """ "Armed clash: JNIM vs Military Forces of Mali at Tinzaouaten"."""
    first = [a.name for a in actors if a.side == "a"][:1]
    second = [a.name for a in actors if a.side == "b"][:1]
    who = " vs ".join(first + second)
    words = kind + (f": {who}" if who else "") + (f" at {place.name}" if place else "")
    return words if len(words) <= MAX_TITLE else words[: MAX_TITLE - 1] + "…"


def slug(words: str, limit: int = 48, salt: str = "") -> str:
    """An id-safe, readable, collision-free rendering of a name (and what tells it apart)."""
    readable = _SLUG.sub("-", words.lower()).strip("-")[:limit] or "x"
    return f"{readable}-{digest(words + salt)[:8]}"


def digest(words: str) -> str:
    return hashlib.sha256(words.encode()).hexdigest()
