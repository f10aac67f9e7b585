"""Entry shapes and limits, checked once at the edge."""

from __future__ import annotations

import pytest
from support import entry

from chronicle.errors import EntryError
from chronicle.store import prepare
from chronicle.vocabulary import MAX_REASON, MAX_TITLE, interchange_schema

EVENT = {"event_id": "ev:a", "title": "T", "when": "2024", "actors": [], "tags": [],
         "summary": "", "citations": [{"source": "src:a"}]}  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not an object", "JSON object"),
        ({"type": "event.asserted", "author": "a", "data": EVENT}, "id"),
        (entry("event.invented", {}), "type"),
        (entry("event.asserted", {**EVENT, "title": "x" * (MAX_TITLE + 1)}), "title"),
        (entry("event.asserted", {**EVENT, "title": "   "}), "empty"),
        (entry("event.asserted", {**EVENT, "when": "2024-13"}), "EDTF"),
        (entry("event.asserted", {**EVENT, "tags": "battle"}), "tags"),
        (entry("event.asserted", {**EVENT, "colour": "red"}), "colour"),
        (entry("event.asserted", {**EVENT, "event_id": "has space"}), "event_id"),
        (entry("event.retracted", {"event_id": "ev:a", "reason": ""}), "reason"),
        (entry("event.retracted", {"event_id": "ev:a", "reason": "r" * (MAX_REASON + 1)}),
         "reason"),
        (entry("event.corrected", {"event_id": "ev:a", "changes": {}, "reason": "r"}),
         "at least one field"),
        (entry("event.merged", {"event_id": "ev:a", "into": "ev:a", "reason": "r"}), "itself"),
        (entry("claim.asserted", {"claim_id": "c", "event_id": "e", "claimant": "x",
                                  "property": "killed", "source": "s", "low": 9, "high": 2}),
         "low <= best <= high"),
        (entry("claim.asserted", {"claim_id": "c", "event_id": "e", "claimant": "x",
                                  "property": "killed", "source": "s", "best": "50"}), "best"),
        (entry("claim.asserted", {"claim_id": "c", "event_id": "e", "claimant": "x",
                                  "property": "killed", "source": "s", "best": -1}), "best"),
        ({**entry("source.registered", {"source_id": "s", "title": "t", "kind": "news"}),
          "subject": "other"}, "subject"),
        ({**entry("source.registered", {"source_id": "s", "title": "t", "kind": "news"}),
          "recorded_at": "yesterday"}, "recorded_at"),
    ],
)  # fmt: skip
def test_bad_entries_are_refused_with_one_line(raw, message: str) -> None:
    with pytest.raises(EntryError, match=message) as err:
        prepare(raw)
    assert "\n" not in str(err.value)


def test_a_valid_entry_gains_its_date_bounds() -> None:
    item = prepare(entry("event.asserted", {**EVENT, "when": "2023-22"}))
    assert item.stored["when_bounds"]["display"] == "summer 2023"
    assert item.subject == "ev:a" and item.recorded_at.endswith("Z")


def test_interchange_schema_names_every_type() -> None:
    schema = interchange_schema()
    assert set(schema["x-payloads"]) == set(schema["properties"]["type"]["enum"])
    assert all(ref.split("/")[-1] in schema["$defs"] for ref in schema["x-payloads"].values())
