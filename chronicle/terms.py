"""The log's terms: its entry types, the words its fields take, and the limits on them.

What reading a store, offering a choice or bounding an input needs, without the
payloads' shapes and their validators (``vocabulary``), which only what enters the
store needs: pydantic and the shapes were about 110 ms of the start-up of every
command, a read's and an export's too.
"""

from __future__ import annotations

from typing import Literal, get_args

# --- limits (documented in README, "Limits") -------------------------------------

MAX_ID = 128
MAX_SHORT = 200
MAX_TITLE = 500
MAX_LONG = 20_000
MAX_QUOTE = 2_000
MAX_REASON = 2_000
MAX_URL = 2_048
MAX_LIST = 500
MAX_TAGS = 100
MAX_NUMBER = 10**12
MAX_LINE_BYTES = 1_048_576
MAX_DEPTH = 64  # JSON nesting; the deepest entry the vocabulary allows is 6 levels

HASH_PATTERN = r"^[0-9a-f]{64}$"

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$"

SourceKind = Literal["news", "statement", "report", "social", "other"]
EntityKind = Literal["actor", "place"]
Relation = Literal["part_of", "follows", "causes", "responds_to", "contradicts"]
Rank = Literal["preferred", "normal", "deprecated"]
Property = Literal[
    "killed",
    "wounded",
    "captured",
    "missing",
    "fighters",
    "vehicles_lost",
    "aircraft_lost",
    "when",
    "other",
]
Precision = Literal[
    "day", "days", "week", "month", "season", "year", "decade", "century", "interval"
]
# The same choices as tuples, for the command line and the app's forms to offer.
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
ENTITY_KINDS: tuple[str, ...] = get_args(EntityKind)
RELATIONS: tuple[str, ...] = get_args(Relation)
RANKS: tuple[str, ...] = get_args(Rank)
PROPERTIES: tuple[str, ...] = get_args(Property)

# Every entry type, in the order ``vocabulary.PAYLOADS`` gives each its shape.
ENTRY_TYPES: tuple[str, ...] = (
    "source.registered",
    "entity.registered",
    "entity.aliased",
    "entity.located",
    "event.asserted",
    "event.corrected",
    "event.retracted",
    "event.merged",
    "event.linked",
    "claim.asserted",
    "claim.ranked",
    "claim.retracted",
)

# The field of each payload that names what the entry is about: the log's subject.
SUBJECT_FIELD = {
    "source.registered": "source_id",
    "entity.registered": "entity_id",
    "entity.aliased": "entity_id",
    "entity.located": "entity_id",
    "claim.asserted": "claim_id",
    "claim.ranked": "claim_id",
    "claim.retracted": "claim_id",
}
for _t in ENTRY_TYPES:
    SUBJECT_FIELD.setdefault(_t, "event_id")

# The schema version each type is written at today. Older entries are upcast on
# read (see ``upcasting``), never rewritten.
CURRENT_SCHEMA: dict[str, int] = dict.fromkeys(ENTRY_TYPES, 1)
CURRENT_SCHEMA["event.asserted"] = 2
CURRENT_SCHEMA["event.corrected"] = 2
