"""The conflict-data conventions: ACLED-style and UCDP-GED-style CSV.

Both datasets hold one figure (or one low/best/high triple) per event where this
store holds every claimant's figure. The reduction is deliberately conservative
and always explained: the figure is the lowest any claimant gives, and the notes
state who says what, so the disagreement is never silently averaged away.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from typing import TextIO

from chronicle.exporters.rows import ClaimGroup, EventView
from chronicle.exporters.text import cell, flat

ACLED_COLUMNS = (
    "event_id", "event_date", "time_precision", "actor1", "actor2", "location", "fatalities",
    "source", "notes",
)  # fmt: skip
UCDP_COLUMNS = (
    "id", "date_start", "date_end", "date_prec", "side_a", "side_b", "where_coordinates",
    "best", "low", "high", "source_article",
)  # fmt: skip


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


def _group_best(group: ClaimGroup) -> float | None:
    return group.preferred_figure if group.preferred_figure is not None else group.low


def _actors(view: EventView) -> tuple[str, str]:
    names = [a["name"] for a in view.actors]
    return (names[0] if names else "", names[1] if len(names) > 1 else "")


def _sources(view: EventView) -> str:
    return "; ".join(dict.fromkeys(c["title"] or c["source_id"] for c in view.citations))


def _notes(view: EventView, exact_day: bool) -> str:
    parts = [flat(view.row["summary"])] if view.row["summary"] else []
    names = [a["name"] for a in view.actors]
    if len(names) > 2:
        parts.append("Other actors: " + ", ".join(names[2:]) + ".")
    for group in view.groups:
        if group.disputed or group.property == "killed":  # what the figure leaves out
            parts.append(f"{group.heading}: {group.prose()}.")
    if not exact_day:
        display, edtf = view.row["display"], view.row["when_edtf"]
        parts.append(f"Date: {display}." if display == edtf else f"Date: {display} ({edtf}).")
    return " ".join(parts)


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def write_acled(out: TextIO, views: Iterable[EventView]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ACLED_COLUMNS)
    count = 0
    for view in views:
        actor1, actor2 = _actors(view)
        precision = acled_precision(view)
        fatalities = _total(_killed(view), lambda g: g.low)
        writer.writerow(
            cell(v)
            for v in (
                view.row["event_id"], _middle(view), precision, actor1, actor2,
                view.row["place"], _whole(fatalities) or 0, _sources(view),
                _notes(view, precision == 1),
            )
        )  # fmt: skip
        count += 1
    return count


def write_ucdp(out: TextIO, views: Iterable[EventView]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UCDP_COLUMNS)
    count = 0
    for view in views:
        side_a, side_b = _actors(view)
        killed = _killed(view)
        low = _total(killed, lambda g: g.low)
        high = _total(killed, lambda g: g.high)
        best = _total(killed, _group_best)
        writer.writerow(
            cell(v)
            for v in (
                view.row["event_id"], view.row["earliest"], view.row["latest"],
                ucdp_precision(view), side_a, side_b, view.row["place"],
                _whole(best), _whole(low), _whole(high), _sources(view),
            )
        )  # fmt: skip
        count += 1
    return count
