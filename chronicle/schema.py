"""The store's SQL: the log table, its guards, and the public projection tables and views.

Everything here must be readable by a plain SQLite client (the ``sqlite3`` shell,
sqlite-utils, Datasette), so views use only built-in SQL and JSON functions.
Projection tables can be dropped and rebuilt from the log at any time; the log
table and its triggers are never dropped by chronicle.
"""

from __future__ import annotations

import functools
import re
import sqlite3

# Bumped whenever what the projections hold changes (a column, an order, a rule):
# a store whose projections were made by another version rebuilds them on open.
# 2: open-ended events sort after closed ones starting the same day.
# 3: actor names and source counts kept on each event version; disputes kept in a
#    table; a narrow key table for full-text hits.
# 4: dispute groups carry the event's title and the about-entity's name.
# 5: the full-text index merges its segments only when a level fills up (16).
# 6: figures are NUMERIC (a whole figure is stored as the integer it is); the
#    full-text index names the tables it indexes; the timeline view has the rowid.
# 7: the events' place index carries their status, so a map counts a view's events per
#    place from the index alone (280 -> 20 ms at 100k events).
# 8: the full-text index keeps no copy of its documents (external content: a view
#    composes each from the rows already written); event_actors and event_citations
#    are views over the current version's JSON, with a narrow entity -> event key table.
# 9: event versions indexed in timeline order with their span, status, end and place, so a
#    timeline as of a seq is read in order from the index instead of sorted whole first.
PROJECTION_VERSION = 9

# SQL twin of rules.timeline_key: NULL earliest first, NULL latest (open end) last.
TIMELINE_ORDER = "{p}earliest, coalesce({p}latest, '9999-12-31'), {p}event_id"


def timeline_order(prefix: str = "") -> str:
    return TIMELINE_ORDER.format(p=prefix)


LOG = """
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    subject_version INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    author TEXT NOT NULL,
    schema INTEGER NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (subject, subject_version)
);
CREATE INDEX IF NOT EXISTS log_recorded_at ON log (recorded_at);
CREATE TRIGGER IF NOT EXISTS log_no_update BEFORE UPDATE ON log
BEGIN SELECT RAISE(ABORT, 'the log is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS log_no_delete BEFORE DELETE ON log
BEGIN SELECT RAISE(ABORT, 'the log is append-only: DELETE refused'); END;
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT);
"""

_EVENT_COLUMNS = """
    title TEXT NOT NULL,
    when_edtf TEXT NOT NULL,
    earliest TEXT,
    latest TEXT,
    precision TEXT NOT NULL,
    approximate INTEGER NOT NULL,
    uncertain INTEGER NOT NULL,
    display TEXT NOT NULL,
    place_id TEXT,
    place TEXT,
    summary TEXT NOT NULL,
    tags TEXT NOT NULL,
    status TEXT NOT NULL,
    merged_into TEXT,
    actor_names TEXT,
    n_sources INTEGER NOT NULL"""

_CLAIM_COLUMNS = """
    event_id TEXT NOT NULL,
    claimant TEXT NOT NULL,
    property TEXT NOT NULL,
    about TEXT,
    low NUMERIC,
    best NUMERIC,
    high NUMERIC,
    unit TEXT,
    value_text TEXT,
    source_id TEXT NOT NULL,
    quote TEXT,
    rank TEXT NOT NULL,
    status TEXT NOT NULL,
    asserted_seq INTEGER NOT NULL"""

PROJECTION_TABLES = f"""
CREATE TABLE projection_meta (key TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE sources (
    source_id TEXT PRIMARY KEY, title TEXT NOT NULL, publisher TEXT, author TEXT,
    published TEXT, published_earliest TEXT, url TEXT, language TEXT, kind TEXT NOT NULL,
    locator TEXT, registered_seq INTEGER NOT NULL
);
CREATE TABLE entities (
    entity_id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
    lat REAL, lon REAL, registered_seq INTEGER NOT NULL
);
CREATE INDEX entities_name ON entities (name COLLATE NOCASE);
CREATE TABLE entity_aliases (
    entity_id TEXT NOT NULL, alias TEXT NOT NULL, added_seq INTEGER NOT NULL,
    PRIMARY KEY (entity_id, alias)
);
CREATE INDEX entity_aliases_alias ON entity_aliases (alias COLLATE NOCASE);
CREATE TABLE events (
    event_id TEXT PRIMARY KEY,{_EVENT_COLUMNS},
    version INTEGER NOT NULL,
    created_seq INTEGER NOT NULL,
    updated_seq INTEGER NOT NULL,
    n_claims INTEGER NOT NULL DEFAULT 0,
    disputed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_order ON events ({timeline_order()}) WHERE status = 'active';
CREATE INDEX events_place ON events (place_id, status);
CREATE TABLE event_versions (
    event_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    from_seq INTEGER NOT NULL,
    to_seq INTEGER,{_EVENT_COLUMNS},
    actors TEXT NOT NULL,
    citations TEXT NOT NULL,
    PRIMARY KEY (event_id, version)
);
CREATE INDEX event_versions_span ON event_versions (from_seq, to_seq);
CREATE INDEX event_versions_order
ON event_versions ({timeline_order()}, from_seq, to_seq, status, latest, place_id);
-- Which events each entity takes part in (their current version): what an actor
-- filter reads. The actors and citations themselves are the version's JSON, read
-- through the event_actors and event_citations views.
CREATE TABLE event_actor_keys (
    event_id TEXT NOT NULL, entity_id TEXT NOT NULL, PRIMARY KEY (entity_id, event_id)
) WITHOUT ROWID;
CREATE TABLE event_links (
    event_id TEXT NOT NULL, relation TEXT NOT NULL, target_id TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE INDEX event_links_event ON event_links (event_id);
CREATE INDEX event_links_target ON event_links (target_id);
CREATE TABLE claim_versions (
    claim_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    from_seq INTEGER NOT NULL,
    to_seq INTEGER,{_CLAIM_COLUMNS},
    PRIMARY KEY (claim_id, version)
);
CREATE INDEX claim_versions_event ON claim_versions (event_id, property, about);
CREATE INDEX claim_versions_current ON claim_versions (claim_id) WHERE to_seq IS NULL;
CREATE TABLE event_touches (event_id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (event_id, seq)) WITHOUT ROWID;
CREATE TABLE timeline_order (ord INTEGER PRIMARY KEY, event_id TEXT NOT NULL);
CREATE TABLE event_keys (key INTEGER PRIMARY KEY, event_id TEXT NOT NULL);
CREATE TABLE dispute_groups (
    event_id TEXT NOT NULL, property TEXT NOT NULL, about TEXT,
    n_claims INTEGER NOT NULL, n_claimants INTEGER NOT NULL, low NUMERIC, high NUMERIC,
    claimants TEXT NOT NULL, disputed INTEGER NOT NULL, title TEXT NOT NULL, about_name TEXT
);
CREATE INDEX dispute_groups_event ON dispute_groups (event_id, property, about);
CREATE INDEX dispute_groups_disputed ON dispute_groups (event_id, property, about)
    WHERE disputed = 1;
-- FTS5's incremental merging (automerge) made every fourth single append merge
-- segments inside its own transaction: p99 of a correction 11 ms with it, 6.6 ms
-- without, at a million entries. Levels still merge when 16 segments pile up.
CREATE VIRTUAL TABLE events_fts USING fts5 (
    -- The index of content="events" and content="timeline", keyed by the events'
    -- rowid: sqlite-utils and Datasette find a table's full-text index by these
    -- words. It keeps no copy of the text: each document is composed by the view
    -- events_fts_docs from rows already written (451 bytes an entry at 100k).
    event_id UNINDEXED, title, summary, quotes, places, actors,
    content = 'events_fts_docs',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 0);
"""


def projection_indexes() -> dict[str, str]:
    """Each secondary index of the projection tables, by name, with the statement making it.

    Read out of ``PROJECTION_TABLES`` so that a bulk write, which drops indexes and
    makes them again once its rows are in, cannot drift from the schema.
    """
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r"^CREATE INDEX (\w+)\s+ON [^;]*", PROJECTION_TABLES, re.MULTILINE)
    }


CLAIMS_CURRENT = "SELECT * FROM claim_versions WHERE to_seq IS NULL"


def as_of_span(alias: str = "", seq: str = ":as_of") -> str:
    """The as-of predicate: a row of a version table is visible after entry ``seq``.

    Every version row spans [from_seq, to_seq), to_seq NULL while it is current; each
    query "as of N" filters through this one text, so that all read the same span.
    """
    p = f"{alias}." if alias else ""
    return f"{p}from_seq <= {seq} AND ({p}to_seq IS NULL OR {p}to_seq > {seq})"


def claims_as_of(seq_param: str = ":as_of") -> str:
    """Claim versions visible after entry ``seq_param``: the as-of twin of ``claims``."""
    return f"SELECT * FROM claim_versions WHERE {as_of_span(seq=seq_param)}"


def disputes_sql(claims: str) -> str:
    """Per (event, property, about): who claims what, and whether the figures can agree.

    Each claim spans [low, high], a bare ``best`` spanning itself; claims are in
    dispute when two of them cannot both be true (the largest lower end exceeds the
    smallest upper end) or when they state different words with no figure.
    Deprecated and retracted claims are left out.
    """
    return f"""
    SELECT c.event_id, c.property, c.about,
           count(*) AS n_claims,
           count(DISTINCT c.claimant) AS n_claimants,
           min(coalesce(c.low, c.best, c.high)) AS low,
           max(coalesce(c.high, c.best, c.low)) AS high,
           json_group_array(json_object(
               'claimant', c.claimant, 'low', c.low, 'best', c.best, 'high', c.high,
               'value_text', c.value_text, 'unit', c.unit, 'source', c.source_id,
               'claim_id', c.claim_id, 'rank', c.rank)) AS claimants,
           CASE WHEN count(DISTINCT c.claimant) > 1 AND (
                    max(coalesce(c.low, c.best, c.high)) > min(coalesce(c.high, c.best, c.low))
                    OR (count(coalesce(c.low, c.best, c.high)) = 0
                        AND count(DISTINCT c.value_text) > 1))
                THEN 1 ELSE 0 END AS disputed
    FROM ({claims}) AS c
    WHERE c.status = 'active' AND c.rank <> 'deprecated'
    GROUP BY c.event_id, c.property, c.about
    """


def timeline_view() -> str:
    """The ``timeline`` view's statement.

    Its last column is the events' rowid, named ``rowid`` (a view has none of its
    own): ``WHERE rowid IN (SELECT rowid FROM events_fts WHERE …)`` finds search hits
    in it, as Datasette's ``?_search=`` does, in the store and in the sqlite export.
    """
    return f"""CREATE VIEW timeline AS
SELECT e.event_id, e.display, e.when_edtf, e.earliest, e.latest, e.precision, e.approximate,
       e.uncertain, e.title, e.place_id, e.place, e.actor_names AS actors,
       e.tags, e.summary, e.version, e.n_sources, e.n_claims, e.disputed, e.updated_seq,
       e.rowid AS rowid
FROM events e WHERE e.status = 'active'
ORDER BY {timeline_order("e.")};
"""


# An entity's searchable names: its name, then its aliases in alias order ({ref}: its id).
SEARCH_NAMES = """(SELECT n.name || ' ' || coalesce((SELECT group_concat(x.alias, ' ')
    FROM entity_aliases x WHERE x.entity_id = n.entity_id), '')
    FROM entities n WHERE n.entity_id = {ref})"""

# The members of an event's current version, one row per element of its JSON list.
_CURRENT_MEMBERS = """event_versions {v}, json_each({v}.{column}) {j}
    WHERE {v}.event_id = {event} AND {v}.to_seq IS NULL"""


def fts_documents(names: str = SEARCH_NAMES) -> str:
    """The SELECT composing each event's full-text document (the view events_fts_docs).

    ``names`` gives an entity's searchable names from its id (``{ref}``): a rebuild,
    which indexes every document at once, reads them from a table it fills once
    with ``SEARCH_NAMES`` rather than gathering each entity's aliases again for
    every event it is in.
    """
    return f"""SELECT e.rowid AS rowid, e.event_id, e.title, e.summary,
    (SELECT group_concat(coalesce(json_extract(c.value, '$.quote'), '') || ' '
                         || coalesce(json_extract(c.value, '$.named_as'), ''), ' ')
     FROM {_CURRENT_MEMBERS.format(v="cv", column="citations", j="c", event="e.event_id")}
    ) AS quotes,
    {names.format(ref="e.place_id")} AS places,
    (SELECT group_concat({names.format(ref="json_extract(a.value, '$.entity')")}, ' ')
     FROM {_CURRENT_MEMBERS.format(v="av", column="actors", j="a", event="e.event_id")}
    ) AS actors
FROM events e"""


# What the full-text index holds for each event, composed from rows already written.
# The index keeps no copy, so a document taken out of it must be read here before
# any of its inputs change (the projector does so at each flush): the event's title,
# summary and place, its current version's actors and citations, their entities'
# names and aliases.
MEMBER_VIEWS = f"""
CREATE VIEW event_actors AS
SELECT v.event_id, json_extract(a.value, '$.entity') AS entity_id, n.name,
       json_extract(a.value, '$.role') AS role
FROM event_versions v, json_each(v.actors) a
JOIN entities n ON n.entity_id = json_extract(a.value, '$.entity')
WHERE v.to_seq IS NULL;
CREATE VIEW event_citations AS
SELECT v.event_id, json_extract(c.value, '$.source') AS source_id,
       json_extract(c.value, '$.quote') AS quote, json_extract(c.value, '$.locator') AS locator,
       json_extract(c.value, '$.named_as') AS named_as
FROM event_versions v, json_each(v.citations) c
WHERE v.to_seq IS NULL;
CREATE VIEW events_fts_docs AS
{fts_documents()};
"""

VIEWS = f"""{MEMBER_VIEWS}
CREATE VIEW claims AS
SELECT claim_id, event_id, claimant, property, about, low, best, high, unit, value_text,
       source_id, quote, rank, status, asserted_seq, version, from_seq
FROM claim_versions WHERE to_seq IS NULL;
CREATE VIEW disputes AS
SELECT event_id, property, about, n_claims, n_claimants, low, high, claimants, disputed
FROM dispute_groups;
{timeline_view()}CREATE VIEW history AS
SELECT t.event_id, l.seq, l.type, l.recorded_at, l.author,
       json_extract(l.data, '$.reason') AS reason, l.data
FROM event_touches t JOIN log l ON l.seq = t.seq;
"""

PROJECTION_OBJECTS = (
    ("view", "events_fts_docs"),
    ("view", "event_citations"),
    ("view", "event_actors"),
    ("view", "history"),
    ("view", "timeline"),
    ("view", "disputes"),
    ("view", "claims"),
    ("table", "events_fts"),
    ("table", "dispute_groups"),
    ("table", "event_keys"),
    ("table", "timeline_order"),
    ("table", "event_touches"),
    ("table", "claim_versions"),
    ("table", "event_links"),
    ("table", "event_actor_keys"),
    ("table", "event_versions"),
    ("table", "events"),
    ("table", "entity_aliases"),
    ("table", "entities"),
    ("table", "sources"),
    ("table", "projection_meta"),
)

# The log's columns, in the table's order: entries are read and exported in it.
LOG_COLUMNS = (
    "seq", "id", "type", "subject", "subject_version", "recorded_at", "author", "schema", "data",
    "prev_hash", "hash",
)  # fmt: skip
LOG_COLUMN_LIST = ", ".join(LOG_COLUMNS)  # the same, as a statement spells them

# Projection tables the projector and the queries keep for their own work, outside the
# public SQL interface: the sqlite export leaves them out.
INTERNAL_TABLES = (
    "projection_meta", "event_touches", "timeline_order", "event_keys", "dispute_groups",
    "event_actor_keys",
)  # fmt: skip

# The tables a rebuild must reproduce row for row (FTS and the lazy order excluded:
# they are indexes over these).
COMPARABLE_TABLES = (
    "sources",
    "entities",
    "entity_aliases",
    "events",
    "event_versions",
    "event_actor_keys",
    "event_links",
    "claim_versions",
    "event_touches",
    "event_keys",
    "dispute_groups",
)


def statements(script: str) -> list[str]:
    """Split a DDL script into statements (triggers keep their inner semicolons)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    return out


LOG_AND_PROJECTIONS = "log+projections"


@functools.cache
def definitions(part: str = LOG_AND_PROJECTIONS) -> dict[tuple[str, str], str]:
    """The SQL text SQLite keeps for each object chronicle makes, by (type, name).

    ``part`` is ``"log"`` or ``"projections"`` for the objects of one side alone.

    Read back from a store made in memory, so it is exactly what ``sqlite_master``
    holds in a real one (``IF NOT EXISTS`` dropped, the full-text index's own tables
    included): a store whose text differs has had an object replaced behind
    chronicle's back, however alike the names.
    """
    conn = sqlite3.connect(":memory:")
    try:
        scripts = {"log": LOG, "projections": PROJECTION_TABLES + VIEWS}
        chosen = scripts.values() if part == LOG_AND_PROJECTIONS else [scripts[part]]
        for statement in statements("".join(chosen)):
            conn.execute(statement)
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")
        return {(kind, name): sql for kind, name, sql in rows}
    finally:
        conn.close()
