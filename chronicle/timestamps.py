"""Transaction times: one spelling, so that comparing the text compares the moments.

``recorded_at`` is compared as text (as-of by time, the index on it), which only
works if every value is UTC in one fixed format. Any ISO-8601 input is brought to
``YYYY-MM-DDTHH:MM:SS.ffffffZ`` where it enters; a time without an offset is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from chronicle.errors import EntryError

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class TimeOrderError(EntryError):
    """An entry whose time is before the entry it would follow in the log."""


def utc_now() -> str:
    return datetime.now(UTC).strftime(FORMAT)


def normalize(text: str) -> str:
    """The canonical UTC spelling of an ISO-8601 time; ValueError if it is not one."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return _spelled(moment)


def _spelled(moment: datetime) -> str:
    """``moment.strftime(FORMAT)``, at a third of its cost for four-digit years.

    Every imported entry passes through here. isoformat gives the same text as
    FORMAT whenever the year has four digits; strftime leaves a year below 1000
    unpadded ("999-..."), and the hash chain pins that spelling, so those keep it.
    """
    if moment.year < 1000:
        return moment.strftime(FORMAT)
    return moment.isoformat(timespec="microseconds") + "Z"


class Stamp(NamedTuple):
    """The time an entry is recorded at, and the time it carried before, if it was re-stamped."""

    recorded_at: str
    first_recorded_at: str | None = None


def next_stamp(previous: str | None, supplied: str | None, *, restamp: bool = False) -> Stamp:
    """The ``recorded_at`` of the entry that follows one recorded at ``previous``.

    As-of by time takes the longest prefix of entries recorded by then, which is
    only right if ``recorded_at`` never goes backwards along ``seq``; every writer
    of a log (the embedded store, a server) numbers its entries through here.
    ``supplied`` is the time an entry arrived with (an import, a copied log):
    kept when it is not before ``previous``; refused when it is, unless
    ``restamp``, which records it now and hands back the supplied time to keep
    inside the entry. An entry arriving without a time is recorded now, or at
    ``previous`` if this machine's clock is behind the log's last entry.
    """
    if supplied is None:
        now = utc_now()
        return Stamp(now if previous is None or not _before(now, previous) else previous)
    if previous is None or not _before(supplied, previous):
        return Stamp(supplied)
    if not restamp:
        raise TimeOrderError(
            f"recorded_at {supplied} is before the log's last entry ({previous}): the log's "
            "times never go backwards (import --restamp records it now and keeps its time "
            "as first_recorded_at)"
        )
    return Stamp(next_stamp(previous, None).recorded_at, supplied)


def _before(a: str, b: str) -> bool:
    """``a`` is an earlier moment than ``b``; text order, but for years below 1000."""
    return _sortable(a) < _sortable(b)


def _sortable(moment: str) -> str:
    if moment[4:5] == "-":  # a four-digit year: the text is its own order
        return moment
    year, _, rest = moment.partition("-")
    return f"{year.zfill(4)}-{rest}"
