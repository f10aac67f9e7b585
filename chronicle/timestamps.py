"""Transaction times: one spelling, so that comparing the text compares the moments.

``recorded_at`` is compared as text (as-of by time, the index on it), which only
works if every value is UTC in one fixed format. Any ISO-8601 input is brought to
``YYYY-MM-DDTHH:MM:SS.ffffffZ`` where it enters; a time without an offset is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


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
