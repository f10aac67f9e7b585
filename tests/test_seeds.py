"""The seed chronology: it validates, loads cleanly and idempotently, and says what
the documents say.

The facts pinned here are read through the public SQL views, the way any SQLite
client would read them, so a change to the seed file or to the projection that
loses one of them fails here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chronicle.cli import cli, seed_files
from chronicle.intake import prepare
from chronicle.store import Store

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._:-]*$")
ID_PREFIX = {
    "source.registered": "src:",
    "entity.registered": ("actor:", "place:"),
    "event.asserted": "ev:",
    "claim.asserted": "cl:",
}
# The order types must appear in: whatever an entry refers to is loaded before it.
TYPE_STAGE = {
    "source.registered": 0,
    "entity.registered": 1,
    "entity.aliased": 1,
    "event.asserted": 2,
    "event.linked": 3,
    "claim.asserted": 4,
    "event.corrected": 5,
    "event.retracted": 5,
    "event.merged": 5,
    "claim.ranked": 5,
    "claim.retracted": 5,
    "entity.located": 6,
}
# The seeds grow by appending, so that a store seeded before takes the new entries
# with `chronicle seed`: each block appended later is ordered on its own. The
# first line of each later block: the places' coordinates and their gazetteer.
APPENDED_BLOCKS = (206,)
FIRST_RECORDED = datetime(2026, 11, 22, 0, 0, 1)
MAX_QUOTE_WORDS = 12

BATTLE = "ev:2024-07-battle-of-tinzaouaten"
TOWN_SPELLINGS = ("Tin Zaouatine", "Tinzaouaten", "Tinzaouatene")
COALITION_NAMES = (
    "CSP-DPA",
    "CSP-PSD",
    "Permanent Strategic Framework for the Defense of the People of Azawad",
    "Permanent Strategic Framework for Peace, Security and Development",
)


@pytest.fixture(scope="module")
def seed_path() -> Path:
    """The file as the installed package ships it, not a copy beside the tests."""
    paths = [p for p in seed_files() if p.name == "mali.ndjson"]
    assert len(paths) == 1
    return paths[0]


@pytest.fixture(scope="module")
def lines(seed_path: Path) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in seed_path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Iterator[Store]:
    """One fresh store with the seeds loaded, shared by the read-only checks."""
    path = tmp_path_factory.mktemp("seeds") / "chronicle.db"
    with Store.open(path, create=True) as store:
        with seed_path.open("rb") as handle:
            store.import_lines(handle, name=seed_path.name)
        yield store


@pytest.fixture(scope="module")
def db(loaded: Store) -> sqlite3.Connection:
    return loaded.conn


def column(db: sqlite3.Connection, sql: str, *params: Any) -> list[Any]:
    return [row[0] for row in db.execute(sql, params)]


def fts_events(db: sqlite3.Connection, phrase: str) -> set[str]:
    """Events whose full-text document holds ``phrase`` as a phrase."""
    quoted = '"' + phrase.replace('"', '""') + '"'
    return set(column(db, "SELECT event_id FROM events_fts WHERE events_fts MATCH ?", quoted))


# --- the file itself ----------------------------------------------------------------


def test_every_line_validates_against_the_vocabulary(lines: list[dict[str, Any]]) -> None:
    for raw in lines:
        pending = prepare(raw)
        assert pending.subject == raw["subject"], raw["id"]


def test_envelopes_follow_the_seed_conventions(lines: list[dict[str, Any]]) -> None:
    for number, raw in enumerate(lines, start=1):
        assert raw["id"] == f"seed-{number:04d}"
        assert raw["author"] == "chronicle seed"
        expected = FIRST_RECORDED + timedelta(seconds=number - 1)
        assert raw["recorded_at"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    starts = [1, *APPENDED_BLOCKS, len(lines) + 1]
    for first, end in pairwise(starts):
        stages = [TYPE_STAGE[raw["type"]] for raw in lines[first - 1 : end - 1]]
        assert stages == sorted(stages), f"entry types out of order from seed-{first:04d}"


def test_ids_are_lower_case_and_prefixed(lines: list[dict[str, Any]]) -> None:
    for raw in lines:
        subject = raw["subject"]
        assert ID_RE.match(subject) and len(subject) <= 128, subject
        prefix = ID_PREFIX.get(raw["type"])
        if prefix:
            assert subject.startswith(prefix), subject
    defined = [raw["subject"] for raw in lines if raw["type"] in ID_PREFIX]
    assert len(defined) == len(set(defined)), "an id is registered twice"


def test_quotes_are_short(lines: list[dict[str, Any]]) -> None:
    for raw in lines:
        data = raw["data"]
        quotes = [c.get("quote") for c in data.get("citations", [])] + [data.get("quote")]
        for quote in filter(None, quotes):
            assert len(quote.split()) <= MAX_QUOTE_WORDS, quote


def test_claims_keep_claimant_and_reporting_source_apart(lines: list[dict[str, Any]]) -> None:
    claims = [raw["data"] for raw in lines if raw["type"] == "claim.asserted"]
    assert len(claims) >= 30
    assert all(c["source"].startswith("src:") for c in claims)
    by_entity = [c for c in claims if not c["claimant"].startswith("src:")]
    assert len(by_entity) > len(claims) / 2


# --- loading ------------------------------------------------------------------------


def test_loads_into_a_fresh_store_and_verifies(loaded: Store, lines: list) -> None:
    result = loaded.verify()
    assert result.ok, result.problem
    assert result.entries == len(lines)


def test_loading_twice_adds_nothing(tmp_path: Path, seed_path: Path) -> None:
    with Store.open(tmp_path / "twice.db", create=True) as store:
        with seed_path.open("rb") as handle:
            first = store.import_lines(handle, name=seed_path.name)
        head = store.head()
        with seed_path.open("rb") as handle:
            second = store.import_lines(handle, name=seed_path.name)
        assert not second.added and second.skipped == len(first.added)
        assert store.head() == head


def test_the_seed_command_loads_them_once(tmp_path: Path, lines: list) -> None:
    runner = CliRunner()
    store = str(tmp_path / "cli.db")
    first = runner.invoke(cli, ["--store", store, "seed"])
    again = runner.invoke(cli, ["--store", store, "seed"])
    verify = runner.invoke(cli, ["--store", store, "verify"])
    assert first.exit_code == 0, first.output
    assert f"{len(lines)} added" in first.output
    assert "0 added" in again.output
    assert verify.exit_code == 0, verify.output


# --- sources and entities -----------------------------------------------------------


def test_each_document_is_a_source_located_by_its_file(db: sqlite3.Connection) -> None:
    locators = column(
        db, "SELECT locator FROM sources WHERE source_id != 'src:geonames' ORDER BY locator"
    )
    assert locators == [
        "000_4e18fc9bb90cdd50.txt",
        "001_16fe6b1d98ec828d.txt",
        "002_806d93aceca79ae8.txt",
        "003_db1d044b75436677.txt",
        "004_a42ee801f7882f3d.txt",
    ]
    row = db.execute(
        "SELECT author, published FROM sources WHERE locator = ?", ("000_4e18fc9bb90cdd50.txt",)
    ).fetchone()
    assert row == ("Ivan Kopytsev", "2024-08-06")
    undated = column(
        db, "SELECT count(*) FROM sources WHERE published IS NULL AND locator IS NOT NULL"
    )
    assert undated == [4]


@pytest.mark.parametrize(
    ("entity_id", "alias"),
    [
        ("place:tinzaouaten", "Tin Zaouatine"),
        ("place:tinzaouaten", "Tinzaouatene"),
        ("actor:csp-dpa", "CSP-PSD"),
        ("actor:wagner", "PMC Wagner"),
        ("actor:wagner", "Wagner company"),
        ("actor:wagner", "Russian mercenaries"),
        ("actor:africa-corps", "African Corps"),
        ("actor:fama", "FAMa"),
        ("actor:jnim", "Support Group for Islam and Muslims"),
        ("actor:assimi-goita", "Assimi Goita"),
        ("actor:mohamed-elmaouloud-ramadane", "Mohamed Maouloud Ramadan"),
    ],
)
def test_spellings_are_aliases(db: sqlite3.Connection, entity_id: str, alias: str) -> None:
    found = column(db, "SELECT entity_id FROM entity_aliases WHERE alias = ?", alias)
    assert found == [entity_id]


def test_the_second_name_of_the_coalition_arrives_later(db: sqlite3.Connection) -> None:
    registered, aliased = db.execute(
        "SELECT e.registered_seq, a.added_seq FROM entities e JOIN entity_aliases a"
        " USING (entity_id) WHERE entity_id = 'actor:csp-dpa' AND a.alias = 'CSP-PSD'"
    ).fetchone()
    assert aliased > registered


@pytest.mark.parametrize(
    ("entity_id", "lat", "lon"),
    [
        ("place:tinzaouaten", 19.9628, 2.8828),
        ("place:kidal", 18.4411, 1.4078),
        ("place:bamako", 12.65, -8.0),
        ("place:mali", 17.0, -4.0),
    ],
)
def test_places_are_located(db: sqlite3.Connection, entity_id: str, lat: float, lon: float) -> None:
    assert db.execute(
        "SELECT lat, lon FROM entities WHERE entity_id = ?", (entity_id,)
    ).fetchall() == [(lat, lon)]


def test_every_place_has_coordinates_with_a_reason(lines: list[dict[str, Any]]) -> None:
    places = {raw["subject"] for raw in lines if raw["subject"].startswith("place:")}
    located = {raw["subject"]: raw["data"] for raw in lines if raw["type"] == "entity.located"}
    assert set(located) == places
    for data in located.values():
        assert data["reason"]
        # a point from the gazetteer cites it; a point chosen for a vague region says so
        assert data["citations"] == [{"source": "src:geonames"}] or "chosen" in data["reason"]


# --- search -------------------------------------------------------------------------


def test_every_spelling_of_the_town_finds_the_same_events(db: sqlite3.Connection) -> None:
    found = [fts_events(db, spelling) for spelling in TOWN_SPELLINGS]
    assert found[0] == found[1] == found[2]
    assert BATTLE in found[0] and len(found[0]) >= 10


def test_every_name_of_the_coalition_finds_the_same_events(db: sqlite3.Connection) -> None:
    found = [fts_events(db, name) for name in COALITION_NAMES]
    assert all(f == found[0] for f in found)
    assert BATTLE in found[0]


# --- the chronology -----------------------------------------------------------------


def test_the_timeline_runs_from_2012_to_august_2024(db: sqlite3.Connection) -> None:
    rows = db.execute("SELECT event_id, earliest, latest FROM timeline").fetchall()
    assert len(rows) > 30
    years = {earliest[:4] for _, earliest, _ in rows}
    assert {"2012", "2015", "2020", "2021", "2023", "2024"} <= years
    assert max(latest for _, _, latest in rows if latest) == "2024-08-31"


def test_key_events_come_in_order(db: sqlite3.Connection) -> None:
    order = column(db, "SELECT event_id FROM timeline")
    milestones = [
        "ev:2012-tuareg-uprising",
        "ev:2015-algiers-accord",
        "ev:2020-coup",
        "ev:2021-coup",
        "ev:2023-un-withdrawal",
        "ev:2023-11-kidal-retaken",
        "ev:2024-07-25-convoy-advance",
        BATTLE,
        "ev:2024-07-tinzaouaten-ambush",
        "ev:2024-07-27-last-message",
        "ev:2024-07-surrenders",
    ]
    positions = [order.index(event_id) for event_id in milestones]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("event_id", "when", "precision", "earliest", "latest"),
    [
        ("ev:2023-11-kidal-retaken", "2023-11", "month", "2023-11-01", "2023-11-30"),
        ("ev:2023-conflict-reactivated", "2023-22", "season", "2023-06-01", "2023-08-31"),
        (BATTLE, "2024-07-25/2024-07-27", "days", "2024-07-25", "2024-07-27"),
        ("ev:2024-07-27-last-message", "2024-07-27", "day", "2024-07-27", "2024-07-27"),
        ("ev:2012-tuareg-uprising", "2012", "year", "2012-01-01", "2012-12-31"),
        ("ev:198x-ethiopia-rebels-cede-towns", "198X", "decade", "1980-01-01", "1989-12-31"),
    ],
)
def test_dates_keep_the_documents_precision(
    db: sqlite3.Connection, event_id: str, when: str, precision: str, earliest: str, latest: str
) -> None:
    row = db.execute(
        "SELECT when_edtf, precision, earliest, latest FROM events WHERE event_id = ?",
        (event_id,),
    ).fetchone()
    assert row == (when, precision, earliest, latest)


def test_the_battles_episodes_are_part_of_it(db: sqlite3.Connection) -> None:
    parts = set(
        column(
            db,
            "SELECT event_id FROM event_links WHERE relation = 'part_of' AND target_id = ?",
            BATTLE,
        )
    )
    assert {
        "ev:2024-07-25-convoy-advance",
        "ev:2024-07-25-sandstorm",
        "ev:2024-07-tinzaouaten-ambush",
        "ev:2024-07-27-last-message",
        "ev:2024-07-surrenders",
    } <= parts
    follows = column(
        db,
        "SELECT target_id FROM event_links WHERE relation = 'follows' AND event_id = ?",
        "ev:2024-07-25-sandstorm",
    )
    assert follows == ["ev:2024-07-25-convoy-advance"]


def test_each_citation_names_the_town_as_its_document_spells_it(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT s.locator, c.named_as FROM event_citations c JOIN sources s USING (source_id)"
        " WHERE c.event_id = ? ORDER BY s.locator",
        (BATTLE,),
    ).fetchall()
    assert [named for _, named in rows] == [
        "Tin Zaouatine",
        "Tinzaouaten",
        "Tinzaouatene",
        "Tinzaouaten",
    ]


# --- claims and disputes ------------------------------------------------------------


def dispute(db: sqlite3.Connection, prop: str, about: str) -> dict[str, Any]:
    row = db.execute(
        "SELECT low, high, claimants, disputed FROM disputes"
        " WHERE event_id = ? AND property = ? AND about = ?",
        (BATTLE, prop, about),
    ).fetchone()
    assert row is not None, (prop, about)
    low, high, claimants, disputed = row
    return {"low": low, "high": high, "claims": json.loads(claimants), "disputed": disputed}


def test_wagners_dead_are_disputed_by_every_claimant(db: sqlite3.Connection) -> None:
    d = dispute(db, "killed", "actor:wagner")
    assert d["disputed"] == 1
    assert {c["claimant"] for c in d["claims"]} == {
        "actor:jnim",
        "actor:wagner",
        "actor:csp-dpa",
        "actor:russian-military-bloggers",
        "src:ikani-mali-admits-losses",
    }
    estimate = [c for c in d["claims"] if c["claimant"] == "src:ikani-mali-admits-losses"]
    assert [(c["low"], c["high"]) for c in estimate] == [(20, 80)]
    assert {c["best"] for c in d["claims"] if c["claimant"] == "actor:jnim"} == {50}


def test_malian_dead_are_disputed_between_the_army_and_jnim(db: sqlite3.Connection) -> None:
    d = dispute(db, "killed", "actor:fama")
    assert d["disputed"] == 1
    assert (d["low"], d["high"]) == (2, 10)
    figures = {(c["claimant"], c["best"]) for c in d["claims"] if c["best"] is not None}
    assert figures == {("actor:fama", 2), ("actor:jnim", 10)}


def test_the_armys_own_figures_come_through_two_reports(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT property, best, source_id FROM claims WHERE event_id = ?"
        " AND claimant = 'actor:fama' AND best IS NOT NULL ORDER BY property, source_id",
        (BATTLE,),
    ).fetchall()
    assert rows == [
        ("killed", 2, "src:report-csp-psd-victory"),
        ("killed", 2, "src:report-tinzaouaten-setback"),
        ("wounded", 10, "src:report-csp-psd-victory"),
        ("wounded", 10, "src:report-tinzaouaten-setback"),
    ]


def test_the_ranked_duration_leaves_the_dispute(db: sqlite3.Connection) -> None:
    rank = column(db, "SELECT rank FROM claims WHERE claim_id = 'cl:tinzaouaten-duration-c'")
    assert rank == ["deprecated"]
    row = db.execute(
        "SELECT claimants FROM disputes WHERE event_id = ? AND property = 'when'", (BATTLE,)
    ).fetchone()
    assert "cl:tinzaouaten-duration-c" not in row[0]


def test_the_coup_correction_shows_in_history(db: sqlite3.Connection) -> None:
    when, version = db.execute(
        "SELECT when_edtf, version FROM events WHERE event_id = 'ev:2020-coup'"
    ).fetchone()
    assert when == "2020-08" and version > 1
    first = db.execute(
        "SELECT when_edtf FROM event_versions WHERE event_id = 'ev:2020-coup' AND version = 1"
    ).fetchone()
    assert first == ("2020",)
    reasons = column(
        db,
        "SELECT reason FROM history WHERE event_id = 'ev:2020-coup' AND type = 'event.corrected'",
    )
    assert len(reasons) == 1 and "August 2020" in reasons[0]


def test_the_battle_sets_the_army_and_wagner_against_csp_dpa_and_jnim(
    db: sqlite3.Connection,
) -> None:
    sides = db.execute(
        "SELECT json_extract(j.value, '$.entity'), json_extract(j.value, '$.side') "
        "FROM event_versions v, json_each(v.actors) j WHERE v.event_id = ? AND v.to_seq IS NULL",
        (BATTLE,),
    ).fetchall()
    assert sorted(sides) == [
        ("actor:csp-dpa", "b"), ("actor:fama", "a"), ("actor:jnim", "b"), ("actor:wagner", "a"),
    ]  # fmt: skip
    reasons = column(
        db, f"SELECT reason FROM history WHERE event_id = '{BATTLE}' AND type = 'event.corrected'"
    )
    assert any("against CSP-DPA and JNIM" in r for r in reasons)
