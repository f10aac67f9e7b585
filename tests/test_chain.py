"""The hash chain's encoding: the hand-spelled envelope is exactly the canonical JSON."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from chronicle.chain import canonical_json, entry_hash

text = st.text(max_size=40)
number = st.integers(min_value=0, max_value=2**53)


@given(number, text, text, text, number, text, text, number, text, text)
def test_envelope_is_canonical_json(seq, id_, type_, subject, version, at, author, schema,
                                    data, prev) -> None:  # fmt: skip
    envelope = canonical_json([seq, id_, type_, subject, version, at, author, schema, prev])
    expected = hashlib.sha256(f"{envelope}\n{data}".encode()).hexdigest()
    assert entry_hash(seq, id_, type_, subject, version, at, author, schema, data, prev) == expected


def test_canonical_json_ignores_key_order() -> None:
    assert (
        canonical_json({"b": 1, "a": [1, {"d": 2, "c": "é"}]}) == '{"a":[1,{"c":"é","d":2}],"b":1}'
    )
