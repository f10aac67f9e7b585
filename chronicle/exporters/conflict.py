"""The conflict-data conventions: ACLED-style and UCDP-GED-style CSV.

Both datasets hold one figure (or one low/best/high triple) per event where this
store holds every claimant's figure. The reduction is deliberately conservative
and always explained: the figure is the lowest any claimant gives, and the notes
state who says what, so the disagreement is never silently averaged away.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TextIO

from chronicle.exporters.rows import ClaimGroup, EventView
from chronicle.exporters.text import cell, flat
from chronicle.importers import acled, ucdp
from chronicle.sides import shown_name, split_sides

ACLED_COLUMNS = acled.COLUMNS
UCDP_COLUMNS = ucdp.COLUMNS
ACLED_DATE = "%d %B %Y"


def _span_days(view: EventView) -> int | None:
    earliest, latest = view.row["earliest"], view.row["latest"]
    if not earliest or not latest:
        return None
    return (date.fromisoformat(latest) - date.fromisoformat(earliest)).days + 1


def _hedged(view: EventView) -> bool:
    return bool(view.row["approximate"] or view.row["uncertain"])


def acled_precision(view: EventView) -> int:
    """ACLED's time_precision: 1 the day is known, 2 within about a week, 3 a month or more."""
    days = _span_days(view)
    if days == 1 and not _hedged(view):
        return 1
    return 2 if days is not None and days <= 7 else 3


def ucdp_precision(view: EventView) -> int:
    """UCDP's date_prec: 1 exact day, 2 two to six days, 3 a week, 4 a month, 5 longer."""
    days = _span_days(view)
    if days is None:
        return 5
    if days == 1:
        return 2 if _hedged(view) else 1
    for limit, code in ((6, 2), (7, 3), (31, 4)):
        if days <= limit:
            return code
    return 5


def _middle(view: EventView) -> str | None:
    """ACLED codes an imprecise date at the middle of what is known."""
    earliest, latest = view.row["earliest"], view.row["latest"]
    if not earliest or not latest:
        return earliest or latest
    lo, hi = date.fromisoformat(earliest), date.fromisoformat(latest)
    return date.fromordinal((lo.toordinal() + hi.toordinal()) // 2).isoformat()


def _killed(view: EventView) -> list[ClaimGroup]:
    return [g for g in view.groups if g.property == "killed"]


def _total(groups: list[ClaimGroup], pick) -> float | None:
    """A total over the groups: the larger of the all-sides figure and the sum of the sides.

    Both are lower bounds of the same total when ``pick`` takes each group's low,
    so the larger is still conservative; a group with words and no figure adds nothing.
    """
    overall = [pick(g) for g in groups if g.about is None and pick(g) is not None]
    sides = [pick(g) for g in groups if g.about is not None and pick(g) is not None]
    candidates = [*overall, sum(sides)] if sides else overall
    return max(candidates) if candidates else None


def _all_sides(groups: list[ClaimGroup], pick) -> float | None:
    """GED's own columns: a toll for all sides where one is given, else the sides summed.

    GED's best, low and high are for all sides together, and its per-side deaths
    add up to the best alone, so summing them would overrule a low or a high.
    """
    overall = [pick(g) for g in groups if g.about is None and pick(g) is not None]
    return min(overall) if overall else _total(groups, pick)


def _group_best(group: ClaimGroup) -> float | None:
    for figure in (group.preferred_figure, group.best):
        if figure is not None:
            return figure
    return group.low


def _fields(view: EventView) -> dict[str, str]:
    """Dataset fields the event keeps as ``column:value`` tags (the first of each)."""
    fields: dict[str, str] = {}
    for tag in view.tags:
        column, sep, value = tag.partition(":")
        if sep and column not in fields:
            fields[column] = value
    return fields


def _dataset_tags(view: EventView) -> str:
    return "; ".join(t.partition(":")[2] for t in view.tags if t.startswith("tags:"))


def _parties(view: EventView) -> tuple[list[str], list[str]]:
    """The two opposing sides' names; with no side known, the first actor alone, no guess."""
    sides = split_sides(view.actors)
    if sides.known:
        return [shown_name(a) for a in sides.a], [shown_name(a) for a in sides.b]
    return [shown_name(a) for a in sides.unsided[:1]], []


def _own_id(view: EventView, prefix: str) -> str:
    """The dataset's own id for an event that came from it, else the store's id."""
    return view.row["event_id"].removeprefix(prefix)


def _sources(view: EventView) -> str:
    coded = [c["coded_from"] for c in view.citations if c.get("coded_from")]
    titles = (c["title"] or c["source_id"] for c in view.citations)
    return "; ".join(dict.fromkeys(coded or titles))


def _notes(view: EventView, exact_day: bool) -> str:
    parts = [flat(view.row["summary"])] if view.row["summary"] else []
    left_out = split_sides(view.actors).unsided[0 if split_sides(view.actors).known else 1 :]
    if left_out:
        parts.append("Other actors: " + ", ".join(shown_name(a) for a in left_out) + ".")
    for group in view.groups:
        if group.disputed or group.property == "killed":  # what the figure leaves out
            parts.append(f"{group.heading}: {group.prose()}.")
    if not exact_day:
        display, edtf = view.row["display"], view.row["when_edtf"]
        parts.append(f"Date: {display}." if display == edtf else f"Date: {display} ({edtf}).")
    return " ".join(parts)


def _coded_day(view: EventView, fields: dict[str, str]) -> date | None:
    """The dataset's own coded day where it kept one inside the event's dates, else the middle."""
    earliest, latest = view.row["earliest"], view.row["latest"]
    kept = fields.get("event_date")
    if kept and earliest and latest and earliest <= kept <= latest:
        return date.fromisoformat(kept)
    middle = _middle(view)
    return date.fromisoformat(middle) if middle else None


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


Places = Callable[[str], dict[str, Any]]


def _place(view: EventView, places: Places) -> dict[str, Any]:
    return places(view.row["place_id"]) if view.row["place_id"] else {}


def acled_row(view: EventView, places: Places) -> list[Any]:
    fields = _fields(view)
    side_a, side_b = _parties(view)
    precision = acled_precision(view)
    day = _coded_day(view, fields)
    place = _place(view, places)
    fatalities = _total(_killed(view), lambda g: g.low)
    values = {
        **{c: fields.get(c, "") for c in ACLED_COLUMNS},
        "event_id_cnty": _own_id(view, "ev:acled:"),
        "event_date": day.strftime(ACLED_DATE) if day else "",
        "year": day.year if day else "",
        "time_precision": precision,
        "actor1": side_a[0] if side_a else "",
        "assoc_actor_1": "; ".join(side_a[1:]),
        "actor2": side_b[0] if side_b else "",
        "assoc_actor_2": "; ".join(side_b[1:]),
        "country": place.get("country") or fields.get("country", ""),
        "admin1": place.get("admin1") or "",
        "admin2": place.get("admin2") or "",
        "admin3": place.get("admin3") or "",
        "location": view.row["place"] or "",
        "latitude": _coordinate(place.get("lat")),
        "longitude": _coordinate(place.get("lon")),
        "geo_precision": place.get("geo_precision") or "",
        "source": _sources(view),
        "notes": _notes(view, precision == 1),
        "fatalities": _whole(fatalities) or 0,
        "tags": _dataset_tags(view),
    }
    return [values[c] for c in ACLED_COLUMNS]


def ucdp_row(view: EventView, places: Places) -> list[Any]:
    fields = _fields(view)
    side_a, side_b = _parties(view)
    place = _place(view, places)
    killed = _killed(view)
    about = {g.about: g.low for g in killed if g.about is not None}
    lat, lon = place.get("lat"), place.get("lon")
    earliest = view.row["earliest"]
    values = {
        **{c: fields.get(c, "") for c in UCDP_COLUMNS},
        "id": _own_id(view, "ev:ucdp:"),
        "year": earliest[:4] if earliest else "",
        "side_a": ", ".join(side_a),
        "side_b": ", ".join(side_b),
        "number_of_sources": view.row.get("n_sources") or len(view.citations),
        "source_article": _sources(view),
        "source_headline": flat(view.row["summary"]),
        "where_prec": place.get("geo_precision") or fields.get("where_prec", ""),
        "where_coordinates": view.row["place"] or "",
        "adm_1": place.get("admin1") or "",
        "adm_2": place.get("admin2") or "",
        "latitude": _coordinate(lat),
        "longitude": _coordinate(lon),
        "geom_wkt": f"POINT ({lon:.4f} {lat:.4f})" if lat is not None and lon is not None else "",
        "country": place.get("country") or fields.get("country", ""),
        "date_prec": fields.get("date_prec") or ucdp_precision(view),
        "date_start": earliest or "",
        "date_end": view.row["latest"] or "",
        "deaths_a": _whole(about.get(side_a[0])) if side_a else None,
        "deaths_b": _whole(about.get(side_b[0])) if side_b else None,
        "deaths_civilians": _whole(about.get(ucdp.CIVILIANS)),
        "deaths_unknown": _whole(about.get(ucdp.UNKNOWN)),
        "best": _whole(_all_sides(killed, _group_best)),
        "low": _whole(_all_sides(killed, lambda g: g.low)),
        "high": _whole(_all_sides(killed, lambda g: g.high)),
    }
    return [values[c] for c in UCDP_COLUMNS]


def _write(out: TextIO, columns, views: Iterable[EventView], row, places: Places) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for view in views:
        writer.writerow(cell(v) for v in row(view, places))
        count += 1
    return count


def write_acled(out: TextIO, views: Iterable[EventView], places: Places) -> int:
    """ACLED's current 31 columns, one row per event, its two sides in actor1 and actor2."""
    return _write(out, ACLED_COLUMNS, views, acled_row, places)


def write_ucdp(out: TextIO, views: Iterable[EventView], places: Places) -> int:
    """GED's 49 columns in the codebook's order, its two sides in side_a and side_b."""
    return _write(out, UCDP_COLUMNS, views, ucdp_row, places)
