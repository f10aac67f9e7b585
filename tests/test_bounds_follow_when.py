"""Date bounds always follow from the date: derived where an entry enters, never trusted.

An entry handed in with bounds has them derived again from its EDTF text and
compared; bounds that disagree are refused by the first field that differs. The
text itself is stored as the standard writes it, without surrounding spaces. (The
one exception, a verified log export, is in ``test_import_verified_export``.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.rel_support import log_rows, mini_store, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from support import entry

from chronicle.dates import parse_edtf
from chronicle.errors import EntryError
from chronicle.intake import prepare
from chronicle.store import Store

EVENT = {"event_id": "ev:a", "title": "T", "when": "2024-07-25", "actors": [], "tags": [],
         "summary": "", "citations": [{"source": "src:a"}]}  # fmt: skip
SOURCE = {"source_id": "src:s", "title": "S", "kind": "news", "published": "2013-02"}


def _bounds(text: str, **changes: object) -> dict:
    return {**parse_edtf(text).to_dict(), **changes}


def test_bounds_that_agree_are_accepted() -> None:
    item = prepare(entry("event.asserted", {**EVENT, "when_bounds": _bounds("2024-07-25")}))
    assert item.stored["when_bounds"] == _bounds("2024-07-25")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (entry("event.asserted", {**EVENT, "when_bounds": _bounds("1066-07-25")}),
         "when_bounds do not follow from when '2024-07-25': earliest '1066-07-25', "
         "not '2024-07-25'"),
        (entry("event.asserted", {**EVENT, "when_bounds": _bounds("2024-07-25", approximate=True)}),
         "when_bounds do not follow from when '2024-07-25': approximate True, not False"),
        (entry("event.asserted", {**EVENT, "when_bounds": "banana"}),
         "when_bounds do not follow from when '2024-07-25': 'banana' is not bounds"),
        (entry("event.corrected", {"event_id": "ev:a", "reason": "r", "changes": {
            "when": "2023", "when_bounds": _bounds("2024")}}),
         "changes.when_bounds do not follow from changes.when '2023': earliest '2024-01-01', "
         "not '2023-01-01'"),
        (entry("event.corrected", {"event_id": "ev:a", "reason": "r", "changes": {
            "when_bounds": _bounds("2024")}}),
         "changes.when_bounds without changes.when: bounds follow from the date"),
        (entry("source.registered", {**SOURCE, "published_bounds": _bounds("2013-03")}),
         "published_bounds do not follow from published '2013-02': earliest '2013-03-01', "
         "not '2013-02-01'"),
        (entry("source.registered", {"source_id": "src:s", "title": "S", "kind": "news",
                                     "published_bounds": _bounds("2013")}),
         "published_bounds without published: bounds follow from the date"),
    ],
)  # fmt: skip
def test_bounds_that_disagree_are_refused(raw: dict, message: str) -> None:
    with pytest.raises(EntryError) as err:
        prepare(raw)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("entry_type", "data", "path"),
    [
        ("event.asserted", {**EVENT, "when": " 2012 "}, ("when",)),
        ("event.asserted", {**EVENT, "when": "\t2024-07-25/2024-07-27\n"}, ("when",)),
        ("event.corrected", {"event_id": "ev:a", "reason": "r", "changes": {"when": " 2012~"}},
         ("changes", "when")),
        ("source.registered", {**SOURCE, "published": "2013-02 "}, ("published",)),
    ],
)  # fmt: skip
def test_an_edtf_string_is_stored_without_surrounding_spaces(
    entry_type: str, data: dict, path: tuple[str, ...]
) -> None:
    stored = prepare(entry(entry_type, data)).stored
    value = data
    for key in path:
        stored, value = stored[key], value[key]
    assert stored == value.strip()


def test_a_correction_typed_with_spaces_is_stored_as_edtf(tmp_path: Path) -> None:
    store = mini_store(tmp_path / "store.db")
    done = run_cli(store, "correct", "ev:kidal", "--set", "when= 2023-11-14 ", "--reason", "r")
    assert done.code == 0, done.err
    exported = run_cli(store, "export", "timeline", "--format", "csv", "--search", "Kidal")
    assert ",2023-11-14," in exported.out and " 2023-11-14 " not in exported.out


def test_the_issue_case_never_reaches_the_views(tmp_path: Path) -> None:
    """when 2024-07-25 with bounds in 1066: it would show as 25 Jul 2024 and sort in 1066."""
    store = mini_store(tmp_path / "store.db")
    before = log_rows(store)
    with Store.open(store) as opened, pytest.raises(EntryError, match="earliest '1066-07-25'"):
        opened.append([entry("event.asserted", {**EVENT, "when_bounds": _bounds("1066-07-25")})])
    assert log_rows(store) == before


WHENS = st.sampled_from(["2024-07-25", "2023-11", "2023-22", "2012~", "198X",
                         "2024-07-25/2024-07-27", "2023/..", "2012?"])  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(when=WHENS, other=WHENS, pad=st.sampled_from(["", " ", "\t", "  \n"]))
def test_only_the_bounds_the_date_gives_are_taken(when: str, other: str, pad: str) -> None:
    """Whatever bounds come with a date, what is stored is what the date itself gives."""
    raw = entry("event.asserted", {**EVENT, "when": pad + when + pad,
                                   "when_bounds": _bounds(other)})  # fmt: skip
    if _bounds(other) != _bounds(when):
        with pytest.raises(EntryError, match="do not follow"):
            prepare(raw)
        return
    stored = prepare(raw).stored
    assert (stored["when"], stored["when_bounds"]) == (when, _bounds(when))
