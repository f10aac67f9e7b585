"""The read side: every question the CLI, the TUI and the exporters ask of a store.

One package so that the CLI and the TUI cannot drift apart: both call these
functions and neither holds SQL of its own. A module per subject (the timeline,
one event, claims and disputes, the log, sources and entities, ad-hoc SQL), and
``common`` for the SQL they share. Every query takes ``as_of`` (a seq or None for
now). The names below are the API; callers import them from here.
"""

from chronicle.queries.adhoc import read_only_query
from chronicle.queries.asof import entry_at, head_seq, resolve_as_of
from chronicle.queries.claims import (
    CLAIM_COLUMNS,
    DISPUTE_COLUMNS,
    claims,
    disputes,
    iter_claims,
    iter_disputes,
)
from chronicle.queries.common import QueryError
from chronicle.queries.event import (
    MEMBER_ACTOR_KEYS,
    MEMBER_CITATION_KEYS,
    EventDetail,
    event_members,
    show,
)
from chronicle.queries.log import (
    HISTORY_COLUMNS,
    LOG_SUMMARY_COLUMNS,
    history,
    iter_history,
    log_entries,
)
from chronicle.queries.places import (
    LocatedPlace,
    PlaceCell,
    PlaceSummary,
    event_place,
    located_places,
    place_cells,
    place_summary,
)
from chronicle.queries.reference import (
    ENTITY_COLUMNS,
    SOURCE_COLUMNS,
    actor_with_role,
    actors_from,
    display_name,
    entities,
    list_items,
    one_entity,
    place_detail,
    resolve_entities,
    resolve_source,
    sources,
)
from chronicle.queries.timeline import (
    LINE_COLUMNS,
    MIN_PREFIX,
    TIMELINE_COLUMNS,
    TimelineFilter,
    corrected_ids,
    density,
    events_by_id,
    filtered_events_sql,
    fts_query,
    search_ids,
    timeline,
    timeline_count,
    timeline_ids,
    timeline_lines,
    timeline_page,
    timeline_values,
)

__all__ = [
    "CLAIM_COLUMNS",
    "DISPUTE_COLUMNS",
    "ENTITY_COLUMNS",
    "HISTORY_COLUMNS",
    "LINE_COLUMNS",
    "LOG_SUMMARY_COLUMNS",
    "MEMBER_ACTOR_KEYS",
    "MEMBER_CITATION_KEYS",
    "MIN_PREFIX",
    "SOURCE_COLUMNS",
    "TIMELINE_COLUMNS",
    "EventDetail",
    "LocatedPlace",
    "PlaceCell",
    "PlaceSummary",
    "QueryError",
    "TimelineFilter",
    "actor_with_role",
    "actors_from",
    "claims",
    "corrected_ids",
    "density",
    "display_name",
    "disputes",
    "entities",
    "entry_at",
    "event_members",
    "event_place",
    "events_by_id",
    "filtered_events_sql",
    "fts_query",
    "head_seq",
    "history",
    "iter_claims",
    "iter_disputes",
    "iter_history",
    "list_items",
    "located_places",
    "log_entries",
    "one_entity",
    "place_cells",
    "place_detail",
    "place_summary",
    "read_only_query",
    "resolve_as_of",
    "resolve_entities",
    "resolve_source",
    "search_ids",
    "show",
    "sources",
    "timeline",
    "timeline_count",
    "timeline_ids",
    "timeline_lines",
    "timeline_page",
    "timeline_values",
]
