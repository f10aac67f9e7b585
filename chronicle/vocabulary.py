"""The log's vocabulary: the payload shape of every entry type, within ``terms``' limits.

Entries are validated exactly once, where they enter the store (append, import),
with pydantic TypeAdapters over TypedDicts: measured, that is about four times
cheaper per entry than nested BaseModels, and replay never validates again.
Reference checks (does that event exist?) need the store's state and live in
``rules``; this module only knows shapes.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import date
from typing import Annotated, Any, Literal, NotRequired

from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from chronicle.errors import EntryError
from chronicle.terms import (
    ENTRY_TYPES,
    HASH_PATTERN,
    ID_PATTERN,
    MAX_DEPTH,
    MAX_ID,
    MAX_LIST,
    MAX_LONG,
    MAX_NUMBER,
    MAX_QUOTE,
    MAX_REASON,
    MAX_SHORT,
    MAX_TAGS,
    MAX_TITLE,
    MAX_URL,
    EntityKind,
    Precision,
    Property,
    Rank,
    Relation,
    SourceKind,
)
from chronicle.timestamps import normalize

STRICT = ConfigDict(strict=True, extra="forbid")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or blank")
    return value


def _iso_day(value: str) -> str:
    try:
        if len(value) == 10 and date.fromisoformat(value):
            return value
    except ValueError:
        pass
    raise ValueError("must be a day written YYYY-MM-DD")


def _log_time(value: str) -> str:
    try:
        if normalize(value) == value:
            return value
    except ValueError:
        pass
    raise ValueError("must be a UTC time as the log writes it (YYYY-MM-DDTHH:MM:SS.ffffffZ)")


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID, pattern=ID_PATTERN)]
Short = Annotated[str, Field(max_length=MAX_SHORT)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_SHORT), AfterValidator(_not_blank)]
Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), AfterValidator(_not_blank)]
Long = Annotated[str, Field(max_length=MAX_LONG)]
Quote = Annotated[str, Field(max_length=MAX_QUOTE)]
Reason = Annotated[str, Field(min_length=1, max_length=MAX_REASON), AfterValidator(_not_blank)]
Url = Annotated[str, Field(max_length=MAX_URL)]
Edtf = Annotated[str, Field(min_length=1, max_length=100)]
Tag = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_not_blank)]
Count = Annotated[int | float, Field(ge=0, le=MAX_NUMBER)]
Latitude = Annotated[int | float, Field(ge=-90, le=90)]
Longitude = Annotated[int | float, Field(ge=-180, le=180)]
IsoDay = Annotated[str, AfterValidator(_iso_day)]
LogTime = Annotated[str, AfterValidator(_log_time)]


@with_config(STRICT)
class WhenBounds(TypedDict):
    """What the date library understood when the entry was written; replay trusts it."""

    earliest: IsoDay | None
    latest: IsoDay | None
    precision: Precision
    approximate: bool
    uncertain: bool
    display: str


@with_config(STRICT)
class Payload(TypedDict):
    """What every payload may carry besides its own fields.

    ``first_recorded_at`` is the time an entry arrived with when ``import --restamp``
    recorded it later than that, because the log's times never go backwards: the
    envelope's ``recorded_at`` is when this log took it, this is when it was first
    recorded elsewhere.
    """

    first_recorded_at: NotRequired[LogTime]


@with_config(STRICT)
class Citation(TypedDict):
    source: Id
    quote: NotRequired[Quote]
    locator: NotRequired[Short]
    named_as: NotRequired[Short]
    # the media a dataset coded the event from (ACLED's ``source`` column), kept apart
    # from ``quote``: they are names of outlets, not words of the source
    coded_from: NotRequired[Quote]


# Which of the two opposing parties an actor fought on: ACLED's actor1/actor2 columns,
# UCDP's side_a/side_b. Absent when nobody says; allies share a side.
Side = Literal["a", "b"]


@with_config(STRICT)
class Actor(TypedDict):
    entity: Id
    role: NotRequired[Short]
    side: NotRequired[Side]
    named_as: NotRequired[Short]  # the name a dataset gave the actor in this event


Citations = Annotated[list[Citation], Field(max_length=MAX_LIST)]
Actors = Annotated[list[Actor], Field(max_length=MAX_LIST)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]


@with_config(STRICT)
class SourceRegistered(Payload):
    source_id: Id
    title: Title
    kind: SourceKind
    publisher: NotRequired[Short]
    author: NotRequired[Short]
    published: NotRequired[Edtf]
    published_bounds: NotRequired[WhenBounds]
    url: NotRequired[Url]
    language: NotRequired[Short]
    locator: NotRequired[Short]


@with_config(STRICT)
class EntityRegistered(Payload):
    entity_id: Id
    kind: EntityKind
    name: Name
    aliases: Annotated[list[Name], Field(max_length=MAX_LIST)]
    description: NotRequired[Long]
    lat: NotRequired[Latitude]
    lon: NotRequired[Longitude]
    # where a place lies, as a conflict dataset codes it
    country: NotRequired[Short]
    admin1: NotRequired[Short]
    admin2: NotRequired[Short]
    admin3: NotRequired[Short]
    geo_precision: NotRequired[Annotated[int, Field(ge=1, le=7)]]


@with_config(STRICT)
class EntityLocated(Payload):
    """Where a place is, said after it was registered: its coordinates and who gives them.

    Coordinates were optional on ``entity.registered`` and the seed places had none;
    a place is located (or moved, when a better source comes) by a new entry, so the
    history keeps every position a place was given and where it came from.
    """

    entity_id: Id
    lat: Latitude
    lon: Longitude
    reason: NotRequired[Reason]
    citations: Citations


@with_config(STRICT)
class EntityAliased(Payload):
    entity_id: Id
    alias: Name


@with_config(STRICT)
class EventAsserted(Payload):
    event_id: Id
    title: Title
    when: Edtf
    when_bounds: NotRequired[WhenBounds]
    place: NotRequired[Id | None]
    actors: Actors
    tags: Tags
    summary: Long
    citations: Citations


@with_config(STRICT)
class EventChanges(TypedDict, total=False):
    title: Title
    when: Edtf
    when_bounds: WhenBounds
    place: Id | None
    actors: Actors
    tags: Tags
    summary: Long


@with_config(STRICT)
class EventCorrected(Payload):
    event_id: Id
    changes: EventChanges
    reason: Reason
    citations: NotRequired[Citations]


@with_config(STRICT)
class EventRetracted(Payload):
    event_id: Id
    reason: Reason
    citations: NotRequired[Citations]


@with_config(STRICT)
class EventMerged(Payload):
    event_id: Id
    into: Id
    reason: Reason


@with_config(STRICT)
class EventLinked(Payload):
    event_id: Id
    relation: Relation
    target: Id


@with_config(STRICT)
class ClaimAsserted(Payload):
    claim_id: Id
    event_id: Id
    claimant: Id
    property: Property
    source: Id
    about: NotRequired[Id | None]
    low: NotRequired[Count | None]
    best: NotRequired[Count | None]
    high: NotRequired[Count | None]
    value_text: NotRequired[Short]
    unit: NotRequired[Short]
    quote: NotRequired[Quote]


@with_config(STRICT)
class ClaimRanked(Payload):
    claim_id: Id
    rank: Rank
    reason: Reason


@with_config(STRICT)
class ClaimRetracted(Payload):
    claim_id: Id
    reason: Reason


PAYLOADS: dict[str, type] = {
    "source.registered": SourceRegistered,
    "entity.registered": EntityRegistered,
    "entity.aliased": EntityAliased,
    "entity.located": EntityLocated,
    "event.asserted": EventAsserted,
    "event.corrected": EventCorrected,
    "event.retracted": EventRetracted,
    "event.merged": EventMerged,
    "event.linked": EventLinked,
    "claim.asserted": ClaimAsserted,
    "claim.ranked": ClaimRanked,
    "claim.retracted": ClaimRetracted,
}


@with_config(STRICT)
class Envelope(TypedDict):
    """One line of the interchange format, as a user or an export writes it."""

    id: Id
    # The types are named once, in terms.ENTRY_TYPES: a Literal built from that tuple is one
    # pydantic checks at run time, but not one a type checker can read.
    type: Literal[ENTRY_TYPES]  # type: ignore[valid-type]  # see above
    subject: NotRequired[Id]
    author: Name
    recorded_at: NotRequired[Annotated[str, Field(min_length=10, max_length=40)]]
    schema: NotRequired[Annotated[int, Field(ge=1, le=1000)]]
    data: dict[str, Any]
    # present in exports of the log; accepted and checked on import
    seq: NotRequired[Annotated[int, Field(ge=1)]]
    subject_version: NotRequired[Annotated[int, Field(ge=1)]]
    prev_hash: NotRequired[Annotated[str, Field(pattern=HASH_PATTERN)]]
    hash: NotRequired[Annotated[str, Field(pattern=HASH_PATTERN)]]


# The validators are made on first use, by what validates: all thirteen made at import
# took 55-80 ms.
@functools.cache
def _envelope() -> TypeAdapter[Envelope]:
    return TypeAdapter(Envelope)


@functools.cache
def _payload(entry_type: str) -> TypeAdapter[dict[str, Any]]:
    return TypeAdapter(PAYLOADS[entry_type])


def describe(err: ValidationError, prefix: str) -> str:
    """Collapse pydantic's multi-line report into the first problem, on one line."""
    first = err.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "(entry)"
    extra = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    message = first["msg"].removeprefix("Value error, ")
    return f"{prefix}{where}: {message}{extra}"


def validate_envelope(raw: Any) -> Envelope:
    if not isinstance(raw, dict):
        raise EntryError("entry must be a JSON object")
    try:
        return _envelope().validate_python(raw)
    except ValidationError as err:
        raise EntryError(describe(err, f"entry {raw.get('id', '?')!s:.60}: ")) from None


def validate_envelope_json(text: str) -> Envelope:
    """Validate one interchange line straight from its JSON text.

    pydantic checks the text as it reads it, skipping the dict that ``json.loads``
    builds only for validation to copy it again: about a third of the cost of
    reading an entry's envelope. A line it refuses is read again the slow way
    (``json.loads``, then ``validate_envelope``), so the fast path only ever says
    "valid", and anything else is accepted or worded exactly as before: the JSON
    readers differ at the edges (a lone surrogate, deep nesting).
    """
    try:
        return _envelope().validate_json(text)
    except ValidationError:
        pass
    try:
        raw = read_json(text)
    except json.JSONDecodeError as err:
        raise EntryError(f"not valid JSON ({err.msg}, column {err.colno})") from None
    return validate_envelope(raw)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def read_json(text: str | bytes) -> Any:
    """``json.loads`` for input, refusing nesting deeper than MAX_DEPTH before it recurses.

    Python's JSON reader recurses once a level: 100,000 nested arrays end in a
    RecursionError (and pydantic's reader stops at its own depth, then hands the
    line here). No entry is deeper than a few levels, so deeper input is refused
    by name, counted on the text with strings taken out.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        raise EntryError(f"nested deeper than {MAX_DEPTH} levels")
    return json.loads(text)


def _depth(text: str) -> int:
    brackets = re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def validate_payload(entry_type: str, data: Any, prefix: str = "") -> dict[str, Any]:
    """``prefix`` says where the payload came from ("entry X (type): data.") or is empty
    when the user typed the fields themselves and an entry id would mean nothing."""
    try:
        return _payload(entry_type).validate_python(data)
    except ValidationError as err:
        raise EntryError(describe(err, prefix)) from None


def payload_check(entry_type: str, data: dict[str, Any]) -> None:
    """Cross-field rules that a schema cannot say."""
    if entry_type == "claim.asserted":
        figures = [data.get(k) for k in ("low", "best", "high")]
        if all(v is None for v in figures) and not data.get("value_text"):
            raise EntryError("a claim needs at least one of low, best, high or value_text")
        present = [v for v in figures if v is not None]
        if present != sorted(present):
            raise EntryError("a claim's figures must satisfy low <= best <= high")
    elif entry_type == "event.corrected":
        if not data["changes"]:
            raise EntryError("a correction must change at least one field")
    elif entry_type == "event.merged" and data["event_id"] == data["into"]:
        raise EntryError("an event cannot be merged into itself")
    elif entry_type == "event.linked" and data["event_id"] == data["target"]:
        raise EntryError("an event cannot be linked to itself")


def interchange_schema() -> dict[str, Any]:
    """JSON Schema of one interchange line, with every payload type under $defs."""
    schema = _envelope().json_schema()
    defs = schema.setdefault("$defs", {})
    mapping = {}
    for name in PAYLOADS:
        sub = _payload(name).json_schema(ref_template="#/$defs/{model}")
        defs.update(sub.pop("$defs", {}))
        title = sub.get("title", name)
        defs[title] = sub
        mapping[name] = f"#/$defs/{title}"
    schema["description"] = (
        "One line of the chronicle interchange format (NDJSON). The shape of `data` "
        "depends on `type`: see x-payloads."
    )
    schema["x-payloads"] = mapping
    return schema
