"""The one spelling of a transaction time, which the hash chain covers."""

from __future__ import annotations

from datetime import datetime

import pytest

from chronicle.timestamps import FORMAT, normalize


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("2025-01-01T00:00:14Z", "2025-01-01T00:00:14.000000Z"),
        ("2025-01-01T00:00:14.5z", "2025-01-01T00:00:14.500000Z"),
        ("2025-01-01 02:30:00+02:30", "2025-01-01T00:00:00.000000Z"),
        (" 2024-12-31T23:59:59.999999-01:00 ", "2025-01-01T00:59:59.999999Z"),
        ("2024-02-29", "2024-02-29T00:00:00.000000Z"),
        # strftime leaves a year below 1000 unpadded; logged hashes keep that spelling
        ("0999-03-04T05:06:07Z", "999-03-04T05:06:07.000000Z"),
        ("0001-01-01T00:00:00", "1-01-01T00:00:00.000000Z"),
    ],
)
def test_every_time_is_spelled_as_strftime_spells_it(text: str, spelled: str) -> None:
    assert normalize(text) == spelled
    naive = datetime.fromisoformat(spelled.removesuffix("Z").rjust(26, "0"))
    assert naive.strftime(FORMAT) == spelled


@pytest.mark.parametrize("text", ["yesterday", "2025-13-01T00:00:00Z", ""])
def test_what_is_not_a_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        normalize(text)
