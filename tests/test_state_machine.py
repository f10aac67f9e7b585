"""A state machine over the command API: whatever users do, in whatever order, the
store stays one that a rebuild, a replay of its first N entries and a round trip
through its own export would all give back.

Hypothesis drives the same calls the CLI and the terminal app make (assert,
correct, retract, merge, claim, rank, alias, import), including ones that must be
refused (correcting a retracted event, a stale version, an import with a bad last
line), and after every step checks four things: the projections equal a rebuild;
the store as of a seq N equals a store that only ever held the first N entries;
the log exported as NDJSON imports into an identical store; and ``verify``'s
projection checks, the cheap one and the full replay, find nothing to report.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from support import entry, public_view, snapshot

from chronicle import audit, exports
from chronicle.commands import Commands
from chronicle.errors import ConflictError, EntryError
from chronicle.store import Store

ACTORS = ("actor:jnim", "actor:fama", "actor:wagner")
PLACES = ("place:kidal", "place:tinz")
SOURCES = ("src:a", "src:b")
WHENS = ("2012-01-17", "2013~", "2015-05-15/2015-06-20", "2020-08", "2023-22", "2023-11",
         "2024-07-25/2024-07-27", "2023/..", "2021-05-24?", "198X")  # fmt: skip
PROPERTIES = ("killed", "wounded", "captured", "fighters")

whens = st.sampled_from(WHENS)
picks = st.integers(min_value=0, max_value=1_000)  # an index into whatever exists by then


def _setup_entries() -> list[dict[str, Any]]:
    entries = [
        {"type": "source.registered", "data": {"source_id": s, "title": s, "kind": "report"}}
        for s in SOURCES
    ]
    for ref in (*ACTORS, *PLACES):
        kind, name = ref.split(":")
        entries.append({"type": "entity.registered", "data": {
            "entity_id": ref, "kind": kind, "name": name.title(), "aliases": []}})  # fmt: skip
    return [{"id": f"setup-{n}", "author": "setup", **e} for n, e in enumerate(entries)]


def export_log(conn: sqlite3.Connection, as_of: int | None = None) -> str:
    """The log as ``chronicle export log --format ndjson [--as-of N]`` writes it."""
    out = io.StringIO()
    exports.write_export(conn, "log", "ndjson", out, as_of=as_of)
    return out.getvalue()


def store_from(text: str, path: Path) -> Store:
    store = Store.open(path, create=True)
    store.import_lines(io.StringIO(text), name="export.ndjson")
    return store


def log_of(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT * FROM log ORDER BY seq").fetchall()


class ChronicleMachine(RuleBasedStateMachine):
    """The live store, and a model of which events and claims exist and in what state."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="chronicle-machine-"))
        self.store = Store.open(self.root / "live.db", create=True)
        self.store.append(_setup_entries())
        self.commands = Commands(self.store, author="machine")
        self.events: dict[str, str] = {}  # event id -> active | retracted | merged
        self.claims: dict[str, str] = {}  # claim id -> active | retracted
        self.made = 0
        self.scratch = 0  # scratch stores made, also what varies the as-of cut

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- helpers --------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        self.made += 1
        return f"{prefix}:{self.made}"

    def _event(self, index: int) -> str:
        """An event that exists, asserting one first if none does (so no step is wasted)."""
        if not self.events:
            self.assert_event(WHENS[index % len(WHENS)], index)
        return sorted(self.events)[index % len(self.events)]

    def _claim(self, index: int) -> str:
        if not self.claims:
            self.claim(index, index % 60, index % 40)
        return sorted(self.claims)[index % len(self.claims)]

    def _version(self, subject: str) -> int:
        row = self.store.conn.execute(
            "SELECT max(subject_version) FROM log WHERE subject = ?", (subject,)
        ).fetchone()
        return row[0] or 0

    def _refused(self, call, error: type[Exception] = EntryError) -> None:
        """``call`` must fail with ``error`` and leave the log as it was."""
        before = self.store.head()
        with pytest.raises(error):
            call()
        assert self.store.head() == before

    def _event_data(self, event_id: str, when: str, pick: int) -> dict[str, Any]:
        return {
            "event_id": event_id, "title": f"Event {event_id}", "when": when,
            "place": PLACES[pick % 2] if pick % 3 else None,
            "actors": [{"entity": ACTORS[(pick + i) % 3]} for i in range(pick % 3)],
            "tags": [f"tag{pick % 4}"], "summary": f"Summary {pick}",
            "citations": [{"source": SOURCES[pick % 2], "quote": f"quote {pick}"}],
        }  # fmt: skip

    # --- rules ----------------------------------------------------------------------

    @rule(when=whens, pick=picks)
    def assert_event(self, when: str, pick: int) -> None:
        event_id = self._new_id("ev")
        self.commands.add("event.asserted", self._event_data(event_id, when, pick))
        self.events[event_id] = "active"

    @rule(
        pick=picks, when=whens, field=st.sampled_from(["when", "title", "place", "actors", "tags"])
    )
    def correct(self, pick: int, when: str, field: str) -> None:
        event_id = self._event(pick)
        value = {"when": when, "title": f"Retitled {pick}", "place": PLACES[pick % 2],
                 "actors": [{"entity": ACTORS[pick % 3]}], "tags": []}[field]  # fmt: skip
        change = lambda: self.commands.correct(event_id, {field: value}, "a better source")  # noqa: E731
        if self.events[event_id] == "active":
            change()
        else:
            self._refused(change)

    @rule(pick=picks)
    def correct_from_a_stale_version(self, pick: int) -> None:
        event_id = self._event(pick)
        if self.events[event_id] != "active":
            return
        stale = self._version(event_id) - 1
        self._refused(
            lambda: self.commands.correct(event_id, {"title": "late"}, "r", expect_version=stale),
            ConflictError,
        )

    @rule(pick=picks)
    def retract(self, pick: int) -> None:
        event_id = self._event(pick)
        if self.events[event_id] == "active":
            self.commands.retract(event_id, "reported twice", [{"source": SOURCES[pick % 2]}])
            self.events[event_id] = "retracted"
        else:
            self._refused(lambda: self.commands.retract(event_id, "again"))

    @rule(pick=picks, other=picks)
    def merge(self, pick: int, other: int) -> None:
        event_id, into = self._event(pick), self._event(other)
        active = self.events[event_id] == self.events[into] == "active"
        if active and event_id != into:
            self.commands.merge(event_id, into, "the same clash")
            self.events[event_id] = "merged"
        else:
            self._refused(lambda: self.commands.merge(event_id, into, "the same clash"))

    @rule(pick=picks, low=st.integers(0, 60), spread=st.integers(0, 40))
    def claim(self, pick: int, low: int, spread: int) -> None:
        event_id = self._event(pick)
        claim_id = self._new_id("cl")
        figures = [{"best": low}, {"low": low, "high": low + spread}, {"value_text": "dozens"}]
        self.commands.add("claim.asserted", {
            "claim_id": claim_id, "event_id": event_id, "claimant": (*ACTORS, *SOURCES)[pick % 5],
            "property": PROPERTIES[pick % 4], "about": ACTORS[(pick + 1) % 3],
            "source": SOURCES[pick % 2], **figures[pick % 3]})  # fmt: skip
        self.claims[claim_id] = "active"

    @rule(pick=picks, rank=st.sampled_from(["preferred", "normal", "deprecated"]))
    def rank(self, pick: int, rank: str) -> None:
        claim_id = self._claim(pick)
        if self.claims[claim_id] == "active":
            self.commands.rank(claim_id, rank, "the better sourced figure")
        else:
            self._refused(lambda: self.commands.rank(claim_id, rank, "r"))

    @rule(pick=picks)
    def retract_claim(self, pick: int) -> None:
        claim_id = self._claim(pick)
        if self.claims[claim_id] == "active":
            retraction = {"claim_id": claim_id, "reason": "withdrawn by its source"}
            self.store.append([entry("claim.retracted", retraction)])
            self.claims[claim_id] = "retracted"

    @rule(pick=picks)
    def alias(self, pick: int) -> None:
        self.commands.alias((*ACTORS, *PLACES)[pick % 5], f"Alias {pick}")

    @rule(when=whens, pick=picks, size=st.integers(1, 4), poisoned=st.booleans())
    def import_file(self, when: str, pick: int, size: int, poisoned: bool) -> None:
        """A file of new events (and a claim); with a bad last line, none of it may land."""
        ids = [self._new_id("ev") for _ in range(size)]
        entries = [
            {"id": f"imp-{i}", "type": "event.asserted", "author": "importer",
             "data": self._event_data(i, when, pick + n)}
            for n, i in enumerate(ids)
        ]  # fmt: skip
        claim_id = self._new_id("cl")
        claim = {"claim_id": claim_id, "event_id": ids[0], "claimant": ACTORS[0],
                 "property": "killed", "best": pick, "source": SOURCES[0]}  # fmt: skip
        entries.append(
            {"id": f"imp-{claim_id}", "type": "claim.asserted", "author": "importer", "data": claim}
        )
        if poisoned:
            bad = self._event_data(self._new_id("ev"), when, pick) | {"place": "place:nowhere"}
            entries.append({"id": "imp-bad", "type": "event.asserted", "author": "i", "data": bad})
        lines = [json.dumps(e) for e in entries]
        if poisoned:
            self._refused(lambda: self.store.import_lines(lines, name="batch.ndjson"))
            return
        self.store.import_lines(lines, name="batch.ndjson")
        self.events.update(dict.fromkeys(ids, "active"))
        self.claims[claim_id] = "active"

    @rule()
    def import_own_export(self) -> None:
        """Importing what the store exported adds nothing: every id is already there."""
        head = self.store.head()
        result = self.store.import_lines(io.StringIO(export_log(self.store.conn)))
        assert (len(result.added), result.skipped, self.store.head()) == (0, head[0], head)

    # --- invariants ----------------------------------------------------------------------

    def _scratch(self) -> Path:
        self.scratch += 1
        return self.root / f"scratch-{self.scratch}.db"

    @invariant()
    def as_of_n_equals_the_first_n(self) -> None:
        head = self.store.head()[0]
        n = 1 + (self.scratch * 7919) % head  # a different cut every step, all of them in time
        with store_from(export_log(self.store.conn, n), self._scratch()) as prefix:
            assert prefix.head() == (n, next(self.store.entries(n, n))["hash"])
            assert public_view(self.store.conn, n) == public_view(prefix.conn)

    @invariant()
    def export_import_and_rebuild_give_the_same_store(self) -> None:
        live = snapshot(self.store.conn)
        with store_from(export_log(self.store.conn), self._scratch()) as copy:
            assert log_of(copy.conn) == log_of(self.store.conn)  # same entries, same hashes
            assert snapshot(copy.conn) == live
            copy.rebuild()  # the live store was projected step by step; this one from scratch
            assert snapshot(copy.conn) == live
            assert copy.verify().ok

    @invariant()
    def the_views_are_the_logs(self) -> None:
        """Both checks of ``verify`` pass on every store the steps build."""
        assert audit.quick_check(self.store.conn) is None
        assert audit.compare_with_log(self.store.path) is None


@pytest.fixture(autouse=True)
def _no_fsync_per_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Durability on power loss is not what is tested here, and fsync is most of the time."""
    monkeypatch.setenv("CHRONICLE_SYNCHRONOUS", "NORMAL")


ChronicleMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_chronicle_machine = pytest.mark.slow(ChronicleMachine.TestCase)
