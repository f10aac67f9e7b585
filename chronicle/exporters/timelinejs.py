"""TimelineJS3: its JSON (title slide, events, scale) and its spreadsheet's columns.

TimelineJS renders ``headline`` and ``text`` as HTML, so both are escaped HTML
here, never raw stored text; ``group`` it first reads as HTML down to its text,
then inserts that text as HTML again, so it is escaped twice. The spreadsheet's
Headline and Group cells are plain text, as a person would type them into the
template. Dates carry only the precision the event has: a month-precise event
gets a year and a month, no invented day.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

from chronicle.exporters.chronology import html_event
from chronicle.exporters.rows import EventView, Scope
from chronicle.exporters.text import cell, esc, json_text, sheet_cell

# The columns of the TimelineJS spreadsheet template, in its order.
SHEET_COLUMNS = (
    "Year", "Month", "Day", "Time", "End Year", "End Month", "End Day", "End Time",
    "Display Date", "Headline", "Text", "Media", "Media Credit", "Media Caption",
    "Media Thumbnail", "Type", "Group", "Background",
)  # fmt: skip
GROUPINGS = ("place", "tag")

# How much of a bound to show, by the event's precision; intervals decide per bound.
_UNIT = {
    "day": "day", "days": "day", "week": "day", "month": "month", "season": "month",
    "year": "year", "decade": "year", "century": "year",
}  # fmt: skip
_MONTH_ENDS = {"01": 31, "03": 31, "04": 30, "05": 31, "06": 30, "07": 31, "08": 31,
               "09": 30, "10": 31, "11": 30, "12": 31}  # fmt: skip


def _is_month_end(iso: str) -> bool:
    year, month, day = int(iso[:4]), iso[5:7], int(iso[8:10])
    if month == "02":
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return day == (29 if leap else 28)
    return day == _MONTH_ENDS[month]


def _bound_unit(iso: str, is_end: bool) -> str:
    """The coarsest calendar unit a bound sits on the edge of (for intervals)."""
    if iso[5:] == ("12-31" if is_end else "01-01"):
        return "year"
    if (is_end and _is_month_end(iso)) or (not is_end and iso[8:] == "01"):
        return "month"
    return "day"


def _date(iso: str, unit: str) -> dict[str, int]:
    parts = {"year": int(iso[:4])}
    if unit in ("month", "day"):
        parts["month"] = int(iso[5:7])
    if unit == "day":
        parts["day"] = int(iso[8:10])
    return parts


def slide_dates(row: dict[str, Any]) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """TimelineJS start and end dates at the event's precision; end only when it differs."""
    earliest, latest = row["earliest"], row["latest"]
    fixed = _UNIT.get(row["precision"])
    if earliest is None and latest is None:
        return None, None
    if earliest is None:  # an open start: show the one end that is known
        return _date(latest, fixed or _bound_unit(latest, True)), None
    start = _date(earliest, fixed or _bound_unit(earliest, False))
    if latest is None:
        return start, None
    end = _date(latest, fixed or _bound_unit(latest, True))
    return start, (end if end != start else None)


def _group(view: EventView, group_by: str) -> str | None:
    if group_by == "tag":
        return view.tags[0] if view.tags else None
    return view.row["place"]


def slide(view: EventView, group_by: str) -> dict[str, Any] | None:
    """One event as a TimelineJS slide (None for an event with no date bound at all)."""
    start, end = slide_dates(view.row)
    if start is None:
        return None
    out: dict[str, Any] = {"start_date": start}
    if end:
        out["end_date"] = end
    out["display_date"] = view.row["display"]
    out["text"] = {"headline": esc(view.row["title"]), "text": html_event(view)}
    group = _group(view, group_by)
    if group:  # TimelineJS strips markup from it (decoding once), then sets it as innerHTML
        out["group"] = esc(esc(group))
    out["unique_id"] = view.row["event_id"]
    return out


def title_slide(title: str, scope: Scope) -> dict[str, Any]:
    return {"text": {"headline": esc(title), "text": f"<p>{esc(scope.describe())}</p>"}}


def write_timelinejs(
    out: TextIO, views: Iterable[EventView], scope: Scope, title: str, group_by: str
) -> int:
    """The JSON object TimelineJS3 loads, its events array streamed one slide at a time."""
    out.write('{"scale": "human",\n"title": ' + json_text(title_slide(title, scope)))
    out.write(',\n"events": [')
    count = 0
    for view in views:
        data = slide(view, group_by)
        if data is None:
            continue
        out.write(("," if count else "") + "\n" + json_text(data))
        count += 1
    out.write("\n]}\n")
    return count


def _sheet_row(
    data: dict[str, Any], headline: str, group: str | None = None, kind: str = ""
) -> list[Any]:
    """A slide as a row of the template: its Text is HTML, its Headline and Group plain text."""
    start, end = data.get("start_date") or {}, data.get("end_date") or {}
    values = {
        "Year": start.get("year"), "Month": start.get("month"), "Day": start.get("day"),
        "End Year": end.get("year"), "End Month": end.get("month"), "End Day": end.get("day"),
        "Display Date": data.get("display_date"), "Headline": headline,
        "Text": data["text"]["text"], "Type": kind, "Group": group,
    }  # fmt: skip
    return [cell(values.get(c)) for c in SHEET_COLUMNS]


def write_timelinejs_csv(
    out: TextIO,
    views: Iterable[EventView],
    scope: Scope,
    title: str,
    group_by: str,
    safe: bool = True,
) -> int:
    """The spreadsheet TimelineJS reads: a title row, then one row per event.

    It exists to be pasted into a Google Sheet, where a cell such as ``=IMAGE(…)``
    would fetch the moment the sheet opens: ``safe`` text cells cannot start a formula.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SHEET_COLUMNS)
    title_row = _sheet_row(title_slide(title, scope), title, kind="title")
    writer.writerow([sheet_cell(v, safe) for v in title_row])
    count = 0
    for view in views:
        data = slide(view, group_by)
        if data is not None:
            row = _sheet_row(data, view.row["title"], _group(view, group_by))
            writer.writerow([sheet_cell(v, safe) for v in row])
            count += 1
    return count
