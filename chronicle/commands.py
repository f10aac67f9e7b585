"""The write side shared by the CLI and the TUI: each user action becomes one entry.

Nothing here edits anything: a correction, a retraction or a merge is a new entry
carrying its reason, its author and its sources, appended through ``Store.append``
with the version the user last saw, so a stale write is refused rather than lost.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import uuid
from typing import Any

from chronicle import queries
from chronicle.errors import EntryError
from chronicle.store import Store
from chronicle.terms import SUBJECT_FIELD

EDITABLE_FIELDS = ("title", "when", "place", "actors", "tags", "summary")


def default_author() -> str:
    """Who is writing: CHRONICLE_AUTHOR, else git's user.name, else the login name."""
    if os.environ.get("CHRONICLE_AUTHOR"):
        return os.environ["CHRONICLE_AUTHOR"]
    try:
        name = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=2
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or getpass.getuser() or "unknown"


def new_id() -> str:
    return uuid.uuid4().hex


def parse_field(field: str, value: str) -> Any:
    """A ``--set FIELD=VALUE`` value as the payload wants it."""
    if field not in EDITABLE_FIELDS:
        raise EntryError(f"cannot set {field!r}: choose from {', '.join(EDITABLE_FIELDS)}")
    if field == "tags":
        return [t.strip() for t in value.split(",") if t.strip()]
    if field == "actors":
        return queries.list_items(value)  # the words: ``Commands`` resolves them in the store
    if field == "place":
        return value or None
    return value


def citations_from(sources: list[str] | tuple[str, ...], quote: str | None = None) -> list[dict]:
    out: list[dict[str, Any]] = [{"source": s} for s in sources]
    if quote and out:
        out[0]["quote"] = quote
    return out


class Commands:
    """One author's writes to one store."""

    def __init__(self, store: Store, author: str | None = None) -> None:
        self.store = store
        self.author = author or default_author()

    def _append(self, entry_type: str, data: dict[str, Any], expect: int | None = None) -> int:
        entry = {"id": new_id(), "type": entry_type, "author": self.author, "data": data}
        subject = data.get(SUBJECT_FIELD[entry_type])
        expect_map = {subject: expect} if expect is not None and subject else None
        result = self.store.append([entry], expect=expect_map, named=False)
        return result.added[0]

    def add(self, entry_type: str, data: dict[str, Any]) -> int:
        return self._append(entry_type, self._with_actors(data))

    def _with_actors(self, data: dict[str, Any]) -> dict[str, Any]:
        """Actors typed as words ("JNIM:attacker") made ids with roles; JSON ones left as given."""
        actors = data.get("actors")
        if not actors or not all(isinstance(a, str) for a in actors):
            return data
        return {**data, "actors": queries.actors_from(self.store.conn, actors)}

    def correct(
        self,
        event_id: str,
        changes: dict[str, Any],
        reason: str,
        citations: list[dict] | None = None,
        expect_version: int | None = None,
    ) -> int:
        data: dict[str, Any] = {
            "event_id": event_id, "changes": self._with_actors(changes), "reason": reason,
        }  # fmt: skip
        if citations:
            data["citations"] = citations
        return self._append("event.corrected", data, expect_version)

    def retract(
        self,
        event_id: str,
        reason: str,
        citations: list[dict] | None = None,
        expect_version: int | None = None,
    ) -> int:
        data: dict[str, Any] = {"event_id": event_id, "reason": reason}
        if citations:
            data["citations"] = citations
        return self._append("event.retracted", data, expect_version)

    def merge(
        self, event_id: str, into: str, reason: str, expect_version: int | None = None
    ) -> int:
        data = {"event_id": event_id, "into": into, "reason": reason}
        return self._append("event.merged", data, expect_version)

    def link(self, event_id: str, relation: str, target: str) -> int:
        return self._append(
            "event.linked", {"event_id": event_id, "relation": relation, "target": target}
        )

    def rank(self, claim_id: str, rank: str, reason: str) -> int:
        return self._append("claim.ranked", {"claim_id": claim_id, "rank": rank, "reason": reason})

    def alias(self, entity_id: str, alias: str) -> int:
        return self._append("entity.aliased", {"entity_id": entity_id, "alias": alias})

    def locate(
        self,
        place_id: str,
        lat: float,
        lon: float,
        reason: str | None = None,
        citations: list[dict] | None = None,
    ) -> int:
        data: dict[str, Any] = {"entity_id": place_id, "lat": lat, "lon": lon}
        if reason:
            data["reason"] = reason
        data["citations"] = citations or []
        return self._append("entity.located", data)
