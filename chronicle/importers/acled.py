"""ACLED's layouts, read and written: columns, dates, actors and sides.

ACLED files come in several layouts. Releases before March 2023 carry
``data_id``, ``event_id_no_cnty`` and ``iso3``; later ones ``disorder_type``,
``civilian_targeting`` and ``tags``; both carry ``timestamp`` (when ACLED last
changed the row). Each comes dyadic (one row per event, ``actor1`` and ``actor2``
the two opposing parties) or monadic (no ``actor2``: one row per party, the rows of
one event sharing ``event_id_cnty``). Columns are found by name, in any case.

Dates (README, "Conflict datasets"): ``time_precision`` 1 means the source gives the
day, which is ``event_date``; 2 that it gives a week or a few days, coded at their
middle, so the event is the seven days centred on ``event_date``; 3 that it gives
only the month, so the event is that month (ACLED's coded day is kept as the tag
``event_date:``). An export codes these back exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from chronicle.importers import records as r

NAME = "ACLED"
KEY = "event_id_cnty"  # the dataset's own id of an event
CLAIMANT = ("actor:acled", "ACLED", ["Armed Conflict Location & Event Data Project"])
COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip
REQUIRED = (
    "event_id_cnty", "event_date", "time_precision", "event_type", "actor1", "country",
    "location", "latitude", "longitude", "fatalities",
)  # fmt: skip
# Kept as `column:value` tags; data_id changes with every release and is left out.
TAGGED = (
    "event_type", "sub_event_type", "disorder_type", "inter1", "inter2", "interaction",
    "civilian_targeting", "iso", "region", "source_scale", "timestamp", "country",
)  # fmt: skip
# Party columns: (actor, associated actors, actor type) per side.
PARTIES = {"a": ("actor1", "assoc_actor_1", "inter1"), "b": ("actor2", "assoc_actor_2", "inter2")}
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y", "%d/%m/%Y")
WEEK_HALF = timedelta(days=3)
MONTHS = {
    name.lower(): n + 1
    for n, name in enumerate(
        ("January", "February", "March", "April", "May", "June", "July", "August",
         "September", "October", "November", "December")
    )
}  # fmt: skip


def matches(header: Sequence[str]) -> bool:
    return {"event_id_cnty", "event_date", "actor1"} <= set(header)


def dyadic(header: Sequence[str]) -> bool:
    return "actor2" in header


def event_date(row: r.Row) -> date:
    raw = r.required(row, "event_date")
    day, _, rest = raw.partition(" ")
    month, _, year = rest.partition(" ")
    number = MONTHS.get(month.lower())
    if number and day.isdigit() and year.isdigit():  # "22 February 2019", the usual form
        try:
            return date(int(year), number, int(day))
        except ValueError:
            pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise r.RowError("event_date", f"{raw[:40]!r} is not a date")


def edtf_for(day: date, precision: int) -> tuple[str, date, date]:
    """The EDTF that says what ACLED knows, and its first and last day."""
    if precision == 1:
        return day.isoformat(), day, day
    if precision == 2:
        lo, hi = day - WEEK_HALF, day + WEEK_HALF
        return f"{lo.isoformat()}/{hi.isoformat()}", lo, hi
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return f"{day:%Y-%m}", first, last


def cover(row: r.Row) -> tuple[str, date, date]:
    """What the first pass needs of a row: its country and the days it may fall on."""
    _, earliest, latest = edtf_for(event_date(row), r.code(row, "time_precision", range(1, 4)))
    return r.required(row, "country"), earliest, latest


def _place(row: r.Row) -> r.PlaceRecord:
    geo = r.text(row, "geo_precision")
    return r.PlaceRecord(
        name=r.short("location", r.required(row, "location")),
        lat=r.coordinate(row, "latitude", 90),
        lon=r.coordinate(row, "longitude", 180),
        country=r.short("country", r.required(row, "country")),
        admin1=r.short("admin1", r.text(row, "admin1")),
        admin2=r.short("admin2", r.text(row, "admin2")),
        admin3=r.short("admin3", r.text(row, "admin3")),
        geo_precision=r.code(row, "geo_precision", range(1, 4)) if geo else None,
    )


def _party(row: r.Row, side: str, columns: tuple[str, str, str]) -> list[r.ActorRecord]:
    actor, associated, _ = columns
    found = r.names(actor, r.text(row, actor)) + r.names(associated, r.text(row, associated))
    return [r.ActorRecord(name, side) for name in found]


def _acled_tags(row: r.Row) -> list[str]:
    return [r.tag("tags", item.strip()) for item in r.text(row, "tags").split(";") if item.strip()]


def read_event(rows: list[r.Row]) -> r.DatasetEvent:
    """One event from its rows: one row (dyadic) or one per party (monadic)."""
    first = rows[0]
    key = r.required(first, "event_id_cnty")
    day = event_date(first)
    precision = r.code(first, "time_precision", range(1, 4))
    when, earliest, latest = edtf_for(day, precision)
    if len(rows) == 1:
        actors = [a for side, cols in PARTIES.items() for a in _party(first, side, cols)]
        tags = r.tags_of(first, TAGGED)
    else:  # monadic: the first row's actor is one side, the second row's the other
        actors = _party(rows[0], "a", PARTIES["a"]) + _party(rows[1], "b", PARTIES["a"])
        inter2 = r.text(rows[1], "inter1")
        tags = r.tags_of(first, TAGGED) + ([r.tag("inter2", inter2)] if inter2 else [])
    if precision == 3:
        tags.append(r.tag("event_date", day.isoformat()))
    place = _place(first)
    fatalities = r.count(first, "fatalities") or 0
    kind = r.text(first, "sub_event_type") or r.required(first, "event_type")
    return r.DatasetEvent(
        key=key,
        title=r.title_for(kind, actors, place),
        when=when,
        earliest=earliest,
        latest=latest,
        summary=r.text(first, "notes"),
        place=place,
        actors=actors,
        tags=tags + _acled_tags(first),
        figures=[r.Figure(None, fatalities, fatalities, fatalities)],
        coded_from=r.text(first, "source"),
        country=place.country,
    )


def check_group(rows: list[r.Row], is_dyadic: bool) -> None:
    """A dyadic event is one row; a monadic one at most one row per party."""
    if len(rows) > (1 if is_dyadic else 2):
        which = "dyadic file" if is_dyadic else "monadic file (one row per party)"
        raise r.RowError("event_id_cnty", f"{len(rows)} rows for one event in a {which}")
