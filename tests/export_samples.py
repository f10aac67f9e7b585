"""Stores and hostile text shared by the export tests (a helper module, not a test file).

The seed chronology gives real shape; the entries below add what the seeds do not
hold on purpose: text that is markup, CSV syntax or a terminal escape in every
field an export writes, figures whose reduction is known in advance, and dates of
each precision.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

from chronicle import exports
from chronicle.cli import load_seeds
from chronicle.store import Store

ESC = "\x1b[31m"
TITLE = '<script>alert("x")</script> **bold**, "quoted"; a|b # 1'
SUMMARY = (
    "First line, with a comma\n"
    "# not a heading\n"
    "1. not a list\n"
    f"[link](javascript:alert(1)) <img src=x onerror=alert(1)> &amp; `code` {ESC}red\u202e"
)
SOURCE_TITLE = 'Report "A", <b>bold</b> & [more]'
QUOTE = "they said: *fifty*, <i>maybe</i>"
ACTOR_NAME = 'Alpha "A", <b>Co</b>'


def _entry(n: int, entry_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"test-{n:03d}",
        "type": entry_type,
        "author": "export tests",
        "recorded_at": f"2030-01-01T00:{n // 60:02d}:{n % 60:02d}Z",
        "data": data,
    }


def _event(event_id: str, title: str, when: str, **more: Any) -> dict[str, Any]:
    return {
        "event_id": event_id, "title": title, "when": when, "actors": [], "tags": ["test"],
        "summary": "", "citations": [{"source": "src:plain"}], **more,
    }  # fmt: skip


def _claim(claim_id: str, claimant: str, about: str, **figures: Any) -> dict[str, Any]:
    return {
        "claim_id": claim_id, "event_id": "ev:hostile", "claimant": claimant,
        "property": "killed", "about": about, "source": "src:plain", **figures,
    }  # fmt: skip


def hostile_entries() -> list[dict[str, Any]]:
    """Entries to append after the seeds; ``ev:hostile`` is corrected after ``CORRECTED_AT``."""
    payloads: list[tuple[str, dict[str, Any]]] = [
        ("source.registered", {"source_id": "src:hostile", "title": SOURCE_TITLE,
                               "kind": "report", "url": "javascript:alert(1)"}),
        ("source.registered", {"source_id": "src:plain", "title": "Plain report", "kind": "news",
                               "url": "https://example.org/report?a=1&b=<2>"}),
        ("entity.registered", {"entity_id": "actor:alpha", "kind": "actor", "name": ACTOR_NAME,
                               "aliases": ["Alpha"]}),
        ("entity.registered", {"entity_id": "actor:beta", "kind": "actor", "name": "Beta",
                               "aliases": []}),
        ("entity.registered", {"entity_id": "place:gamma", "kind": "place",
                               "name": "Gamma | Town # 1", "aliases": ["Gammatown"]}),
        ("event.asserted", _event(
            "ev:hostile", TITLE, "2030-05-03", place="place:gamma", summary=SUMMARY,
            tags=["<b>tag</b>", "test"],
            actors=[{"entity": "actor:alpha", "role": "attacker"},
                    {"entity": "actor:beta", "role": "defender"}],
            citations=[{"source": "src:hostile", "quote": QUOTE, "named_as": "G|amma"},
                       {"source": "src:plain"}])),
        ("event.asserted", _event("ev:month", "A month", "2030-06")),
        ("event.asserted", _event("ev:year", "A year", "2030")),
        ("event.asserted", _event("ev:days", "Three days", "2030-07-01/2030-07-03")),
        ("event.asserted", _event("ev:approx", "About a day", "2030-08-10~")),
        ("claim.asserted", _claim("cl:h1", "actor:alpha", "actor:beta", best=50)),
        ("claim.asserted", _claim("cl:h2", "actor:beta", "actor:beta", best=2)),
        ("claim.asserted", _claim("cl:h3", "src:plain", "actor:alpha", low=20, high=80,
                                  value_text="between 20 and 80")),
        ("claim.ranked", {"claim_id": "cl:h1", "rank": "preferred", "reason": "on film"}),
        ("event.corrected", {"event_id": "ev:hostile", "changes": {"title": TITLE + " (v2)"},
                             "reason": "better wording"}),
        ("event.retracted", {"event_id": "ev:approx", "reason": "a duplicate"}),
    ]  # fmt: skip
    return [_entry(n, t, d) for n, (t, d) in enumerate(payloads, start=1)]


def build_store(path: Path, *, hostile: bool = True) -> Store:
    """A store with the seed chronology, and (by default) the hostile entries after it."""
    store = Store.open(path, create=True)
    load_seeds(store)
    if hostile:
        store.append(hostile_entries())
    return store


def corrected_at(conn: sqlite3.Connection) -> int:
    """The seq of the correction of ev:hostile: as of one before, the old title shows."""
    return conn.execute(
        "SELECT seq FROM log WHERE type = 'event.corrected' AND subject = 'ev:hostile'"
    ).fetchone()[0]


def export_text(conn: sqlite3.Connection, what: str, fmt: str, **kwargs: Any) -> str:
    """Run an export into memory, as the TUI does (a binary file object), and decode it."""
    out = io.BytesIO()
    exports.write_export(conn, what, fmt, out, **kwargs)
    return out.getvalue().decode("utf-8")
