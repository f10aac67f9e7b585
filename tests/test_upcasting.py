"""Old entries are read through upcasters, never rewritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chronicle import queries
from chronicle.errors import EntryError
from chronicle.store import Store
from chronicle.upcasting import upcast

OLD_LOG = Path(__file__).parent / "fixtures" / "log_schema1.ndjson"


@pytest.fixture
def old_store(store: Store) -> Store:
    with OLD_LOG.open("rb") as handle:
        store.import_lines(handle, name=OLD_LOG.name)
    return store


def test_an_old_log_loads_projects_and_verifies(old_store: Store) -> None:
    detail = queries.show(old_store.conn, "ev:old")
    assert [c["source_id"] for c in detail.citations] == ["src:old"]
    assert (detail.event["earliest"], detail.event["latest"]) == ("2015-05-15", "2015-06-20")
    assert old_store.verify().ok


def test_the_stored_payload_keeps_its_old_shape(old_store: Store) -> None:
    schema, data = old_store.conn.execute("SELECT schema, data FROM log WHERE seq = 2").fetchone()
    assert schema == 1 and json.loads(data)["citations"] == ["src:old"]


def test_rebuild_upcasts_again(old_store: Store) -> None:
    old_store.rebuild()
    assert queries.show(old_store.conn, "ev:old").citations[0]["title"] == "An early report"


def test_upcast_steps_and_refusals() -> None:
    assert upcast("event.asserted", 1, {"citations": ["a", {"source": "b"}]}) == {
        "citations": [{"source": "a"}, {"source": "b"}]
    }
    assert upcast("source.registered", 1, {"x": 1}) == {"x": 1}
    with pytest.raises(EntryError, match="newer than this chronicle reads"):
        upcast("event.asserted", 9, {})
