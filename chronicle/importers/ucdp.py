"""UCDP's Georeferenced Event Dataset (GED): its 49 columns, dates and sides.

``date_start`` and ``date_end`` bound the event; ``date_prec`` says how well they
are known (1 the exact day, 2 within two to six days, 3 the week, 4 within a month,
5 longer, up to the year). The EDTF is the day when both are one day and the
precision is 1, the day marked approximate when they are one day but the precision
is coarser, and the interval ``start/end`` otherwise. ``side_a`` and ``side_b``
are the two parties; ``best``, ``low`` and ``high`` one toll for all sides, and
``deaths_a``, ``deaths_b``, ``deaths_civilians`` and ``deaths_unknown`` tolls
about each party.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from chronicle.importers import records as r

NAME = "UCDP"
KEY = "id"  # the dataset's own id of an event
CLAIMANT = ("actor:ucdp", "UCDP", ["Uppsala Conflict Data Program"])
COLUMNS = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence",
    "conflict_dset_id", "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id",
    "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id",
    "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low", "gwnoa", "gwnob",
)  # fmt: skip
REQUIRED = (
    "id", "side_a", "side_b", "date_prec", "date_start", "date_end", "best", "low", "high",
    "latitude", "longitude",
)  # fmt: skip
TAGGED = (
    "type_of_violence", "conflict_name", "dyad_name", "relid", "conflict_new_id",
    "dyad_new_id", "side_a_new_id", "side_b_new_id", "where_prec", "event_clarity",
    "date_prec", "priogrid_gid", "country_id", "region", "gwnoa", "gwnob", "country",
)  # fmt: skip
# The parties GED counts the dead of, besides the two sides.
CIVILIANS, UNKNOWN = "Civilians", "Unknown party"
TYPES = {"1": "State-based violence", "2": "Non-state violence", "3": "One-sided violence"}


def matches(header: Sequence[str]) -> bool:
    return {"id", "side_a", "side_b", "date_start"} <= set(header)


def _day(row: r.Row, column: str) -> date:
    raw = r.required(row, column)
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise r.RowError(column, f"{raw[:40]!r} is not a date") from None


def cover(row: r.Row) -> tuple[str, date, date]:
    """What the first pass needs of a row: its country and the days it falls between."""
    return r.text(row, "country"), _day(row, "date_start"), _day(row, "date_end")


def edtf_for(start: date, end: date, precision: int) -> str:
    if start == end:
        return start.isoformat() if precision == 1 else f"{start.isoformat()}~"
    return f"{start.isoformat()}/{end.isoformat()}"


def _place(row: r.Row) -> r.PlaceRecord:
    where = r.short("where_coordinates", r.text(row, "where_coordinates") or r.text(row, "adm_2"))
    geo = r.text(row, "where_prec")
    return r.PlaceRecord(
        name=where or r.short("country", r.required(row, "country")),
        lat=r.coordinate(row, "latitude", 90),
        lon=r.coordinate(row, "longitude", 180),
        country=r.short("country", r.text(row, "country")),
        admin1=r.short("adm_1", r.text(row, "adm_1")),
        admin2=r.short("adm_2", r.text(row, "adm_2")),
        geo_precision=r.code(row, "where_prec", range(1, 8)) if geo else None,
    )


def _figures(row: r.Row, side_a: str, side_b: str) -> list[r.Figure]:
    low, best, high = r.count(row, "low"), r.count(row, "best"), r.count(row, "high")
    assert low is not None and best is not None and high is not None
    if not low <= best <= high:
        raise r.RowError("best", f"low {low}, best {best}, high {high} are not in order")
    figures = [r.Figure(None, low, best, high)]
    for column, about in (
        ("deaths_a", side_a), ("deaths_b", side_b), ("deaths_civilians", CIVILIANS),
        ("deaths_unknown", UNKNOWN),
    ):  # fmt: skip
        value = r.count(row, column, optional=True)
        if value:
            figures.append(r.Figure(about, value, value, value))
    return figures


def read_event(rows: list[r.Row]) -> r.DatasetEvent:
    if len(rows) > 1:
        raise r.RowError("id", f"{len(rows)} rows for one event")
    row = rows[0]
    start, end = _day(row, "date_start"), _day(row, "date_end")
    if end < start:
        raise r.RowError("date_end", "before date_start")
    precision = r.code(row, "date_prec", range(1, 6))
    side_a = r.names("side_a", r.required(row, "side_a"), ", ")
    side_b = r.names("side_b", r.required(row, "side_b"), ", ")
    actors = [r.ActorRecord(n, "a") for n in side_a] + [r.ActorRecord(n, "b") for n in side_b]
    place = _place(row)
    kind = TYPES.get(r.text(row, "type_of_violence"), "Organized violence")
    figures = _figures(row, side_a[0], side_b[0])
    return r.DatasetEvent(
        key=r.required(row, "id"),
        title=r.title_for(kind, actors, place),
        when=edtf_for(start, end, precision),
        earliest=start,
        latest=end,
        summary=r.text(row, "source_headline"),
        place=place,
        actors=actors,
        tags=r.tags_of(row, TAGGED),
        figures=figures,
        coded_from=r.text(row, "source_article"),
        country=place.country,
        parties=[f.about for f in figures if f.about in (CIVILIANS, UNKNOWN)],
    )


def check_group(rows: list[r.Row], is_dyadic: bool) -> None:
    if len(rows) > 1:
        raise r.RowError("id", f"{len(rows)} rows for one event")


def dyadic(header: Sequence[str]) -> bool:
    return True
