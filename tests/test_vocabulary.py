"""Entry shapes and limits, checked once at the edge."""

from __future__ import annotations

import json

import pytest
from support import entry

from chronicle.errors import EntryError
from chronicle.intake import prepare
from chronicle.terms import ENTRY_TYPES, MAX_DEPTH, MAX_REASON, MAX_TITLE
from chronicle.vocabulary import (
    PAYLOADS,
    interchange_schema,
    read_json,
    validate_envelope,
    validate_envelope_json,
)

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
    assert item.subject == "ev:a" and item.recorded_at is None  # stamped when written


def test_interchange_schema_names_every_type() -> None:
    schema = interchange_schema()
    assert set(schema["x-payloads"]) == set(schema["properties"]["type"]["enum"])
    assert all(ref.split("/")[-1] in schema["$defs"] for ref in schema["x-payloads"].values())


def _read_the_slow_way(text: str) -> object:
    """What an import line gave before envelopes were validated from the JSON text."""
    try:
        return validate_envelope(json.loads(text))
    except json.JSONDecodeError as err:
        return f"not valid JSON ({err.msg}, column {err.colno})"
    except EntryError as err:
        return str(err)


_LINE = '{"id":"t-1","type":"entity.aliased","author":"a","data":%s}'


@pytest.mark.parametrize(
    "text",
    [
        _LINE % '{"entity_id":"x","alias":"y"}',
        _LINE % '{"k":1,"k":2,"j":3}',  # a repeated key: the last one wins in both readers
        _LINE % '{"k":"\\ud800"}',  # a lone surrogate: only json.loads reads it
        _LINE % '{"k":NaN,"m":-Infinity,"n":1e400}',
        _LINE % '{"k":12345678901234567890123,"m":-0.0,"n":2.2250738585072011e-308}',
        _LINE % ('{"k":' + "[" * 60 + "]" * 60 + "}"),  # deep, but within MAX_DEPTH
        '{"id":"t-1","id":"t-2","type":"entity.aliased","author":"a","data":{}}',
        '{"id":"t-1","type":"entity.aliased","author":"a","data":{}} ',
        "\ufeff" + _LINE % "{}",
        _LINE % '{"k":"tab\tinside"}',
        _LINE % "{}" + " x",
        _LINE % '{"k":[1,]}',
        '{"id":"has space","type":"entity.aliased","author":"a","data":{}}',
        '{"id":"t-1","type":"entity.aliased","author":"a","schema":1.0,"data":{}}',
        '{"id":"t-1","type":"entity.aliased","author":"a","data":[]}',
        "[1, 2]",
        "{not json",
    ],
)
def test_an_envelope_read_from_json_text_is_the_one_json_loads_gives(text: str) -> None:
    try:
        fast: object = validate_envelope_json(text)
    except EntryError as err:
        fast = str(err)
    slow = _read_the_slow_way(text)
    assert repr(fast) == repr(slow)  # repr: NaN is not equal to itself


@pytest.mark.parametrize("depth", [300, 100_000])
def test_nesting_deeper_than_the_limit_is_refused_by_name(depth: int) -> None:
    """Past pydantic's own depth a line is read by json.loads, which recurses per level.

    (Shallower nesting that pydantic reads is refused by the payload's schema: no
    field of the vocabulary holds more than a few levels.)
    """
    with pytest.raises(EntryError, match=f"^nested deeper than {MAX_DEPTH} levels$"):
        validate_envelope_json(_LINE % ('{"k":' + "[" * depth + "]" * depth + "}"))


def test_read_json_counts_levels_beyond_the_limit() -> None:
    assert read_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(EntryError, match="nested deeper"):
        read_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = _LINE % ('{"k":"' + "[{" * 200 + '\\"' + "[" * 50 + '"}')
    assert validate_envelope_json(text)["data"]["k"].startswith("[{[{")


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (entry("event.asserted", {**EVENT, "title": "Kidal\x00 (more)"}), "data.title"),
        (entry("event.asserted", {**EVENT, "actors": [{"entity": "a:b", "role": "x\x00"}]}),
         "data.actors.0.role"),
        (entry("event.corrected", {"event_id": "ev:a", "changes": {"summary": "\x00"},
                                   "reason": "r"}), "data.changes.summary"),
        ({**entry("source.registered", {"source_id": "s", "title": "t", "kind": "news"}),
          "author": "a\x00b"}, "author"),
    ],
)  # fmt: skip
def test_a_nul_in_any_text_field_is_refused_by_its_place(raw, where: str) -> None:
    with pytest.raises(EntryError) as err:
        prepare(raw)
    assert str(err.value).endswith(f"{where}: a NUL character (\\x00) is not allowed in text")


def test_other_control_characters_stay_data() -> None:
    title = "bell\x07 escape\x1b[31m tab\t cr\r del\x7f c1\x85"
    assert prepare(entry("event.asserted", {**EVENT, "title": title})).stored["title"] == title


def test_a_restamped_time_must_be_spelled_as_the_log_writes_it() -> None:
    stamped = {**EVENT, "first_recorded_at": "1990-05-01T12:00:00.000000Z"}
    assert prepare(entry("event.asserted", stamped)).stored["first_recorded_at"].startswith("1990")
    with pytest.raises(EntryError, match="first_recorded_at: must be a UTC time"):
        prepare(entry("event.asserted", {**EVENT, "first_recorded_at": "May 1990"}))


def test_every_entry_type_has_its_shape() -> None:
    """The types are named in ``terms`` (read without pydantic) and shaped here, in one order."""
    assert tuple(PAYLOADS) == ENTRY_TYPES
