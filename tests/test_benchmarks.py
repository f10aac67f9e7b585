"""The benchmark generator and reference measurements, on a small log.

Timings are never asserted: only that the log has the shape the benchmarks rely on
(valid entries, references that resolve, the intended mix of types and date precisions,
disputes) and that the measuring functions run and count what they were given.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chronicle.terms import SUBJECT_FIELD

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SMALL = 2000
ID = re.compile(r"[a-z0-9][a-z0-9._:-]*\Z")
ENVELOPE = ["id", "type", "subject", "author", "recorded_at", "schema", "data"]
CORRECTABLE = {"title", "when", "place", "actors", "tags", "summary"}


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModuleType]]:
    """The benchmark scripts import each other by bare name, as they do when run."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import generate
        import peer
        import reference

        yield {"generate": generate, "reference": reference, "peer": peer}
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def small_log(bench: dict[str, ModuleType], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "log.ndjson"
    stats = bench["generate"].write_file(path, SMALL, 1)
    assert stats.entries == SMALL
    return path


def read_lines(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


class Checker:
    """Replays the log the way the store will, failing on any reference it would reject."""

    def __init__(self) -> None:
        self.sources: set[str] = set()
        self.kinds: dict[str, str] = {}
        self.events: set[str] = set()
        self.dead_events: set[str] = set()
        self.claims: dict[str, str] = {}
        self.dead_claims: set[str] = set()

    def check(self, entries: list[dict[str, Any]]) -> None:
        last_time = ""
        for number, entry in enumerate(entries, start=1):
            assert list(entry) == ENVELOPE
            assert entry["id"] == f"g-{number:07d}"
            assert entry["schema"] == 1
            assert entry["recorded_at"] > last_time
            last_time = entry["recorded_at"]
            kind, data = entry["type"], entry["data"]
            assert entry["subject"] == data[SUBJECT_FIELD[kind]]
            assert ID.match(entry["subject"])
            getattr(self, kind.replace(".", "_"))(data)

    def live_event(self, event_id: str) -> None:
        assert event_id in self.events, event_id
        assert event_id not in self.dead_events, event_id

    def entity(self, entity_id: str, kind: str) -> None:
        assert self.kinds.get(entity_id) == kind, entity_id

    def citations(self, citations: list[dict[str, str]]) -> None:
        for citation in citations:
            assert citation["source"] in self.sources

    def actors(self, actors: list[dict[str, str]]) -> None:
        assert 3 <= len(actors) <= 10
        assert len({a["entity"] for a in actors}) == len(actors)
        for actor in actors:
            self.entity(actor["entity"], "actor")

    def source_registered(self, data: dict[str, Any]) -> None:
        assert data["source_id"] not in self.sources
        self.sources.add(data["source_id"])

    def entity_registered(self, data: dict[str, Any]) -> None:
        assert data["entity_id"] not in self.kinds
        assert 0 <= len(data["aliases"]) <= 4
        assert ("lat" in data) == (data["kind"] == "place")
        self.kinds[data["entity_id"]] = data["kind"]

    def entity_aliased(self, data: dict[str, Any]) -> None:
        assert data["entity_id"] in self.kinds and data["alias"]

    def event_asserted(self, data: dict[str, Any]) -> None:
        assert data["event_id"] not in self.events
        self.events.add(data["event_id"])
        self.actors(data["actors"])
        assert 3 <= len(data["citations"]) <= 10
        self.citations(data["citations"])
        assert 1 <= len(data["tags"]) <= 4
        assert data["title"] and data["summary"] and data["when"]
        if "place" in data:
            self.entity(data["place"], "place")

    def event_corrected(self, data: dict[str, Any]) -> None:
        self.live_event(data["event_id"])
        assert data["changes"] and set(data["changes"]) <= CORRECTABLE
        assert data["reason"].strip()
        self.citations(data["citations"])
        if "actors" in data["changes"]:
            self.actors(data["changes"]["actors"])
        if "place" in data["changes"]:
            self.entity(data["changes"]["place"], "place")

    def event_retracted(self, data: dict[str, Any]) -> None:
        self.live_event(data["event_id"])
        assert data["reason"].strip()
        self.dead_events.add(data["event_id"])

    def event_merged(self, data: dict[str, Any]) -> None:
        self.live_event(data["event_id"])
        self.live_event(data["into"])
        assert data["event_id"] != data["into"] and data["reason"].strip()
        self.dead_events.add(data["event_id"])

    def event_linked(self, data: dict[str, Any]) -> None:
        self.live_event(data["event_id"])
        self.live_event(data["target"])
        assert data["event_id"] != data["target"]

    def claim_asserted(self, data: dict[str, Any]) -> None:
        self.live_event(data["event_id"])
        assert data["claim_id"] not in self.claims
        assert data["claimant"] in self.sources or data["claimant"] in self.kinds
        assert data["source"] in self.sources
        if "about" in data:
            self.entity(data["about"], "actor")
        assert {"low", "best", "high", "value_text"} & set(data)
        self.claims[data["claim_id"]] = data["event_id"]

    def live_claim(self, claim_id: str) -> None:
        assert claim_id in self.claims and claim_id not in self.dead_claims
        self.live_event(self.claims[claim_id])

    def claim_ranked(self, data: dict[str, Any]) -> None:
        self.live_claim(data["claim_id"])
        assert data["rank"] in ("preferred", "normal", "deprecated") and data["reason"]

    def claim_retracted(self, data: dict[str, Any]) -> None:
        self.live_claim(data["claim_id"])
        self.dead_claims.add(data["claim_id"])


def test_every_line_is_a_valid_entry_and_every_reference_resolves(small_log: Path) -> None:
    entries = read_lines(small_log)
    assert len(entries) == SMALL
    Checker().check(entries)


def test_type_mix_is_roughly_as_intended(small_log: Path) -> None:
    shares = Counter(entry["type"] for entry in read_lines(small_log))
    expected = {
        "source.registered": (0.015, 0.025),
        "entity.registered": (0.025, 0.035),
        "event.asserted": (0.30, 0.45),
        "claim.asserted": (0.25, 0.42),
        "event.corrected": (0.07, 0.13),
        "event.retracted": (0.015, 0.045),
        "event.merged": (0.003, 0.02),
        "event.linked": (0.02, 0.06),
        "claim.ranked": (0.01, 0.05),
        "entity.aliased": (0.01, 0.035),
    }
    for kind, (low, high) in expected.items():
        assert low <= shares[kind] / SMALL <= high, kind


def test_disputes_exist_on_about_a_third_of_events(small_log: Path) -> None:
    entries = read_lines(small_log)
    events = sum(1 for e in entries if e["type"] == "event.asserted")
    claimants: defaultdict[tuple, set[str]] = defaultdict(set)
    for entry in entries:
        if entry["type"] == "claim.asserted":
            data = entry["data"]
            claimants[data["event_id"], data["property"], data.get("about")].add(data["claimant"])
    disputed_events = {key[0] for key, who in claimants.items() if len(who) >= 2}
    assert 0.15 <= len(disputed_events) / events <= 0.40


def test_dates_cover_every_precision_and_parse_as_edtf(small_log: Path) -> None:
    from edtf import parse_edtf

    whens = {e["data"]["when"] for e in read_lines(small_log) if e["type"] == "event.asserted"}
    patterns = {
        "day": r"\d{4}-\d{2}-\d{2}",
        "day range": r"\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}",
        "month": r"\d{4}-(0[1-9]|1[0-2])",
        "season": r"\d{4}-2[1-4]",
        "year": r"\d{4}",
        "approximate": r"\d{4}(-\d{2})?~",
        "uncertain": r"\d{4}-\d{2}\?",
        "decade": r"\d{3}X",
        "open-ended": r"\d{4}(-\d{2})?/\.\.",
    }
    for name, pattern in patterns.items():
        assert any(re.fullmatch(pattern, when) for when in whens), name
    for when in sorted(whens)[::7]:
        parse_edtf(when)


def test_size_per_entry_is_near_the_aim(small_log: Path) -> None:
    per_entry = small_log.stat().st_size / SMALL
    assert 450 <= per_entry <= 700


def test_same_seed_same_bytes_other_seed_other_bytes(bench: dict[str, ModuleType]) -> None:
    def text(seed: int) -> str:
        out = io.StringIO()
        bench["generate"].write(out, 300, seed)
        return out.getvalue()

    assert text(7) == text(7)
    assert text(7) != text(8)


@settings(max_examples=15, deadline=None)
@given(count=st.integers(min_value=0, max_value=600), seed=st.integers(0, 2**32))
def test_any_seed_and_size_gives_a_consistent_log(
    bench: dict[str, ModuleType], count: int, seed: int
) -> None:
    entries = list(bench["generate"].entries(count, seed))
    assert len(entries) == count
    Checker().check(entries)


def test_cli_writes_to_stdout(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "generate.py"), "--entries", "50", "--seed", "3"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 50
    assert "entries/s" in done.stderr


def test_bare_import_and_scan_count_every_entry(
    bench: dict[str, ModuleType], small_log: Path, tmp_path: Path
) -> None:
    reference = bench["reference"]
    db = tmp_path / "bare.db"
    imported = reference.bare_import(small_log, db)
    assert imported.entries == SMALL
    assert imported.db_bytes_per_entry > 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        first = conn.execute("SELECT id, data FROM log WHERE seq = 1").fetchone()
    assert first[0] == "g-0000001"
    assert json.loads(first[1]) == read_lines(small_log)[0]["data"]

    scanned = reference.bare_scan_hash(db)
    assert scanned.rows == SMALL
    assert re.fullmatch(r"[0-9a-f]{64}", scanned.head)
    assert reference.bare_scan_hash(db).head == scanned.head

    single = reference.bare_single_append(small_log, db, samples=5)
    assert single.samples == 5
    assert reference.bare_scan_hash(db).rows == SMALL + 5


def test_chain_head_depends_on_every_row(bench: dict[str, ModuleType], tmp_path: Path) -> None:
    reference = bench["reference"]
    log = tmp_path / "log.ndjson"
    bench["generate"].write_file(log, 40, 2)
    db = tmp_path / "bare.db"
    reference.bare_import(log, db)
    before = reference.bare_scan_hash(db).head
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE log SET author = 'someone else' WHERE seq = 20")
    assert reference.bare_scan_hash(db).head != before


def test_sqlite3_csv_runs_or_says_why_not(
    bench: dict[str, ModuleType], small_log: Path, tmp_path: Path
) -> None:
    reference = bench["reference"]
    db = tmp_path / "bare.db"
    reference.bare_import(small_log, db)
    result = reference.sqlite3_csv(db, "SELECT * FROM log")
    if reference.sqlite3_cli() is None:
        assert result.seconds is None and "not found" in result.skipped
    else:
        assert result.seconds is not None and result.skipped is None
        failed = reference.sqlite3_csv(db, "SELECT * FROM no_such_table")
        assert failed.seconds is None and "no_such_table" in failed.skipped


def test_peer_appends_and_reads_every_entry(
    bench: dict[str, ModuleType], small_log: Path, tmp_path: Path
) -> None:
    pytest.importorskip("eventsourcing")
    results = bench["peer"].measure(small_log, tmp_path, batch=250)
    assert [r.count for r in results] == [SMALL] * 4
    assert all(r.synchronous for r in results if r.what.startswith("append"))


# ---- the whole harness, at smoke size -------------------------------------------------

HARNESS_SIZE = 2000


@pytest.fixture(scope="module")
def harness_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The harness run as the README says, at a size CI affords; its JSON report."""
    import subprocess

    out = tmp_path_factory.mktemp("harness")
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--entries", str(HARNESS_SIZE),
         "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=BENCHMARKS.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "chronicle benchmarks" in done.stdout
    report = json.loads((out / f"results-{HARNESS_SIZE}.json").read_text(encoding="utf-8"))
    assert (out / f"results-{HARNESS_SIZE}.md").read_text(encoding="utf-8").count("\n| ") > 20
    return report


def test_every_chronicle_figure_is_measured(
    bench: dict[str, ModuleType], harness_report: dict[str, Any]
) -> None:
    hooks = _hooks(bench)
    figures = {row["figure"]: row for row in harness_report["figures"]}
    for hook in hooks:
        row = figures[hook.figure]
        assert isinstance(row["value"], (int, float)), (hook.figure, row["note"])
        assert row["value"] > 0, hook.figure
        assert not row["note"], (hook.figure, row["note"])
        if hook.target is not None:
            assert isinstance(row["ok"], bool) or row["reference"] is None, hook.figure


def test_references_are_measured_in_the_same_run(
    bench: dict[str, ModuleType], harness_report: dict[str, Any]
) -> None:
    figures = {row["figure"]: row for row in harness_report["figures"]}
    for name in ("bare import", "bare scan + SHA-256 chain", "bare single append p99"):
        assert figures[name]["value"] > 0
    for hook in _hooks(bench):
        if hook.reference_key is None:
            continue
        row = figures[hook.figure]
        if hook.reference_key == "timeline_csv" and bench["reference"].sqlite3_cli() is None:
            continue
        if hook.reference_key.startswith("peer") and bench["peer"].version() is None:
            continue
        assert row["reference"] > 0, hook.figure
        assert row["ratio"] == pytest.approx(row["value"] / row["reference"]), hook.figure


def test_report_describes_the_machine_and_its_load(harness_report: dict[str, Any]) -> None:
    assert harness_report["entries"] == HARNESS_SIZE
    assert harness_report["machine"]["cores"] >= 1
    assert harness_report["machine"]["sqlite"]
    assert "before" in harness_report["load_average"]


def test_import_figures_count_every_entry(harness_report: dict[str, Any]) -> None:
    figures = {row["figure"]: row for row in harness_report["figures"]}
    assert figures["chronicle import"]["details"]["entries"] == HARNESS_SIZE
    assert figures["chronicle rebuild"]["details"]["entries"] == HARNESS_SIZE
    assert figures["chronicle verify"]["details"]["entries"] == HARNESS_SIZE
    assert figures["chronicle import"]["details"]["synchronous"] == 2  # FULL
    tenth = figures["import, first tenth alone"]
    assert tenth["details"]["entries"] == HARNESS_SIZE // 10
    flat = figures["chronicle import, vs its first tenth (flat)"]
    assert flat["value"] == figures["chronicle import"]["value"]
    assert flat["reference"] == tenth["value"]


def test_disk_with_full_text_counts_more_than_without(harness_report: dict[str, Any]) -> None:
    figures = {row["figure"]: row for row in harness_report["figures"]}
    without = figures["chronicle disk, FTS excluded"]["value"]
    assert figures["chronicle disk, FTS included"]["value"] > without


def _hooks(bench: dict[str, ModuleType]) -> tuple[Any, ...]:
    return _module("chronicle_figures").HOOKS


# ---- targets and the report's table ----------------------------------------------------


@given(
    value=st.floats(min_value=0.001, max_value=1e9),
    reference=st.floats(min_value=0.001, max_value=1e9),
    bound=st.floats(min_value=0.01, max_value=100),
)
def test_a_ratio_target_reads_value_over_reference(
    bench: dict[str, ModuleType], value: float, reference: float, bound: float
) -> None:
    report = _module("report")
    higher = report.Row("x", "u", value, reference, target=report.Target(bound, True, True))
    lower = report.Row("x", "u", value, reference, target=report.Target(bound, False, True))
    assert higher.ratio == pytest.approx(value / reference)
    assert higher.ok == (value / reference >= bound)
    assert lower.ok == (value / reference <= bound)


def test_a_row_without_a_value_is_neither_met_nor_missed(bench: dict[str, ModuleType]) -> None:
    report = _module("report")
    row = report.Row("x", "ms", None, 3.0, target=report.Target(10, False), note="n/a: why")
    assert row.ratio is None and row.ok is None
    assert report.Row("x", "ms", 12.0, target=report.Target(10, False)).ok is False
    assert report.Row("x", "ms", 8.0, target=report.Target(10, False)).ok is True


def test_markdown_table_has_a_line_per_row_and_escapes_bars(bench: dict[str, ModuleType]) -> None:
    report = _module("report")
    rows = [
        report.Row("a|b", "ms", 4.0, target=report.Target(5, False)),
        report.Row("c", "s", None, note="n/a: not wired"),
    ]
    lines = report.markdown_table(rows).splitlines()
    assert len(lines) == 4
    assert "a/b" in lines[2] and lines[2].endswith("| yes |")
    assert "n/a: not wired" in lines[3]


def test_fts_tables_are_the_virtual_table_and_its_shadows(tmp_path: Path) -> None:
    figures = _module("chronicle_figures")
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("CREATE VIRTUAL TABLE words USING fts5 (body)")
    conn.execute("CREATE TABLE words_list (x)")  # named like a shadow table, but isn't one
    conn.execute("CREATE TABLE events (x)")
    found = figures.fts_tables(conn)
    assert "words" in found and "words_data" in found and "words_idx" in found
    assert "words_list" not in found and "events" not in found


def test_sample_rows_picks_existing_rows_reproducibly(tmp_path: Path) -> None:
    import random

    figures = _module("chronicle_figures")
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE t (name TEXT, keep INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(f"n{i}", i % 2) for i in range(100)])
    picked = figures.sample_rows(conn, "t", "name", 10, random.Random(3), "keep = 1")
    assert len(picked) == 10
    assert all(int(name[1:]) % 2 == 1 for name in picked)
    assert picked == figures.sample_rows(conn, "t", "name", 10, random.Random(3), "keep = 1")
    conn.execute("DELETE FROM t")
    assert figures.sample_rows(conn, "t", "name", 10, random.Random(3)) == []


def _module(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(BENCHMARKS))
