"""Properties over random valid histories: rebuild equals incremental, and the store
as of entry N equals a store that only ever held the first N entries."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import public_view, snapshot

from chronicle import projector
from chronicle.store import Store

WHENS = ["2012", "2012~", "2013-01-11", "2015-05-15/2015-06-20", "2020-08", "2023-22",
         "2023-11", "2024-07-25/2024-07-27", "198X", "2023/..", "2021-05-24?"]  # fmt: skip
ENTITIES = ["actor:a", "actor:b", "actor:c", "place:p", "place:q"]

Op = tuple[int, int, int, int]
ops = st.lists(st.tuples(*(st.integers(0, 40),) * 4), min_size=1, max_size=40)


class History:
    """Turns random integers into a valid sequence of entries, tracking what exists."""

    def __init__(self) -> None:
        self.entries: list[dict] = []
        self.active: list[str] = []
        self.events: list[str] = []
        self.claims: list[str] = []
        self._add("source.registered", {"source_id": "src:1", "title": "One", "kind": "news"})
        self._add("source.registered", {"source_id": "src:2", "title": "Two", "kind": "report"})
        for ent in ENTITIES:
            kind, name = ent.split(":")
            self._add("entity.registered", {"entity_id": ent, "kind": kind, "name": name.upper(),
                                            "aliases": [f"{name}-alias"]})  # fmt: skip

    def _add(self, entry_type: str, data: dict) -> None:
        n = len(self.entries) + 1
        self.entries.append({"id": f"h-{n}", "type": entry_type, "author": f"author{n % 3}",
                             "recorded_at": f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}Z",
                             "data": data})  # fmt: skip

    def apply(self, op: Op) -> None:
        kind, a, b, c = op
        handlers = [self._assert, self._assert, self._correct, self._claim, self._claim,
                    self._rank, self._retract, self._merge, self._alias, self._link]  # fmt: skip
        handlers[kind % len(handlers)](a, b, c)

    def _assert(self, a: int, b: int, c: int) -> None:
        event_id = f"ev:{len(self.events)}"
        actors = [{"entity": ENTITIES[i % 3], "role": "party"} for i in range(a % 3)]
        self._add("event.asserted", {
            "event_id": event_id, "title": f"Event {a}", "when": WHENS[b % len(WHENS)],
            "place": ["place:p", "place:q", None][c % 3], "actors": actors,
            "tags": ["t" + str(c % 2)], "summary": f"summary {b}",
            "citations": [{"source": f"src:{1 + a % 2}", "quote": f"q{c}"}]})  # fmt: skip
        self.events.append(event_id)
        self.active.append(event_id)

    def _correct(self, a: int, b: int, c: int) -> None:
        if not self.active:
            return self._assert(a, b, c)
        changes = [{"when": WHENS[b % len(WHENS)]}, {"title": f"Retitled {b}"},
                   {"actors": [{"entity": ENTITIES[b % 3]}]}, {"tags": []},
                   {"place": None}]  # fmt: skip
        self._add("event.corrected", {"event_id": self.active[a % len(self.active)],
                                      "changes": changes[c % len(changes)], "reason": "fix",
                                      "citations": [{"source": "src:2"}]})  # fmt: skip

    def _claim(self, a: int, b: int, c: int) -> None:
        if not self.events:
            return self._assert(a, b, c)
        claim_id = f"cl:{len(self.claims)}"
        figures = [{"best": b}, {"low": min(b, c), "high": max(b, c)}, {"value_text": "dozens"}]
        self._add("claim.asserted", {
            "claim_id": claim_id, "event_id": self.events[a % len(self.events)],
            "claimant": ENTITIES[c % 3], "property": ["killed", "wounded"][b % 2],
            "about": ENTITIES[(c + 1) % 3], "source": "src:1", **figures[a % 3]})  # fmt: skip
        self.claims.append(claim_id)

    def _rank(self, a: int, b: int, c: int) -> None:
        if self.claims:
            rank = ["preferred", "normal", "deprecated"][b % 3]
            self._add("claim.ranked", {"claim_id": self.claims[a % len(self.claims)],
                                       "rank": rank, "reason": "ranked"})  # fmt: skip

    def _retract(self, a: int, b: int, c: int) -> None:
        if len(self.active) > 1:
            event_id = self.active.pop(a % len(self.active))
            self._add("event.retracted", {"event_id": event_id, "reason": "wrong"})

    def _merge(self, a: int, b: int, c: int) -> None:
        if len(self.active) > 1:
            event_id = self.active.pop(a % len(self.active))
            into = self.active[b % len(self.active)]
            self._add("event.merged", {"event_id": event_id, "into": into, "reason": "same"})

    def _alias(self, a: int, b: int, c: int) -> None:
        self._add("entity.aliased", {"entity_id": ENTITIES[a % 5], "alias": f"alias{b}"})

    def _link(self, a: int, b: int, c: int) -> None:
        if len(self.events) > 1:
            source, target = self.events[a % len(self.events)], self.events[b % len(self.events)]
            if source != target:
                relation = ["part_of", "follows", "causes", "responds_to", "contradicts"][c % 5]
                self._add("event.linked", {"event_id": source, "relation": relation,
                                           "target": target})  # fmt: skip


def _history(op_list: list[Op]) -> list[dict]:
    history = History()
    for op in op_list:
        history.apply(op)
    return history.entries


SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])  # fmt: skip


FLUSH_SIZES = st.sampled_from([1, 2, 5, projector.FLUSH_EVERY])


@contextmanager
def flushing_every(n: int):
    """Make the projector flush after every n entries, so batch edges fall anywhere, and a
    replay keep as few events between flushes as that (so it forgets some, and reads
    them back)."""
    saved = projector.FLUSH_EVERY, projector.KEPT_EVENTS
    projector.FLUSH_EVERY = projector.KEPT_EVENTS = n
    try:
        yield
    finally:
        projector.FLUSH_EVERY, projector.KEPT_EVENTS = saved


@SETTINGS
@given(op_list=ops, cuts=st.lists(st.integers(1, 60), max_size=4), flush=FLUSH_SIZES)
def test_incremental_equals_rebuild(
    tmp_path_factory, op_list: list[Op], cuts: list[int], flush: int
) -> None:
    with flushing_every(flush):
        _check_rebuild(tmp_path_factory, _history(op_list), cuts)


def _check_rebuild(tmp_path_factory, entries: list[dict], cuts: list[int]) -> None:
    path = tmp_path_factory.mktemp("prop") / "s.db"
    with Store.open(path, create=True) as store:
        start = 0
        for cut in [*sorted(cuts), len(entries)]:
            store.append(entries[start:cut])
            start = max(start, cut)
        store.ensure_order()
        incremental = snapshot(store.conn), _order(store)
        store.rebuild()
        assert (snapshot(store.conn), _order(store)) == incremental
        assert store.verify().ok


def _order(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT ord, event_id FROM timeline_order ORDER BY ord").fetchall()


@SETTINGS
@given(op_list=ops, data=st.data(), flush=FLUSH_SIZES)
def test_as_of_equals_a_store_of_the_first_n(
    tmp_path_factory, op_list: list[Op], data, flush: int
) -> None:
    with flushing_every(flush):
        _check_as_of(tmp_path_factory, _history(op_list), data)


def _check_as_of(tmp_path_factory, entries: list[dict], data) -> None:
    root: Path = tmp_path_factory.mktemp("asof")
    with Store.open(root / "full.db", create=True) as full:
        full.append(entries)
        n = data.draw(st.integers(1, len(entries)), label="as_of")
        with Store.open(root / "prefix.db", create=True) as prefix:
            prefix.append(entries[:n])
            assert public_view(full.conn, n) == public_view(prefix.conn)
