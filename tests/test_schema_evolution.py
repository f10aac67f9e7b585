"""Schema evolution: a log written at the oldest schema of every entry type still works.

``fixtures/rel_schema1_log.ndjson`` is a log export as an earlier chronicle wrote
it: all eleven entry types at schema 1, where event assertions and corrections
listed their citations as bare source ids, with the hash chain of that time. One
assertion also keeps date bounds that differ from what today's date parsing would
give, as an older date library understood them. The log must load with the very
same hashes (nothing rewritten on the way in), project through the upcasters,
verify, rebuild to the same projections, and export and re-import unchanged.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fixtures.rel_support import run_cli
from support import snapshot

from chronicle import exports, queries
from chronicle.dates import parse_edtf
from chronicle.store import Store
from chronicle.terms import CURRENT_SCHEMA, ENTRY_TYPES

OLD_LOG = Path(__file__).parent / "fixtures" / "rel_schema1_log.ndjson"
# Entry types added to the vocabulary after the fixture was written: born at schema 1,
# they have no older shape to upcast.
NEWER_THAN_FIXTURE = {"entity.located"}


def old_lines() -> list[dict]:
    return [json.loads(line) for line in OLD_LOG.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def old_store(tmp_path: Path):
    with Store.open(tmp_path / "old.db", create=True) as store:
        with OLD_LOG.open("rb") as handle:
            result = store.import_lines(handle, name=OLD_LOG.name)
        assert len(result.added) == len(old_lines())
        yield store


def test_the_fixture_covers_every_type_at_its_oldest_schema() -> None:
    lines = old_lines()
    assert {line["type"] for line in lines} == set(ENTRY_TYPES) - NEWER_THAN_FIXTURE
    assert {line["schema"] for line in lines} == {1}
    assert any(CURRENT_SCHEMA[line["type"]] > 1 for line in lines)  # some need upcasting
    bare = [c for line in lines for c in line["data"].get("citations", []) if isinstance(c, str)]
    assert bare  # citations in the old shape are there to be upcast


def test_it_loads_with_the_hashes_it_was_written_with(old_store: Store) -> None:
    stored = [(e["seq"], e["hash"]) for e in old_store.entries()]
    assert stored == [(line["seq"], line["hash"]) for line in old_lines()]
    assert old_store.verify().ok


def test_payloads_keep_their_old_shape_in_the_log(old_store: Store) -> None:
    rows = old_store.conn.execute("SELECT id, schema, data FROM log ORDER BY seq").fetchall()
    for (entry_id, schema, data), line in zip(rows, old_lines(), strict=True):
        assert (entry_id, schema, json.loads(data)) == (line["id"], 1, line["data"])


def test_it_projects_through_the_upcasters(old_store: Store) -> None:
    conn = old_store.conn
    uprising = queries.show(conn, "ev:v1-uprising")
    assert [c["source_id"] for c in uprising.citations] == ["src:old-report", "src:old-wire"]
    assert uprising.citations[0]["title"] == "Situation report, northern regions"
    assert uprising.event["tags"] == ["uprising", "north"]
    kidal = queries.show(conn, "ev:v1-kidal")
    assert (kidal.event["title"], kidal.event["earliest"], kidal.event["latest"]) == (
        "Kidal taken by the MNLA", "2012-03-30", "2012-03-31")  # fmt: skip
    assert {c["source_id"] for c in kidal.citations} == {"src:old-wire", "src:old-report"}
    assert [link["event_id"] for link in kidal.links] == ["ev:v1-uprising"]
    statuses = dict(conn.execute("SELECT event_id, status FROM events").fetchall())
    assert statuses == {"ev:v1-uprising": "active", "ev:v1-kidal": "active",
                        "ev:v1-dup": "merged", "ev:v1-rumour": "retracted"}  # fmt: skip
    claims = {c["claim_id"]: (c["rank"], c["status"]) for c in queries.claims(conn, None)}
    assert claims["cl:v1-army"] == ("preferred", "active")
    assert claims["cl:v1-wrong"][1] == "retracted"
    disputed = queries.disputes(conn, None, event_id="ev:v1-kidal")
    assert [(d["property"], d["low"], d["high"]) for d in disputed] == [("killed", 2, 40)]
    assert _ids(conn, queries.TimelineFilter(places=["Kidal town"])) == ["ev:v1-uprising",
                                                                        "ev:v1-kidal"]  # fmt: skip


def _ids(conn, flt: queries.TimelineFilter) -> list[str]:
    return [row["event_id"] for row in queries.timeline(conn, flt)]


def test_dates_keep_the_bounds_they_were_written_with(old_store: Store) -> None:
    """Today's parser reads "2012-01~" as January; the entry says what was understood then."""
    assert parse_edtf("2012-01~").to_dict()["earliest"] == "2012-01-01"
    before = snapshot(old_store.conn)
    old_store.rebuild()
    assert snapshot(old_store.conn) == before
    row = old_store.conn.execute(
        "SELECT earliest, latest FROM events WHERE event_id = 'ev:v1-uprising'"
    ).fetchone()
    assert row == ("2011-12-01", "2012-02-29")


def test_it_exports_as_it_was_and_imports_again_identically(
    old_store: Store, tmp_path: Path
) -> None:
    out = io.StringIO()
    exports.write_export(old_store.conn, "log", "ndjson", out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == old_lines()
    with Store.open(tmp_path / "again.db", create=True) as again:
        again.import_lines(io.StringIO(out.getvalue()), name="again.ndjson")
        assert list(again.entries()) == list(old_store.entries())
        assert snapshot(again.conn) == snapshot(old_store.conn)


def test_the_cli_verifies_it_against_the_old_export(tmp_path: Path) -> None:
    store = tmp_path / "cli.db"
    assert run_cli(store, "import", str(OLD_LOG)).code == 0
    outcome = run_cli(store, "verify", "--against", str(OLD_LOG))
    assert outcome.code == 0, outcome.err
    assert outcome.err.startswith(f"ok: {len(old_lines())} entries")
