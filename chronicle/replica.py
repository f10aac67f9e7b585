"""A store that replicates a team log: writes go to the server first, reads stay local.

A replica is an ordinary store file whose ``store_meta`` names a team log. A
command's few entries are validated at the local head and sent with it; the server
refuses them if the log has since changed anything they name (they are then
validated again after a pull), else numbers, stamps and hashes them under its lock
and commits, in one round trip, and hands back the rows after that head. Any other
append takes the team log's lock and, in the same round trip, the server's hash at
the replica's head (the witness check) and the rows after it; it writes those rows
and the new entries in one local SQLite transaction (numbered, hashed and checked
against what is now the server's state, with the server's clock), sends the new
rows with the server's COMMIT and commits locally after. Either way the stale-write
check and every reference check judge by the server's state, and nothing is ever
written locally that the server did not take first.

Catching up reads the server's rows after the local head, fetched by a thread while
the ones before are written (a pull of PULL_ASIDE_ROWS or more, a clone above all, is
fetched and read by a second process with its own connection, as a large import's
lines are parsed beside its writer); each must continue the local chain (seq, prev_hash)
and goes through the import's own checks (``pulled_entry``), and the appender
refuses one that does not hash here as it does on the server. A new replica takes
the whole log in one local transaction, as its import would; one with entries takes
pages of them, a local transaction each. A server that no longer holds the
replica's own head has had its history rewritten: the replica stops, changes
nothing, and names the first seq that differs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from chronicle import rules
from chronicle.appender import chunks
from chronicle.chain import row_hash
from chronicle.errors import ChronicleError, HashMismatch, StoreError
from chronicle.intake import (
    AppendResult,
    PendingEntry,
    can_parse_aside,
    pulled_entry,
    read_aside,
)
from chronicle.schema import LOG_COLUMN_LIST
from chronicle.store import Store, VerifyResult
from chronicle.teamlog import (
    CONNECT_TIMEOUT_S,
    READ_CONNECT_TIMEOUT_S,
    Append,
    Diverged,
    Listener,
    Lost,
    Moved,
    Sequenced,
    ServerHead,
    TeamLog,
    TeamLogError,
    Unreachable,
    check_url,
)

APPLY_ROWS = 100_000  # pulled entries per local transaction
EARLY_ENTRIES = 64  # entries of an append validated before the team log's lock is taken
READ_AHEAD_ROWS = 2_000  # rows a pull's fetching thread hands over at a time
READ_AHEAD_BATCHES = 8  # and how many of those it may hold ready
LARGE_PULL_ROWS = 50_000  # a clone this large writes as a large import does (Store.write_entries)
PULL_ASIDE_ROWS = 20_000  # a pull this large is fetched and read by a second process
CATCH_UP_TRIES = 3  # appends tried before giving up on a team log that outruns the pulls
SEQUENCE_TRIES = 3  # server-numbered tries of a command's entries before it takes the lock
Progress = Callable[[int], None]


class HistoryRewritten(TeamLogError):
    """The team log no longer holds what this replica took from it."""


@dataclass(frozen=True)
class ReplicaStatus:
    url: str
    local: tuple[int, str]
    server: ServerHead | None  # None: unreachable
    problem: str | None = None

    @property
    def behind(self) -> int | None:
        return None if self.server is None else max(0, self.server.seq - self.local[0])


class Replica:
    """A store bound to its team log; the server connection opens when first needed."""

    def __init__(self, store: Store, *, timeout: float = CONNECT_TIMEOUT_S) -> None:
        url = store.upstream_url()
        if url is None:
            raise StoreError(f"{store.path} is not a replica of a team log")
        self.store, self.url, self.timeout = store, url, timeout
        self._log: TeamLog | None = None

    @property
    def log(self) -> TeamLog:
        if self._log is None:
            log = TeamLog(self.url, timeout=self.timeout)
            try:
                log.check_schema()
            except BaseException:
                log.close()
                raise
            self._log = log
        return self._log

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Replica:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------------

    def append(
        self,
        pending: Iterable[PendingEntry],
        expect: dict[str, int] | None = None,
        *,
        restamp: bool = False,
    ) -> AppendResult:
        """Append on the server first, in one server transaction, then locally.

        A command's few entries go by ``_append_sequenced``: the server numbers them
        under its lock in one round trip. The rest (an import, entries that bring
        their own time, a server of schema 1) take one turn of the team log's lock:
        the lock, the witness check and the rows this replica lacks come in one
        round trip; those rows and the new entries are written in one local
        transaction (numbered, hashed, checked against what is now the server's
        state); the new rows go with the server's COMMIT, which releases the lock;
        the local commit follows. A replica further behind than one round trip
        pulls first, outside the lock.
        """
        try:
            log = self.log
        except Unreachable as err:
            raise Unreachable(f"{err}: nothing was written") from None
        early, rest = _read_early(pending)
        if log.sequences and not restamp and _for_the_server(early):
            done = self._append_sequenced(early, expect)
            if done is not None:
                return done
        pending = itertools.chain(early, rest)
        for _ in range(CATCH_UP_TRIES):
            seq, digest = self.store.head()
            with log.appending(after=seq) as append:
                if seq and append.witness != digest:
                    self._rewritten(seq)
                if append.caught_up(seq):
                    return self._write_through(append, pending, expect, restamp)
            self.pull()  # far behind: catch up outside the lock, then take it again
        raise TeamLogError(
            f"the team log at {log.shown} moved on faster than this replica could catch up: "
            "nothing was written; try again"
        )

    def _append_sequenced(
        self, entries: list[PendingEntry], expect: dict[str, int] | None
    ) -> AppendResult | None:
        """A command's few entries, validated here at the local head and numbered,
        stamped and hashed by the server under its lock, in one round trip.

        The lock then covers the server's work and its commit, never this replica's
        writing nor a round trip. The rows after the local head come back (what the
        replica lacked, then its own) and are written as a pull writes, each checked
        to hash here as on the server. When the log has changed since the local head
        something these entries name, the server refuses them and they are validated
        again after a pull; None after SEQUENCE_TRIES such turns (the caller then
        takes the lock and validates under it).
        """
        for _ in range(SEQUENCE_TRIES):
            head = self.store.head()
            try:
                sequenced, skipped = self._validated(entries, expect)
            except ChronicleError:
                if self.pull():  # judged at a stale head: judge again at the server's
                    continue
                raise
            if not sequenced.rows:
                return AppendResult(skipped=skipped)  # all logged already: a retry that landed
            try:
                rows = self.log.append_after(head, sequenced)
            except Lost as lost:
                done = self._settle(lost, [row[0] for row in sequenced.rows], skipped)
                if done is None:
                    continue  # the server holds none of them: try again
                return done
            except Moved:
                self.pull()
                continue
            except Diverged as err:
                if err.unhashed:
                    raise HistoryRewritten(_unhashed(err.seq)) from None
                self._rewritten(head[0])
            self._apply(rows, own={item.entry_id: item for item in entries})
            last = rows[-1][0]
            return AppendResult(range(last - len(sequenced.rows) + 1, last + 1), skipped)
        return None

    def _settle(self, lost: Lost, ids: list[str], skipped: int) -> AppendResult | None:
        """After a connection lost mid-append, ask the server again whether the entries
        landed: if they did, pull them and report them added; None if it holds none.
        A server still out of reach leaves the question open, as ``lost`` says."""
        self.close()
        try:
            landed = self.log.seqs_of(ids)
        except TeamLogError:
            raise lost from None
        if not landed:
            return None
        self.pull()
        return AppendResult(range(landed[0], landed[-1] + 1), skipped)

    def _validated(
        self, entries: list[PendingEntry], expect: dict[str, int] | None
    ) -> tuple[Sequenced, int]:
        """The entries as the local store would write them at its head, and how many it
        would skip as logged already; nothing is kept (the transaction is rolled back)."""
        found: list[tuple[Sequenced, int]] = []

        def keep(head: tuple[int, str], result: AppendResult) -> None:
            rows = self.store.conn.execute(
                "SELECT id, type, subject, subject_version, author, schema, data FROM log "
                "WHERE seq > ? ORDER BY seq",
                (head[0],),
            ).fetchall()
            found.append((_sequenced(entries, rows), result.skipped))
            raise _Validated

        with contextlib.suppress(_Validated):
            self.store.write_entries(lambda head: iter(entries), expect=expect, before_commit=keep)
        return found[0]

    def _write_through(
        self,
        append: Append,
        pending: Iterable[PendingEntry],
        expect: dict[str, int] | None,
        restamp: bool,
    ) -> AppendResult:
        """The backlog and the new entries in one local transaction, sent before it commits."""
        tail = _Tail()

        def send(head: tuple[int, str], result: AppendResult) -> None:
            append.commit(self._rows_after(append.head.seq))

        with _hashed_alike():
            return self.store.write_entries(
                lambda head: _stamped(pending, append),
                expect=expect,
                restamp=restamp,
                before_commit=send,
                catch_up=(
                    lambda head: _continuing(append.backlog, head, tail),
                    lambda head, result: self._landed(tail),
                )
                if append.backlog
                else None,
            )

    def _rows_after(self, seq: int) -> Iterator[tuple]:
        yield from self.store.conn.execute(
            f"SELECT {LOG_COLUMN_LIST} FROM log WHERE seq > ? ORDER BY seq", (seq,)
        )

    # --- catching up ---------------------------------------------------------------------

    def pull(self, server: ServerHead | None = None, progress: Progress | None = None) -> int:
        """Catch up with the server (whose head is ``server`` when already read).

        A thread fetches the rows while the ones before are written. A new replica
        (a clone) takes the whole log in one local transaction, as an import of it
        would (its indexes made once at the end); one that has entries takes pages
        of APPLY_ROWS, each a commit of its own.
        """
        server = server or self.log.head()
        seq, digest = self.store.head()
        if (server.seq, server.hash) == (seq, digest):
            return 0  # the common case of an append: nothing to fetch, nothing to witness
        self._witness(seq, digest)
        if server.seq - seq >= PULL_ASIDE_ROWS and can_parse_aside():
            return self._pull_aside(seq, server.seq, progress)
        ahead = _ReadAhead(self.log.rows(seq, server.seq))
        try:
            rows = iter(ahead) if progress is None else _counted(ahead, progress)
            if seq == 0:
                return len(self._apply(rows, large=_large(seq, server.seq)).added)
            return sum(len(self._apply(page).added) for page in chunks(rows, APPLY_ROWS))
        finally:
            ahead.close()

    def _pull_aside(self, seq: int, upto: int, progress: Progress | None) -> int:
        """A large pull with the rows fetched and read into entries by a second process.

        The child opens its own connection to the team log, checks that each row
        continues the chain and reads it as ``pulled_entry`` does; this process only
        writes, as a large import's does while its lines are parsed beside it. A clone
        lands in one local transaction; a replica with entries in pages of APPLY_ROWS.
        """
        large, added = _large(seq, upto), 0
        while self.store.head()[0] < upto:
            tail = _Tail()

            def source(
                head: tuple[int, str], tail: _Tail = tail, before: int = added
            ) -> Iterator[PendingEntry]:
                stop = upto if head[0] == 0 else min(upto, head[0] + APPLY_ROWS)
                return _fetched_aside(self.url, head, stop, tail, progress, before)

            def landed(head: tuple[int, str], result: AppendResult, tail: _Tail = tail) -> None:
                self._landed(tail)

            with _hashed_alike():
                result = self.store.write_entries(source, before_commit=landed, large=large)
            if not result.added:
                break  # the server's rows were written here meanwhile by another connection
            added += len(result.added)
        return added

    def _apply(
        self,
        rows: Iterable[tuple],
        *,
        large: bool = False,
        own: dict[str, PendingEntry] | None = None,
    ) -> AppendResult:
        """Server rows in one local transaction, each checked to hash here as it does there.

        ``own``: entries this replica validated itself, by id; their rows are written
        from them, stamped and hashed as the server did, without reading them again.
        """
        tail = _Tail()
        with _hashed_alike():
            return self.store.write_entries(
                lambda head: _continuing(rows, head, tail, own),
                before_commit=lambda head, result: self._landed(tail),
                large=large,
            )

    def _witness(self, seq: int, digest: str) -> None:
        """Refuse a server whose history no longer holds this replica's head."""
        if seq and self.log.hash_at(seq) != digest:
            self._rewritten(seq)

    def _rewritten(self, seq: int) -> None:
        first = self._first_difference(seq)
        raise HistoryRewritten(
            f"the team log's history differs from this replica's at seq {first}: "
            "it was rewritten on the server; nothing was changed here"
        )

    def _first_difference(self, upto: int) -> int:
        local = self.store.conn.execute(
            "SELECT seq, hash FROM log WHERE seq <= ? ORDER BY seq", (upto,)
        )
        server = self.log.hashes(upto)
        for (seq, digest), theirs in zip(local, _padded(server), strict=False):
            if theirs != (seq, digest):
                return seq
        return upto

    def _landed(self, tail: _Tail) -> None:
        """The rows just written locally must end where the server's do (none skipped)."""
        if tail.last is not None and self.store.head() != tail.last:
            raise HistoryRewritten(
                f"the team log's entries up to seq {tail.last[0]} do not land here as they "
                "are on the server: nothing more was pulled"
            )

    # --- looking ---------------------------------------------------------------------------

    def status(self) -> ReplicaStatus:
        local = self.store.head()
        try:
            return ReplicaStatus(self.url, local, self.log.head())
        except TeamLogError as err:
            return ReplicaStatus(self.url, local, None, str(err))

    def verify_remote(self) -> VerifyResult:
        """Walk the server's whole chain; the local log must be a prefix of it."""
        prev, n = "0" * 64, 0
        local = self.store.conn.execute(f"SELECT {LOG_COLUMN_LIST} FROM log ORDER BY seq")
        mine = next(local, None)
        for row in self.log.rows(0):
            problem = _link_problem(row, n, prev)
            if problem is None and mine is not None and mine[0] == row[0] and mine[10] != row[10]:
                problem = f"the server's hash {row[10]} is not this replica's {mine[10]}"
            if problem is not None:
                return VerifyResult(False, n, prev, row[0], problem)
            if mine is not None and mine[0] == row[0]:
                mine = next(local, None)
            prev, n = row[10], row[0]
        if mine is not None:
            return VerifyResult(
                False, n, prev, mine[0], f"seq {mine[0]} is in this replica but not on the server"
            )
        return VerifyResult(True, n, prev)


def _link_problem(row: tuple, seq: int, prev: str, *, rehash: bool = True) -> str | None:
    """What breaks the chain at ``row`` after (seq, prev); ``rehash`` recomputes its hash
    too (a pull leaves that to the import's own check of export lines)."""
    if row[0] != seq + 1:
        return f"seq {seq + 1} is missing (next is {row[0]})"
    if row[9] != prev:
        return "prev_hash does not match the previous entry's hash"
    if rehash and row_hash(row[:10]) != row[10]:
        return "hash does not match the entry's content"
    return None


def _large(seq: int, upto: int) -> bool:
    """Whether a pull from ``seq`` to ``upto`` is a clone large enough to write as a large
    import does (``Store.write_entries``)."""
    return seq == 0 and upto >= LARGE_PULL_ROWS


def _fetched_aside(
    url: str,
    head: tuple[int, str],
    upto: int,
    tail: _Tail,
    progress: Progress | None,
    before: int,
) -> Iterator[PendingEntry]:
    """The entries of the team log's rows after ``head`` up to ``upto``, fetched, checked
    to continue the chain and read by a second process (``read_aside``)."""

    def fetch(first: int, batch: list[Any]) -> Iterator[PendingEntry]:
        with TeamLog(url) as log:  # the child's own connection: never the parent's
            for row in _linked(log.rows(head[0], upto), head, _Tail()):
                yield _entry_of(row)

    seq = head[0]
    for number, item in enumerate(read_aside([None], fetch), start=1):
        seq += 1
        tail.last = (seq, item.hash or "")
        if progress is not None and (before + number) % 1000 == 0:
            progress(before + number)
        yield item


def _counted(rows: Iterable[tuple], progress: Progress) -> Iterator[tuple]:
    """The rows, telling ``progress`` how many have come so far (every thousand)."""
    for number, row in enumerate(rows, start=1):
        if number % 1000 == 0:
            progress(number)
        yield row


def _padded(rows: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str] | None]:
    yield from rows
    while True:
        yield None


def _stamped(pending: Iterable[PendingEntry], append: Append) -> Iterator[PendingEntry]:
    """Give entries that come without a time the server's clock, read under its lock.

    The appender then keeps every time from going backwards, as in any store; an
    entry that brings its own (a line of a log export) is judged by the same rule.
    """
    clock = append.clock()
    for item in pending:
        if item.recorded_at is None:
            item.recorded_at = clock
        yield item


def _read_early(
    pending: Iterable[PendingEntry],
) -> tuple[list[PendingEntry], Iterator[PendingEntry]]:
    """The first EARLY_ENTRIES + 1 entries, validated now, and the rest: a command's entry
    is refused before the team log is asked anything, and an import's first lines are
    ready. One more than EARLY_ENTRIES tells a command's few entries from an import."""
    items = iter(pending)
    return list(itertools.islice(items, EARLY_ENTRIES + 1)), items


def _for_the_server(early: list[PendingEntry]) -> bool:
    """Whether these entries go by ``append_after``: a command's few, each to be recorded
    at the server's time (an entry that brings its own, as a log export's does, is
    judged against the log's last time under the lock)."""
    return len(early) <= EARLY_ENTRIES and all(item.recorded_at is None for item in early)


def _sequenced(entries: list[PendingEntry], rows: list[tuple]) -> Sequenced:
    """What the server needs of rows validated here: their fixed fields, and every
    subject that their checks or their versions read (``rules.Referenced``)."""
    named = rules.Referenced()
    for item in entries:
        named.add(item.entry_type, item.data)
    depends = {item.subject for item in entries}
    depends.update(named.events, named.claims, named.entities, named.sources)
    return Sequenced(sorted(depends), rows)


class _Validated(Exception):
    """Raised to roll back the local transaction that validated entries for the server."""


class _Tail:
    """The last server row handed to the local writer: where its log must then end."""

    last: tuple[int, str] | None = None


def _linked(rows: Iterable[tuple], head: tuple[int, str], tail: _Tail) -> Iterator[tuple]:
    """The rows after ``head``, each checked to continue the chain (seq, prev_hash).

    Their hashes are not recomputed here: the appender hashes each entry as it
    writes it, and refuses one whose hash is not the server's.
    """
    seq, prev = head
    for row in rows:
        if row[0] <= seq:
            continue  # written here meanwhile by another connection to this replica
        problem = _link_problem(row, seq, prev, rehash=False)
        if problem is not None:
            raise HistoryRewritten(
                f"the team log's entry at seq {row[0]} does not continue this replica's chain "
                f"({problem}): nothing more was pulled"
            )
        seq, prev = row[0], row[10]
        tail.last = (seq, prev)
        yield row


def _continuing(
    rows: Iterable[tuple],
    head: tuple[int, str],
    tail: _Tail,
    own: dict[str, PendingEntry] | None = None,
) -> Iterator[PendingEntry]:
    """The entries of the rows after ``head`` (``_linked``). A row of one of ``own``
    (validated here already, by id) is that entry, given the server's time and hash."""
    for row in _linked(rows, head, tail):
        mine = own.get(row[1]) if own is not None else None
        if mine is not None and mine.stored_json == row[8]:
            yield dataclasses.replace(mine, recorded_at=row[5], hash=row[10], where=_at(row))
        else:
            yield _entry_of(row)


def _entry_of(row: tuple) -> PendingEntry:
    """A server row as an entry, validated as a line of a log export is."""
    return pulled_entry(_as_line(row), _at(row), row[10], row[8])


def _at(row: tuple) -> str:
    return f"the team log, seq {row[0]}: "


@contextlib.contextmanager
def _hashed_alike() -> Iterator[None]:
    """A pulled entry that does not hash here as on the server: its history was rewritten."""
    try:
        yield
    except HashMismatch as err:
        raise HistoryRewritten(_unhashed(err.seq)) from None


def _unhashed(seq: int) -> str:
    return f"the team log's entry at seq {seq} does not hash the same here: nothing more was pulled"


class _ReadAhead:
    """The server's rows, fetched by a thread of their own while the caller writes.

    The server reads and sends the next rows, and psycopg waits for them without
    holding the GIL, while the local writer numbers, hashes and projects the ones
    before. ``close`` stops the thread (and its cursor) wherever it is.
    """

    def __init__(self, rows: Iterator[tuple]) -> None:
        self._rows = rows
        self._queue: queue.Queue[list[tuple] | BaseException | None] = queue.Queue(
            maxsize=READ_AHEAD_BATCHES
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chronicle-pull", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for batch in chunks(self._rows, READ_AHEAD_ROWS):
                if not self._put(batch):
                    return
            self._put(None)
        except BaseException as err:  # handed to the caller's thread, raised there
            self._put(err)
        finally:
            close = getattr(self._rows, "close", None)  # a generator's: its cursor goes too
            if close is not None:
                with contextlib.suppress(BaseException):
                    close()

    def _put(self, item: list[tuple] | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[tuple]:
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield from item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _as_line(row: tuple) -> str:
    """A server row as a line of a log export, the payload text put in unparsed.

    With its seq and hashes the import's own checks hold it to the chain too, and
    keep its dates' bounds as they were written.
    """
    q = encode_basestring
    seq, id_, type_, subject, version, recorded_at, author, schema, data, prev, digest = row
    return (
        f'{{"seq":{int(seq)},"id":{q(id_)},"type":{q(type_)},"subject":{q(subject)},'
        f'"subject_version":{int(version)},"author":{q(author)},"recorded_at":{q(recorded_at)},'
        f'"schema":{int(schema)},"data":{data},"prev_hash":{q(prev)},"hash":{q(digest)}}}'
    )


# --- setting up --------------------------------------------------------------------------


def share(store: Store, url: str) -> int:
    """Make the team log at ``url`` (if need be), push this store's log, become its replica.

    The server's log must be empty or a prefix of this one; returns the entries pushed.
    """
    check_url(url)
    if store.upstream_url() not in (None, url):
        raise StoreError(f"{store.path} already replicates {store.upstream_url()}")
    with TeamLog(url) as log:
        log.create_schema()
        with log.appending() as append:
            _check_prefix(store, log, append.head)
            rows = store.conn.execute(
                f"SELECT {LOG_COLUMN_LIST} FROM log WHERE seq > ? ORDER BY seq", (append.head.seq,)
            )
            pushed = store.head()[0] - append.head.seq
            append.commit(rows)
    store.set_upstream(url)
    return pushed


def _check_prefix(store: Store, log: TeamLog, server: ServerHead) -> None:
    seq, _ = store.head()
    if server.seq > seq:
        raise TeamLogError(
            f"the team log at {log.shown} holds {server.seq} entries, this store {seq}: "
            "it is not a prefix of this store's log (clone it instead)"
        )
    row = store.conn.execute("SELECT hash FROM log WHERE seq = ?", (server.seq,)).fetchone()
    if server.seq and (row is None or row[0] != server.hash):
        raise TeamLogError(
            f"the team log at {log.shown} is not a prefix of this store's log "
            f"(they differ by seq {server.seq})"
        )


def clone(path: str | Path, url: str, progress: Progress | None = None) -> int:
    """A new store at ``path`` replicating the team log at ``url``; returns its entries."""
    check_url(url)
    if Path(path).exists():
        raise StoreError(f"{path} exists: clone makes a new store (use `chronicle pull` in it)")
    with TeamLog(url) as log:
        log.check_schema()
    with Store.open(path, create=True) as store:
        store.set_upstream(url)
        Replica(store).pull(progress=progress)
        return store.head()[0]


def pull_before_read(path: str | Path) -> str | None:
    """Catch a replica up before a read, briefly; a note for stderr when that failed."""
    try:
        with Store.open(path) as store, Replica(store, timeout=READ_CONNECT_TIMEOUT_S) as replica:
            try:
                replica.pull()
            except Unreachable as err:
                return f"note: {err}; answering from this replica (seq {store.head()[0]})"
    except ChronicleError as err:  # a rewritten history, a store this user cannot write
        return f"warning: {err}; answering from this replica as it is"
    return None


def describe_status(status: ReplicaStatus) -> dict[str, object]:
    """The status as plain values, for the CLI's table or JSON."""
    out: dict[str, object] = {
        "team log": status.url,
        "local head": f"seq {status.local[0]} {status.local[1]}",
    }
    if status.server is None:
        out["server head"] = f"unreachable ({status.problem})"
    else:
        out["server head"] = f"seq {status.server.seq} {status.server.hash}"
        out["behind"] = status.behind
    return out


# --- following -------------------------------------------------------------------------


@dataclass(frozen=True)
class Following:
    """What a follower last knew, for a status line."""

    connected: bool
    behind: int = 0
    problem: str = ""

    def words(self) -> str:
        if not self.connected:
            return f"team log: offline ({self.problem})" if self.problem else "team log: offline"
        return "team log: connected" + (f", {self.behind:,} behind" if self.behind else "")


class Follower:
    """Keeps a replica caught up from a thread of its own while an app shows it.

    A notification on the team log's channel wakes it at once; it also pulls every
    ``poll_seconds`` whatever it hears, since notifications sent while it was
    reconnecting are lost. Its pulls are ordinary local commits, which the app
    notices like any other writer's.
    """

    def __init__(self, path: str | Path, poll_seconds: float = 1.0) -> None:
        self.path, self.poll_seconds = Path(path), poll_seconds
        self.state = Following(False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chronicle-follow", daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with Store.open(self.path) as store:
            while not self._stop.is_set():
                try:
                    self._follow(store)
                except ChronicleError as err:
                    self.state = Following(False, problem=str(err).split(": ")[0])
                self._stop.wait(self.poll_seconds)

    def _follow(self, store: Store) -> None:
        """Pull whenever woken, until the connection fails or the app closes."""
        with (
            Replica(store, timeout=READ_CONNECT_TIMEOUT_S) as replica,
            contextlib.closing(Listener(replica.url)) as wake,
        ):
            while not self._stop.is_set():
                replica.pull()
                behind = replica.log.head().seq - store.head()[0]
                self.state = Following(True, max(0, behind))
                wake.wait(self.poll_seconds)
