"""The peer: the `eventsourcing` library storing the same log in SQLite.

chronicle is an event store; its throughput means something only next to an established
one doing the same work with the same durability. The library keeps SQLite in WAL mode
and leaves `synchronous` at SQLite's default, which is FULL unless the SQLite build
changed it; the measured values are read back from the library's own connection and
reported with the figures.

Two ways in, both honest and both reported:

- **application**: one aggregate per subject (event, claim, source or entity id); each
  entry becomes a domain event on its aggregate (created for the first entry, loaded
  from the repository otherwise) and a batch of aggregates is saved in one transaction.
  Reading back walks the application's notification log in pages and maps every stored
  event back to a domain event, as an event processor does.
- **recorder**: the library's SQLite application recorder fed StoredEvent records
  directly (topic = entry type, state = the entry's JSON), versions tracked in memory
  by the single writer. This is the fastest path the library offers; reading back
  pages through its notifications without decoding.

    python benchmarks/peer.py LOG.ndjson [--batch 1000]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

DEFAULT_BATCH = 1000
READ_PAGE = 1000
PERSISTENCE_MODULE = "eventsourcing.sqlite"

_dump = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass(frozen=True)
class PeerResult:
    """One peer measurement with the durability it actually ran under."""

    what: str
    count: int
    seconds: float
    journal_mode: str = ""
    synchronous: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def version() -> str | None:
    """The installed library's version, or None when the peer can't be measured."""
    try:
        import eventsourcing  # noqa: F401
    except ImportError:
        return None
    return importlib.metadata.version("eventsourcing")


def _entries(ndjson: Path) -> Iterator[dict[str, Any]]:
    with ndjson.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _batches(ndjson: Path, size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for entry in _entries(ndjson):
        batch.append(entry)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def aggregate_id(subject: str) -> UUID:
    """A stable UUID per subject, since the library's aggregates are keyed by UUID."""
    return uuid5(NAMESPACE_URL, "chronicle:" + subject)


_SYNCHRONOUS = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}


def _durability(datastore: Any) -> tuple[str, str]:
    """Ask the library's own connection, rather than assume what it runs with."""
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = str(cursor.fetchone()[0])
        cursor.execute("PRAGMA synchronous")
        synchronous = str(cursor.fetchone()[0])
    return journal.upper(), _SYNCHRONOUS.get(synchronous, synchronous)


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


# ---- application path ---------------------------------------------------------------


def _application(db: Path) -> Any:
    """Imported late, so that `peer` itself imports without the library."""
    from peer_model import Chronology

    env = {"PERSISTENCE_MODULE": PERSISTENCE_MODULE, "SQLITE_DBNAME": str(db)}
    return Chronology(env=env)


def append_application(ndjson: Path, db: Path, batch: int = DEFAULT_BATCH) -> PeerResult:
    """Append every entry as a domain event, one save (one transaction) per batch."""
    _remove_db(db)
    from peer_model import Subject

    app = _application(db)
    try:
        known: set[UUID] = set()
        count = 0
        start = time.perf_counter()
        for entries in _batches(ndjson, batch):
            touched: dict[UUID, Any] = {}
            for entry in entries:
                key = aggregate_id(entry["subject"])
                aggregate = touched.get(key)
                if aggregate is None and key in known:
                    aggregate = app.repository.get(key)
                if aggregate is None:
                    aggregate = Subject(id=key, kind=entry["type"], data=entry["data"])
                else:
                    aggregate.record(entry["type"], entry["data"])
                touched[key] = aggregate
            app.save(*touched.values())
            known.update(touched)
            count += len(entries)
        seconds = time.perf_counter() - start
        journal, synchronous = _durability(app.recorder.datastore)
    finally:
        app.close()
    return PeerResult("append (application)", count, seconds, journal, synchronous)


def read_application(db: Path) -> PeerResult:
    """Read the whole notification log back and map each record to a domain event."""
    app = _application(db)
    try:
        start = time.perf_counter()
        count = _page_through(app.recorder, app.mapper.to_domain_event)
        seconds = time.perf_counter() - start
    finally:
        app.close()
    return PeerResult("read (application)", count, seconds)


def _page_through(recorder: Any, handle: Callable[[Any], object] | None) -> int:
    count = 0
    start = 1
    while True:
        page = recorder.select_notifications(start, READ_PAGE)
        if not page:
            return count
        if handle is not None:
            for notification in page:
                handle(notification)
        count += len(page)
        start = page[-1].id + 1


# ---- recorder path -------------------------------------------------------------------


def _recorder(db: Path) -> Any:
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    datastore = SQLiteDatastore(str(db), originator_id_type="text")
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()
    return recorder


def append_recorder(ndjson: Path, db: Path, batch: int = DEFAULT_BATCH) -> PeerResult:
    """Insert StoredEvent records straight into the library's recorder, a batch a transaction."""
    from eventsourcing.persistence import StoredEvent

    _remove_db(db)
    recorder = _recorder(db)
    try:
        versions: dict[str, int] = {}
        count = 0
        start = time.perf_counter()
        for entries in _batches(ndjson, batch):
            stored = []
            for entry in entries:
                subject = entry["subject"]
                version = versions.get(subject, 0) + 1
                versions[subject] = version
                state = _dump(entry["data"]).encode()
                stored.append(StoredEvent(subject, version, entry["type"], state))
            recorder.insert_events(stored)
            count += len(stored)
        seconds = time.perf_counter() - start
        journal, synchronous = _durability(recorder.datastore)
    finally:
        recorder.datastore.close()
    return PeerResult("append (recorder)", count, seconds, journal, synchronous)


def read_recorder(db: Path) -> PeerResult:
    """Page through every stored event as the recorder returns it, without decoding."""
    recorder = _recorder(db)
    try:
        start = time.perf_counter()
        count = _page_through(recorder, None)
        seconds = time.perf_counter() - start
    finally:
        recorder.datastore.close()
    return PeerResult("read (recorder)", count, seconds)


def measure(ndjson: Path, scratch: Path, batch: int = DEFAULT_BATCH) -> list[PeerResult]:
    """All four peer figures on one log; databases go in `scratch`."""
    app_db = scratch / "peer-application.db"
    recorder_db = scratch / "peer-recorder.db"
    return [
        append_application(ndjson, app_db, batch),
        read_application(app_db),
        append_recorder(ndjson, recorder_db, batch),
        read_recorder(recorder_db),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ndjson", type=Path)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--dir", type=Path, help="where the peer databases go (default: temp)")
    args = parser.parse_args(argv)
    found = version()
    if found is None:
        print("eventsourcing is not installed: peer not measured", file=sys.stderr)
        return 1
    print(f"eventsourcing {found}")
    with tempfile.TemporaryDirectory() as temporary:
        scratch = args.dir or Path(temporary)
        for result in measure(args.ndjson, scratch, args.batch):
            durability = f" [{result.journal_mode}, synchronous={result.synchronous}]"
            print(
                f"{result.what:<22} {result.count:>10,} in {result.seconds:7.2f} s: "
                f"{result.rate:>9,.0f}/s" + (durability if result.synchronous else "")
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
