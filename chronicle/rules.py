"""Projection rules: what each entry means for the state of events and claims.

Pure functions over plain dicts, so the rules can be read, tested and reasoned
about without a database; ``projector`` carries their results into SQLite.
Reference checks go through a small ``Lookup`` protocol that the store answers.
"""

from __future__ import annotations

from typing import Any, Protocol

from chronicle.errors import EntryError

State = dict[str, Any]


class Lookup(Protocol):
    """What the rules need to know about the store's current state."""

    def event_status(self, event_id: str) -> str | None: ...
    def entity_kind(self, entity_id: str) -> str | None: ...
    def has_source(self, source_id: str) -> bool: ...
    def claim_status(self, claim_id: str) -> str | None: ...


def _need_active_event(lookup: Lookup, event_id: str, what: str = "event") -> None:
    status = lookup.event_status(event_id)
    if status is None:
        raise EntryError(f"unknown {what} {event_id!r}")
    if status != "active":
        raise EntryError(f"{what} {event_id!r} is {status}; only an active event can change")


def _need_entity(lookup: Lookup, entity_id: str, kind: str | None = None) -> None:
    found = lookup.entity_kind(entity_id)
    if found is None:
        raise EntryError(f"unknown entity {entity_id!r}")
    if kind and found != kind:
        raise EntryError(f"entity {entity_id!r} is an {found}, not a {kind}")


def _need_sources(lookup: Lookup, citations: list[dict[str, Any]]) -> None:
    for citation in citations:
        if not lookup.has_source(citation["source"]):
            raise EntryError(f"unknown source {citation['source']!r}")


def _check_event_fields(lookup: Lookup, fields: dict[str, Any]) -> None:
    if fields.get("place"):
        _need_entity(lookup, fields["place"], "place")
    for actor in fields.get("actors", ()):
        _need_entity(lookup, actor["entity"])
    _need_sources(lookup, fields.get("citations", ()))


def _new_subject(found: object, what: str, subject: str) -> None:
    if found:
        raise EntryError(f"{what} {subject!r} already exists")


def check_references(entry_type: str, data: dict[str, Any], lookup: Lookup) -> None:
    """Refuse an entry that names something the log does not hold (or holds already)."""
    if entry_type == "source.registered":
        _new_subject(lookup.has_source(data["source_id"]), "source", data["source_id"])
    elif entry_type == "entity.registered":
        _new_subject(lookup.entity_kind(data["entity_id"]), "entity", data["entity_id"])
    elif entry_type == "entity.aliased":
        _need_entity(lookup, data["entity_id"])
    elif entry_type == "entity.located":
        _need_entity(lookup, data["entity_id"], "place")
        _need_sources(lookup, data["citations"])
    elif entry_type == "event.asserted":
        _new_subject(lookup.event_status(data["event_id"]), "event", data["event_id"])
        _check_event_fields(lookup, data)
    elif entry_type == "event.corrected":
        _need_active_event(lookup, data["event_id"])
        _check_event_fields(lookup, {**data["changes"], "citations": data.get("citations", [])})
    elif entry_type == "event.retracted":
        _need_active_event(lookup, data["event_id"])
        _need_sources(lookup, data.get("citations", ()))
    elif entry_type == "event.merged":
        _need_active_event(lookup, data["event_id"])
        _need_active_event(lookup, data["into"], "merge target")
    elif entry_type == "event.linked":
        for key in ("event_id", "target"):
            if lookup.event_status(data[key]) is None:
                raise EntryError(f"unknown event {data[key]!r}")
    elif entry_type == "claim.asserted":
        _check_claim(data, lookup)
    elif entry_type in ("claim.ranked", "claim.retracted"):
        status = lookup.claim_status(data["claim_id"])
        if status is None:
            raise EntryError(f"unknown claim {data['claim_id']!r}")
        if status != "active":
            raise EntryError(f"claim {data['claim_id']!r} is {status}")


class Referenced:
    """The ids of each kind that ``check_references`` will ask a ``Lookup`` about."""

    def __init__(self) -> None:
        self.events: set[str] = set()
        self.claims: set[str] = set()
        self.entities: set[str] = set()
        self.sources: set[str] = set()

    def add(self, entry_type: str, data: dict[str, Any]) -> None:
        """Note what an entry of ``entry_type`` names; a superset does no harm."""
        kind = entry_type.partition(".")[0]
        if kind == "event":
            self.events.add(data["event_id"])
            for key in ("into", "target"):
                if key in data:
                    self.events.add(data[key])
            self._event_fields(data.get("changes", data))
            self.sources.update(c["source"] for c in data.get("citations", ()))
        elif kind == "claim":
            self.claims.add(data["claim_id"])
            if entry_type == "claim.asserted":
                self.events.add(data["event_id"])
                self.entities.add(data["claimant"])
                self.sources.update((data["claimant"], data["source"]))
                if data.get("about"):
                    self.entities.add(data["about"])
        elif kind == "entity":
            self.entities.add(data["entity_id"])
            self.sources.update(c["source"] for c in data.get("citations", ()))
        else:
            self.sources.add(data["source_id"])

    def _event_fields(self, fields: dict[str, Any]) -> None:
        if fields.get("place"):
            self.entities.add(fields["place"])
        self.entities.update(a["entity"] for a in fields.get("actors", ()))


def _check_claim(data: dict[str, Any], lookup: Lookup) -> None:
    _new_subject(lookup.claim_status(data["claim_id"]), "claim", data["claim_id"])
    if lookup.event_status(data["event_id"]) is None:
        raise EntryError(f"unknown event {data['event_id']!r}")
    claimant = data["claimant"]
    if lookup.entity_kind(claimant) is None and not lookup.has_source(claimant):
        raise EntryError(f"unknown claimant {claimant!r}: not an entity or a source")
    if data.get("about"):
        _need_entity(lookup, data["about"])
    if not lookup.has_source(data["source"]):
        raise EntryError(f"unknown source {data['source']!r}")


# --- timeline order ---------------------------------------------------------------

OPEN_END = "9999-12-31"


def timeline_key(
    earliest: str | None, latest: str | None, event_id: str
) -> tuple[bool, str, str, str]:
    """The chronological order every view uses, as a Python key.

    Earliest bound first (an open start sorts first: NULL is smallest in SQLite),
    then the latest bound with an open end sorting last (it may still be going on),
    then the id so the order is total. ``schema.TIMELINE_ORDER`` is its SQL twin.
    """
    return (earliest is not None, earliest or "", latest or OPEN_END, event_id)


# --- event state ------------------------------------------------------------------

EVENT_FIELDS = ("title", "place", "actors", "tags", "summary")


def _when_fields(when: str, bounds: dict[str, Any]) -> State:
    return {
        "when_edtf": when,
        "earliest": bounds["earliest"],
        "latest": bounds["latest"],
        "precision": bounds["precision"],
        "approximate": bounds["approximate"],
        "uncertain": bounds["uncertain"],
        "display": bounds["display"],
    }


def asserted_state(data: dict[str, Any]) -> State:
    """The first version of an event, from its assertion."""
    return {
        "event_id": data["event_id"],
        "title": data["title"],
        **_when_fields(data["when"], data["when_bounds"]),
        "place": data.get("place"),
        "summary": data["summary"],
        "tags": list(data["tags"]),
        "actors": list(data["actors"]),
        "citations": list(data["citations"]),
        "status": "active",
        "merged_into": None,
    }


def _merge_citations(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = {_citation_key(c) for c in old}
    merged = list(old)
    for citation in new:
        if _citation_key(citation) not in seen:
            seen.add(_citation_key(citation))
            merged.append(citation)
    return merged


def _citation_key(citation: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(citation.items()))


def corrected_state(state: State, data: dict[str, Any]) -> State:
    """A new version: the changed fields replaced, the correction's citations added."""
    changes = data["changes"]
    new = dict(state)
    for field in EVENT_FIELDS:
        if field in changes:
            new[field] = changes[field]
    if "when" in changes:
        new.update(_when_fields(changes["when"], changes["when_bounds"]))
    new["citations"] = _merge_citations(state["citations"], data.get("citations", []))
    return new


def retracted_state(state: State, data: dict[str, Any]) -> State:
    return {
        **state,
        "status": "retracted",
        "citations": _merge_citations(state["citations"], data.get("citations", [])),
    }


def merged_state(state: State, into: str) -> State:
    return {**state, "status": "merged", "merged_into": into}


# --- claim state ------------------------------------------------------------------

CLAIM_FIELDS = (
    "event_id", "claimant", "property", "about", "low", "best", "high",
    "unit", "value_text", "source", "quote",
)  # fmt: skip


def claim_state(data: dict[str, Any]) -> State:
    state = {field: data.get(field) for field in CLAIM_FIELDS}
    return {**state, "claim_id": data["claim_id"], "rank": "normal", "status": "active"}


def ranked_claim(state: State, rank: str) -> State:
    return {**state, "rank": rank}


def retracted_claim(state: State) -> State:
    return {**state, "status": "retracted"}
