"""The team log: one chronicle log in a PostgreSQL database, the system of record of a team.

The server holds the same rows as every replica's SQLite log (seq, id, subject_version,
recorded_at, hashes), in the ``chronicle`` schema. Appends serialize on the one row of
``chronicle.head``, locked ``FOR UPDATE`` inside the append transaction and read
together with the server's clock: seq is gapless and in commit order (no sequence that
may commit out of order), and ``recorded_at`` never goes backwards along it. The server
itself refuses what would break the log: UPDATE, DELETE and TRUNCATE by triggers, rows
that do not continue the chain (seq, prev_hash) by a statement trigger over the rows
as they arrive, a second id or subject version by UNIQUE constraints. The head keeps the
latest ``recorded_at`` seen, so the clock of the next append starts from there.

Only libpq's own ways carry a password (PGPASSWORD, ~/.pgpass): a URL holding one is
refused, so it is never on a command line, in a store file, in output or in an error.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict

from chronicle.chain import GENESIS
from chronicle.errors import ChronicleError, ConflictError
from chronicle.schema import LOG_COLUMN_LIST

SERVER_SCHEMA = 2  # the version of the tables below; a newer server is refused
SEQUENCED_SCHEMA = 2  # from this version the server numbers, stamps and hashes appends
CHANNEL = "chronicle_log"  # NOTIFY channel: a wake-up for replicas, never the only signal
CONNECT_TIMEOUT_S = 5
READ_CONNECT_TIMEOUT_S = 2  # reading commands fall back to the local store after this
FETCH_ROWS = 20_000  # rows per round trip when catching up
CATCH_UP_ROWS = 2_000  # rows an append brings with its lock; a replica further behind pulls first
FEW_ROWS = 64  # rows an append sends with its COMMIT in one round trip; more go by COPY
SERVER_NOW = """to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""

SCHEMA_SQL = f"""
CREATE SCHEMA IF NOT EXISTS chronicle;
CREATE TABLE chronicle.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE chronicle.head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq bigint NOT NULL,
    hash text NOT NULL,
    recorded_at text NOT NULL
);
INSERT INTO chronicle.head VALUES (true, 0, '{GENESIS}', '');
CREATE TABLE chronicle.log (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    id text NOT NULL UNIQUE,
    type text NOT NULL,
    subject text NOT NULL,
    subject_version integer NOT NULL CHECK (subject_version > 0),
    recorded_at text NOT NULL,
    author text NOT NULL,
    schema integer NOT NULL,
    data text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    UNIQUE (subject, subject_version)
);
CREATE FUNCTION chronicle.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the chronicle log is append-only: % refused', TG_OP
        USING ERRCODE = 'CH001';
END $$;
CREATE TRIGGER log_no_change BEFORE UPDATE OR DELETE ON chronicle.log
    FOR EACH ROW EXECUTE FUNCTION chronicle.refuse_change();
CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON chronicle.log
    FOR EACH STATEMENT EXECUTE FUNCTION chronicle.refuse_change();
CREATE TRIGGER head_no_truncate BEFORE TRUNCATE ON chronicle.head
    FOR EACH STATEMENT EXECUTE FUNCTION chronicle.refuse_change();
CREATE FUNCTION chronicle.check_links() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    h chronicle.head%ROWTYPE;
    bad bigint;
    last chronicle.log%ROWTYPE;
BEGIN
    SELECT * INTO h FROM chronicle.head FOR UPDATE;
    SELECT n.seq INTO bad FROM (
        SELECT seq, prev_hash,
               coalesce(lag(seq) OVER w, h.seq) AS seq_before,
               coalesce(lag(hash) OVER w, h.hash) AS hash_before
        FROM arrived WINDOW w AS (ORDER BY seq)
    ) n
    WHERE n.seq <> n.seq_before + 1 OR n.prev_hash <> n.hash_before
    ORDER BY n.seq LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'entry % does not continue the chain after seq %', bad, h.seq
            USING ERRCODE = 'CH002';
    END IF;
    SELECT * INTO last FROM arrived ORDER BY seq DESC LIMIT 1;
    IF last.seq IS NOT NULL THEN
        UPDATE chronicle.head SET seq = last.seq, hash = last.hash,
            recorded_at = greatest(h.recorded_at, (SELECT max(recorded_at) FROM arrived));
        PERFORM pg_notify('{CHANNEL}', last.seq::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER log_links AFTER INSERT ON chronicle.log
    REFERENCING NEW TABLE AS arrived FOR EACH STATEMENT EXECUTE FUNCTION chronicle.check_links();
INSERT INTO chronicle.meta VALUES ('schema', '1');
"""

# Version 2: an append the server numbers, stamps and hashes under its own lock, so the
# lock is held for the server's work and its commit alone, never across a round trip
# to a client. The client has validated its entries at its head (``after``); the
# server refuses them (CH004) when any entry since that head touches a subject they
# name or an id they bring, since their checks might then judge otherwise. It hashes
# again every entry after that head (CH005 names the first that does not hash as its
# content: the replica appends on no history it could not verify) and hands them back
# with the new ones. ``entry_hash`` spells the envelope as ``chain.entry_hash`` does:
# to_json escapes a string exactly as Python's JSON encoder does without ensure_ascii.
SEQUENCE_SQL = f"""
CREATE OR REPLACE FUNCTION chronicle.entry_hash(
    seq bigint, id text, type text, subject text, subject_version integer,
    recorded_at text, author text, schema integer, data text, prev_hash text
) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN encode(sha256(convert_to(
        '[' || seq || ',' || to_json(id) || ',' || to_json(type) || ',' || to_json(subject)
        || ',' || subject_version || ',' || to_json(recorded_at) || ',' || to_json(author)
        || ',' || schema || ',' || to_json(prev_hash) || ']' || chr(10) || data, 'UTF8')), 'hex');
END $$;
CREATE OR REPLACE FUNCTION chronicle.append_after(
    after bigint, after_hash text, behind_limit bigint, depends json, entries json
) RETURNS SETOF chronicle.log LANGUAGE plpgsql AS $$
DECLARE
    h chronicle.head%ROWTYPE;
    stamp text;
    prev text;
    bad bigint;
    e record;
    n bigint := 0;
    rows chronicle.log[] := '{{}}';
BEGIN
    SELECT * INTO h FROM chronicle.head FOR UPDATE;
    IF after > h.seq OR (SELECT l.hash FROM chronicle.log l WHERE l.seq = after)
            IS DISTINCT FROM (CASE WHEN after = 0 THEN NULL ELSE after_hash END) THEN
        RAISE EXCEPTION 'the log does not hold the replica''s head at seq %', after
            USING ERRCODE = 'CH003';
    END IF;
    IF h.seq - after > behind_limit
            OR EXISTS (SELECT 1 FROM chronicle.log l WHERE l.seq > after
                       AND l.subject IN (SELECT json_array_elements_text(depends)))
            OR EXISTS (SELECT 1 FROM chronicle.log l WHERE l.id IN
                       (SELECT x.id FROM json_to_recordset(entries) AS x(id text))) THEN
        RAISE EXCEPTION 'the log changed what this append depends on since seq %', after
            USING ERRCODE = 'CH004';
    END IF;
    SELECT l.seq INTO bad FROM chronicle.log l WHERE l.seq > after
        AND l.hash IS DISTINCT FROM chronicle.entry_hash(l.seq, l.id, l.type, l.subject,
            l.subject_version, l.recorded_at, l.author, l.schema, l.data, l.prev_hash)
        ORDER BY l.seq LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '%', bad USING ERRCODE = 'CH005';
    END IF;
    stamp := greatest({SERVER_NOW}, h.recorded_at);
    prev := h.hash;
    FOR e IN SELECT * FROM json_to_recordset(entries) AS x(
            id text, type text, subject text, version integer, author text, schema integer,
            data text) LOOP
        n := n + 1;
        rows[n] := ROW(h.seq + n, e.id, e.type, e.subject, e.version, stamp, e.author,
                       e.schema, e.data, prev, chronicle.entry_hash(h.seq + n, e.id, e.type,
                       e.subject, e.version, stamp, e.author, e.schema, e.data, prev));
        prev := rows[n].hash;
    END LOOP;
    INSERT INTO chronicle.log SELECT * FROM unnest(rows);
    RETURN QUERY SELECT * FROM chronicle.log l WHERE l.seq > after ORDER BY l.seq;
END $$;
UPDATE chronicle.meta SET value = '{SEQUENCED_SCHEMA}' WHERE key = 'schema';
"""


class TeamLogError(ChronicleError):
    """The team log refused or failed an operation; nothing was written."""


class Unreachable(TeamLogError):
    """The server cannot be reached (down, wrong address, refused login)."""


class Lost(Unreachable):
    """The connection went while the server took entries: they may or may not have landed."""


class Moved(TeamLogError):
    """Since the replica's head the log changed what an append depends on: nothing written."""


class Diverged(TeamLogError):
    """The log does not hold the replica's head at ``seq``, or (``unhashed``) holds an
    entry at ``seq`` that does not hash as its content: its history was rewritten."""

    def __init__(self, seq: int, *, unhashed: bool) -> None:
        super().__init__(f"the team log's history differs at seq {seq}")
        self.seq, self.unhashed = seq, unhashed


@dataclass
class Sequenced:
    """Entries for the server to number, stamp and hash (``append_after``): what each
    fixes itself, as (id, type, subject, subject_version, author, schema, data), and
    the subjects whose change since the replica's head refuses them."""

    depends: list[str]
    rows: list[tuple]

    def arguments(self) -> tuple[str, str]:
        """Both as JSON text: one parameter each, which the server unpacks in C."""
        keys = ("id", "type", "subject", "version", "author", "schema", "data")
        entries = [dict(zip(keys, row, strict=True)) for row in self.rows]
        return json.dumps(self.depends), json.dumps(entries)


@dataclass(frozen=True)
class ServerHead:
    seq: int
    hash: str
    recorded_at: str  # of the last entry; '' for an empty log


def check_url(url: str) -> str:
    """The URL as given, once sure it holds no password (refused without echoing it)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise TeamLogError("not a PostgreSQL URL (postgresql://user@host/db)") from None
    if "password" in params:
        raise TeamLogError(
            "the URL holds a password: give it in PGPASSWORD or ~/.pgpass instead, "
            "so it is never stored or shown"
        )
    return url


def shown_url(url: str) -> str:
    """The URL for display: any password-like part is dropped, whatever the spelling."""
    parts = urlsplit(url)
    if not parts.scheme:
        return " ".join(w for w in url.split() if not w.lower().startswith("password"))
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    host = f"{user}@{netloc[2]}" if netloc[1] else netloc[2]
    query = "&".join(f"{k}={v}" for k, v in parse_qsl(parts.query) if k.lower() != "password")
    return f"{parts.scheme}://{host}{parts.path}" + (f"?{query}" if query else "")


class TeamLog:
    """One connection to the team log; every method is one server transaction."""

    def __init__(self, url: str, *, timeout: float = CONNECT_TIMEOUT_S) -> None:
        self.url = check_url(url)
        self.shown = shown_url(url)
        self._depth = 0
        self.sequences = False  # set by check_schema: the server numbers appends itself
        try:
            self.conn = psycopg.connect(
                url, connect_timeout=max(2, int(timeout)), application_name="chronicle"
            )
        except psycopg.Error as err:
            reason = _first_line(err)
            raise Unreachable(f"cannot reach the team log at {self.shown}: {reason}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> TeamLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema --------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Make the tables if the database has none, bring an older version up to this
        one, and check the version either way."""
        with self._transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('chronicle.schema'))")
            if self._one("SELECT to_regclass('chronicle.meta')")[0] is None:
                self.conn.execute(SCHEMA_SQL)
            if self._schema_version() < SEQUENCED_SCHEMA and self._speaks_utf8():
                self.conn.execute(SEQUENCE_SQL)
        self.check_schema()

    def check_schema(self) -> None:
        """Refuse a database without a team log, or with a newer one than this chronicle's;
        note whether the server numbers appends itself (``sequences``)."""
        with self._transaction():
            if self._one("SELECT to_regclass('chronicle.meta')")[0] is None:
                raise TeamLogError(
                    f"{self.shown} holds no chronicle team log (set one up with `chronicle share`)"
                )
            version = self._schema_version()
        if version > SERVER_SCHEMA:
            raise TeamLogError(
                f"the team log at {self.shown} has schema {version}, newer than this "
                f"chronicle knows ({SERVER_SCHEMA}): upgrade chronicle"
            )
        self.sequences = version >= SEQUENCED_SCHEMA and self._speaks_utf8()

    def _schema_version(self) -> int:
        row = self.conn.execute("SELECT value FROM chronicle.meta WHERE key = 'schema'").fetchone()
        return int(row[0]) if row else 0

    def _speaks_utf8(self) -> bool:
        """The server hashes the text's UTF-8 bytes only where UTF-8 is how it keeps text."""
        return self.conn.info.parameter_status("server_encoding") == "UTF8"

    # --- reading -------------------------------------------------------------------------

    def head(self) -> ServerHead:
        with self._transaction():
            row = self._one("SELECT seq, hash, recorded_at FROM chronicle.head")
        return ServerHead(*row)

    def rows(self, after: int, upto: int | None = None) -> Iterator[tuple]:
        """Log rows after seq ``after`` (up to ``upto``), in seq order, streamed."""
        few = upto is not None and upto - after <= FETCH_ROWS
        # A few rows come in one round trip; many through a server-side cursor, in pages.
        with self._transaction(), self._cursor("" if few else "chronicle_rows") as cur:
            bound = " AND seq <= %s" if upto is not None else ""
            args = (after, upto) if upto is not None else (after,)
            cur.execute(
                f"SELECT {LOG_COLUMN_LIST} FROM chronicle.log WHERE seq > %s{bound} ORDER BY seq",
                args,
            )
            yield from cur

    def hashes(self, upto: int) -> Iterator[tuple[int, str]]:
        with self._transaction(), self._cursor("chronicle_hashes") as cur:
            cur.execute("SELECT seq, hash FROM chronicle.log WHERE seq <= %s ORDER BY seq", (upto,))
            yield from cur

    def _one(self, sql: str) -> tuple[Any, ...]:
        """The one row a statement on the log's own tables always gives."""
        row = self.conn.execute(sql).fetchone()
        if row is None:
            raise TeamLogError(f"the team log at {self.shown} is missing its head row")
        return row

    def _cursor(self, name: str) -> psycopg.Cursor | psycopg.ServerCursor:
        if not name:
            return self.conn.cursor()
        cursor = self.conn.cursor(name=name)
        cursor.itersize = FETCH_ROWS
        return cursor

    def hash_at(self, seq: int) -> str | None:
        with self._transaction():
            row = self.conn.execute(
                "SELECT hash FROM chronicle.log WHERE seq = %s", (seq,)
            ).fetchone()
        return row[0] if row else None

    # --- appending -----------------------------------------------------------------------

    @contextlib.contextmanager
    def appending(self, after: int | None = None) -> Iterator[Append]:
        """One append transaction holding the log's lock: committed by ``Append.commit``.

        With ``after`` (the replica's head), the same round trip brings the server's
        hash at that seq (the replica's witness check) and the rows after it, up to
        ``CATCH_UP_ROWS`` of them: a turn of the lock costs two round trips, this one
        and the commit's. Leaving the block without committing rolls everything back,
        as does a lost connection or a killed client: the server never holds part of
        an append.
        """
        with self._explicit_begin(), self._transaction():
            try:
                with self.conn.pipeline():
                    self.conn.execute("BEGIN")
                    locked = self.conn.execute(
                        f"SELECT seq, hash, recorded_at, {SERVER_NOW} "
                        "FROM chronicle.head FOR UPDATE"
                    )
                    if after is not None:
                        witness = self.conn.execute(
                            "SELECT hash FROM chronicle.log WHERE seq = %s", (after,)
                        )
                        # Under the lock nobody else's rows can arrive: the head bounds them.
                        backlog = self.conn.execute(
                            f"SELECT {LOG_COLUMN_LIST} FROM chronicle.log WHERE seq > %s "
                            "ORDER BY seq LIMIT %s",
                            (after, CATCH_UP_ROWS),
                        )
                row = locked.fetchone()
            except pg_errors.InsufficientPrivilege:
                raise TeamLogError(self._read_only()) from None
            if row is None:
                raise TeamLogError(f"the team log at {self.shown} is missing its head row")
            append = Append(self, ServerHead(*row[:3]), now=row[3])
            if after is not None:
                found = witness.fetchone()
                append.witness = found[0] if found else None
                append.backlog = backlog.fetchall()
            yield append
            if not append.committed:
                self.conn.rollback()

    def append_after(self, head: tuple[int, str], entries: Sequenced) -> list[tuple]:
        """Append entries validated at the replica's ``head``: numbered, stamped and hashed
        by the server and committed in one round trip; the rows after ``head`` come back,
        the new ones last.

        The lock is held for the server's work and its commit only. Raises ``Moved``
        when the log changed since ``head`` something these entries depend on (validate
        them again after a pull), ``Diverged`` when it does not hold ``head`` or holds
        an entry after it that does not hash as its content.
        """
        args = (head[0], head[1], CATCH_UP_ROWS, *entries.arguments())
        with self._explicit_begin(), self._transaction():
            try:
                with self._committing(), self.conn.pipeline():
                    self.conn.execute("BEGIN")
                    cursor = self.conn.execute(
                        f"SELECT {LOG_COLUMN_LIST} FROM "
                        "chronicle.append_after(%s, %s, %s, %s::json, %s::json)",
                        args,
                    )
                    self.conn.execute("COMMIT")
            except pg_errors.InsufficientPrivilege:
                raise TeamLogError(self._read_only()) from None
            except psycopg.Error as err:
                if err.sqlstate == "CH004":
                    raise Moved(str(err)) from None
                if err.sqlstate == "CH003":
                    raise Diverged(head[0], unhashed=False) from None
                if err.sqlstate == "CH005":
                    raise Diverged(int(_first_line(err)), unhashed=True) from None
                raise
            return cursor.fetchall()

    def seqs_of(self, ids: list[str]) -> list[int]:
        """Where entries of these ids are in the log (after a connection was lost)."""
        with self._transaction():
            found = self.conn.execute(
                "SELECT seq FROM chronicle.log WHERE id = ANY(%s::text[]) ORDER BY seq", (ids,)
            )
            return [row[0] for row in found]

    @contextlib.contextmanager
    def _committing(self) -> Iterator[None]:
        """A connection lost while a COMMIT may be under way says so: nobody can know here
        whether the server committed before it went."""
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as err:
            raise Lost(
                f"lost the team log at {self.shown} while it took the entries "
                f"({_first_line(err)}): they may have landed there; `chronicle pull` once "
                "it is back shows whether they did"
            ) from None

    def _read_only(self) -> str:
        return (
            f"the team log at {self.shown} does not let this role write "
            "(it may read only): nothing was written"
        )

    @contextlib.contextmanager
    def _explicit_begin(self) -> Iterator[None]:
        """Let the caller send BEGIN with its first statements, in their round trip.

        Left to itself psycopg sends BEGIN alone and waits for it: a third round
        trip in every turn of the append lock.
        """
        self.conn.autocommit = True
        try:
            yield
        finally:
            if not self.conn.closed:
                with contextlib.suppress(psycopg.Error):
                    if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                        self.conn.rollback()
                    self.conn.autocommit = False

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """Translate the server's errors into one line; roll back whatever did not commit.

        Nested uses (a catch-up inside an append) join the outer transaction, so the
        append's lock is held until the append itself commits or rolls back.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            yield
            if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                self.conn.commit()
        except psycopg.Error as err:
            self._rollback_quietly()
            raise _translated(err, self.shown) from None
        except BaseException:
            self._rollback_quietly()
            raise
        finally:
            self._depth = 0

    def _rollback_quietly(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.rollback()


class Listener:
    """A connection that hears the log's notifications: a wake-up, never a record."""

    def __init__(self, url: str) -> None:
        self.shown = shown_url(url)
        try:
            self.conn = psycopg.connect(
                url, autocommit=True, connect_timeout=READ_CONNECT_TIMEOUT_S,
                application_name="chronicle",
            )  # fmt: skip
            self.conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as err:
            raise Unreachable(
                f"cannot reach the team log at {self.shown}: {_first_line(err)}"
            ) from None

    def wait(self, timeout: float) -> None:
        """Return on the first notification, or after ``timeout`` seconds."""
        try:
            for _ in self.conn.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error as err:
            raise Unreachable(f"lost the team log at {self.shown}: {_first_line(err)}") from None

    def close(self) -> None:
        self.conn.close()


class Append:
    """An append under way: the head it found, the server's time, and the rows to send.

    ``witness`` and ``backlog``, when asked for, are the server's hash at the
    replica's head and the rows after it (all of them when ``caught_up``).
    """

    def __init__(self, log: TeamLog, head: ServerHead, now: str) -> None:
        self.log, self.head, self.now = log, head, now
        self.committed = False
        self.witness: str | None = None
        self.backlog: list[tuple] = []

    def caught_up(self, after: int) -> bool:
        """Whether ``backlog`` holds every row between seq ``after`` and the head."""
        return after + len(self.backlog) == self.head.seq

    def clock(self) -> str:
        """The time for new entries: the server's, never before the last entry's."""
        return max(self.now, self.head.recorded_at)

    def commit(self, rows: Iterable[tuple]) -> None:
        """Send the rows (numbered and hashed after ``head``) and commit them as one.

        A few rows go as one INSERT sent with the COMMIT (one round trip); more go
        by COPY, which pipelining cannot carry.
        """
        with self.log._committing():
            self._send(rows)
        self.committed = True

    def _send(self, rows: Iterable[tuple]) -> None:
        rows = iter(rows)
        few = list(itertools.islice(rows, FEW_ROWS + 1))
        conn = self.log.conn
        if len(few) <= FEW_ROWS:
            if few:
                values = ",".join([f"({','.join(['%s'] * len(few[0]))})"] * len(few))
                with conn.pipeline():
                    conn.execute(
                        f"INSERT INTO chronicle.log ({LOG_COLUMN_LIST}) VALUES {values}",
                        [value for row in few for value in row],
                    )
                    conn.execute("COMMIT")  # not commit(): it waits, then the pipeline again
            else:
                conn.commit()
        else:
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY chronicle.log ({LOG_COLUMN_LIST}) FROM STDIN") as copy,
            ):
                for row in itertools.chain(few, rows):
                    copy.write_row(row)
            conn.commit()


def _translated(err: psycopg.Error, shown: str) -> ChronicleError:
    if isinstance(err, ChronicleError):
        return err
    if isinstance(err, pg_errors.UniqueViolation) and "subject" in str(err):
        return ConflictError("another writer changed this subject first; try again")
    if isinstance(err, pg_errors.InsufficientPrivilege):
        return TeamLogError(f"the team log at {shown} refuses this role: {_first_line(err)}")
    if isinstance(err, psycopg.OperationalError | psycopg.InterfaceError):
        return Unreachable(
            f"lost the team log at {shown} ({_first_line(err)}): nothing was written there"
        )
    return TeamLogError(f"the team log at {shown}: {_first_line(err)}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
