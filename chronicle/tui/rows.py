"""The timeline's rows, read lazily: the app never holds more than a few pages.

Two shapes of view share one interface. The current, unfiltered chronology is
read by keyset range on the store's dense ordinal; a filtered, searched or past
chronology is an ordered array of ids built once (in a worker) and read a page of
ids at a time. Either way a row is fetched only when it is about to be drawn, and
positions are found by binary search on the chronological sort key, never by
reading everything before them.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from chronicle import queries
from chronicle.rules import timeline_key

PAGE_SIZE = 128  # rows a query reads: half of a screen-centred jump is a cold page
CACHED_PAGES = 16

Row = dict[str, Any]
SortKey = tuple[bool, str, str, str]


def sort_key(row: Row) -> SortKey:
    """The timeline's order (``rules.timeline_key``): open starts first, open ends last."""
    return timeline_key(row["earliest"], row["latest"], row["event_id"])


def starts_on_or_after(row: Row, iso_date: str) -> bool:
    """Where a date jump lands: rows are sorted by their earliest bound, so this is monotone."""
    return row["earliest"] is not None and row["earliest"] >= iso_date


class Rows:
    """A chronological view: a row count, rows by position, and positions by key.

    Positions are 0-based. Pages are kept in a small LRU so stepping and redrawing
    cost no query while the cursor stays near where it was.
    """

    as_of: int | None = None

    def __init__(self, conn: sqlite3.Connection, count: int) -> None:
        self.conn = conn
        self.count = count
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()

    # --- what subclasses provide -------------------------------------------------

    def _fetch(self, first: int, last: int) -> list[Row]:
        """Rows first..last inclusive, in view order."""
        raise NotImplementedError

    def row_of(self, event_id: str) -> Row | None:
        """The row of one event as this view would show it, wherever it sits."""
        rows = queries.events_by_id(self.conn, [event_id], self.as_of)
        return rows.get(event_id)

    def _member(self, row: Row) -> bool:
        """Whether a looked-up row belongs to this view at all."""
        return True

    # --- reading -------------------------------------------------------------------

    def row(self, index: int) -> Row | None:
        if not 0 <= index < self.count:
            return None
        number = index // PAGE_SIZE
        page = self._pages.get(number)
        if page is None:
            page = self._load_page(number)
        else:
            self._pages.move_to_end(number)
        offset = index - number * PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def _load_page(self, number: int) -> list[Row]:
        first = number * PAGE_SIZE
        last = min(first + PAGE_SIZE, self.count) - 1
        page = self._fetch(first, last)
        corrected = queries.corrected_ids(self.conn, [r["event_id"] for r in page], self.as_of)
        for row in page:
            row["corrected"] = row["event_id"] in corrected
        self._pages[number] = page
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def _probe(self, index: int) -> Row:
        """One row for a binary search: from the cache if there, else a single-row read."""
        page = self._pages.get(index // PAGE_SIZE)
        if page is not None:
            return page[index % PAGE_SIZE]
        return self._fetch(index, index)[0]

    def _lower_bound(self, reached: Callable[[Row], bool]) -> int:
        """The first position whose row satisfies a predicate monotone along the view."""
        lo, hi = 0, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            if reached(self._probe(mid)):
                hi = mid
            else:
                lo = mid + 1
        return lo

    # --- finding positions -----------------------------------------------------------

    def index_of(self, event_id: str) -> int | None:
        """Where an event sits in this view, or None if the view does not show it."""
        row = self.row_of(event_id)
        if row is None or not self._member(row):
            return None
        key = sort_key(row)
        index = self._lower_bound(lambda r: sort_key(r) >= key)
        found = self._probe(index) if index < self.count else None
        return index if found is not None and found["event_id"] == event_id else None

    def index_at_date(self, iso_date: str) -> int:
        """The first row starting on or after a date (the last row if none does)."""
        if self.count == 0:
            return 0
        index = self._lower_bound(lambda r: starts_on_or_after(r, iso_date))
        return min(index, self.count - 1)

    def year_step(self, index: int, years: int) -> int:
        """The first row of the year ``years`` after (or before) the row at ``index``."""
        row = self.row(index)
        if row is None or row["earliest"] is None:
            return 0 if years < 0 else self._lower_bound(lambda r: r["earliest"] is not None)
        year = int(row["earliest"][:4])
        target = year + years
        if years < 0 and self.index_at_date(f"{year:04d}-01-01") < index:
            target = year + years + 1  # first go back to the start of this year
        if target < 1:
            return 0
        if target > 9999:
            return max(self.count - 1, 0)
        return self.index_at_date(f"{target:04d}-01-01")


class OrderedRows(Rows):
    """The current chronology, paged by range on the dense ordinal (``Store.ensure_order``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn, queries.timeline_count(conn))

    def _fetch(self, first: int, last: int) -> list[Row]:
        return queries.timeline_lines(self.conn, first + 1, last + 1)

    def _member(self, row: Row) -> bool:
        return row["status"] == "active"


class ListedRows(Rows):
    """A filtered, searched or past chronology: an ordered id array, paged by ids."""

    def __init__(self, conn: sqlite3.Connection, ids: list[str], as_of: int | None = None) -> None:
        super().__init__(conn, len(ids))
        self.ids = ids
        self.as_of = as_of

    def _fetch(self, first: int, last: int) -> list[Row]:
        wanted = self.ids[first : last + 1]
        found = queries.events_by_id(self.conn, wanted, self.as_of)
        return [found.get(i) or _vanished(i) for i in wanted]

    def index_of(self, event_id: str) -> int | None:
        # The array is in memory: a scan at C speed beats twenty queries.
        try:
            return self.ids.index(event_id)
        except ValueError:
            return None


def _vanished(event_id: str) -> Row:
    """A stand-in for an id the store no longer shows, so positions stay aligned.

    Only seen between another writer's commit and the refresh that follows it.
    """
    row: Row = dict.fromkeys(queries.TIMELINE_COLUMNS)
    row.update(event_id=event_id, title="(changed: refreshing)", display="", status="gone")
    return row


def next_match(rows: Rows, ids: list[str], key: SortKey, direction: int) -> int:
    """Index in ``ids`` of the first match past ``key`` (before it if ``direction`` < 0),
    wrapping around at the ends.

    ``ids`` is in view order, so a binary search on sort keys finds it in a few
    single-row reads however many matches there are.
    """

    def past(row: Row | None) -> bool:
        if row is None:
            return False
        return sort_key(row) > key if direction > 0 else sort_key(row) >= key

    lo, hi = 0, len(ids)
    while lo < hi:
        mid = (lo + hi) // 2
        if past(rows.row_of(ids[mid])):
            hi = mid
        else:
            lo = mid + 1
    return (lo if direction > 0 else lo - 1) % len(ids)


def touched_events(conn: sqlite3.Connection, after: int, upto: int) -> set[str]:
    """Events whose place in the timeline entries after..upto may change (not links, claims)."""
    entries = queries.log_entries(conn, start=after + 1, limit=upto - after)
    moves = ("event.asserted", "event.corrected", "event.retracted", "event.merged")
    return {e["subject"] for e in entries if e["type"] in moves}


def stepped_ids(
    conn: sqlite3.Connection, ids: list[str], touched: set[str], as_of: int
) -> list[str]:
    """The unfiltered past view a few entries on (or back): the touched events taken out
    of a copy of ``ids`` and put back where they sort as of ``as_of``, if active then.

    Stepping through the log entry by entry so costs a few keyed reads, not a rebuild
    of every id (over a second at a million entries).
    """

    def key_of(event_id: str) -> SortKey:
        return sort_key(queries.events_by_id(conn, [event_id], as_of)[event_id])

    out = [event_id for event_id in ids if event_id not in touched]
    found = queries.events_by_id(conn, sorted(touched), as_of).values()
    for row in sorted((r for r in found if r["status"] == "active"), key=sort_key):
        key = sort_key(row)
        lo, hi = 0, len(out)
        while lo < hi:
            mid = (lo + hi) // 2
            if key_of(out[mid]) < key:
                lo = mid + 1
            else:
                hi = mid
        out.insert(lo, row["event_id"])
    return out
