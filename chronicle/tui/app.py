"""The terminal app: a timeline, the selected event's detail, and a picture of time.

The app is a shell over ``chronicle.queries`` and ``chronicle.commands``: it holds
no SQL. The main thread owns one store connection, used for paging the timeline
(cheap keyset reads) and for writing; anything that may take longer (building a
filtered or past view, loading a detail, counting density, exporting) runs in a
worker thread on its own read-only connection, and a result that arrives after
the user has moved on is dropped. Another process's writes are noticed by polling
SQLite's ``data_version``, and the view is rebuilt around the selected event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from chronicle import audit, geo, queries
from chronicle.commands import Commands, default_author
from chronicle.dates import parse_loose
from chronicle.errors import ChronicleError, StoreError
from chronicle.queries import QueryError, TimelineFilter
from chronicle.render import printable
from chronicle.store import Store
from chronicle.tui import forms, keys
from chronicle.tui.density import DensityStrip
from chronicle.tui.detail import DetailPane, Lines, draw_detail
from chronicle.tui.map import MapData, MapPane
from chronicle.tui.rows import (
    ListedRows,
    OrderedRows,
    Row,
    Rows,
    next_match,
    sort_key,
    stepped_ids,
    touched_events,
)
from chronicle.tui.screens import (
    ConfirmScreen,
    ExportRequest,
    FilterWords,
    HelpScreen,
    PromptScreen,
    export_form,
    filter_form,
)
from chronicle.tui.timeline import TimelineView

if TYPE_CHECKING:
    from chronicle.replica import Follower

POLL_SECONDS = 0.5
FOLLOW_SECONDS = 1.0  # a replica pulls this often even when no notification wakes it
DETAIL_DELAY = 0.05
AS_OF_DELAY = 0.15
AS_OF_STEP_LIMIT = 100  # entries: a longer jump through the log rebuilds the past view


@dataclass
class Search:
    """The words searched for and their matches in the view, in view order."""

    text: str
    ids: list[str]
    at: int | None = None  # which match the cursor was last sent to
    id_set: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.id_set = frozenset(self.ids)


class ChronicleApp(App[None]):
    """Step through a chronology, see who says what, travel back through the log."""

    CSS_PATH = "chronicle.tcss"
    TITLE = "chronicle"
    BINDINGS: ClassVar = [k.binding() for k in keys.APP]

    def __init__(
        self,
        store_path: str,
        author: str | None = None,
        *,
        poll_seconds: float = POLL_SECONDS,
        follow_seconds: float = FOLLOW_SECONDS,
        detail_delay: float = DETAIL_DELAY,
        as_of_delay: float = AS_OF_DELAY,
    ) -> None:
        super().__init__()
        self.store_path = str(store_path)
        self.poll_seconds = poll_seconds
        self.follow_seconds = follow_seconds
        self.detail_delay = detail_delay
        self.as_of_delay = as_of_delay
        # Opened before anything is drawn, so a missing or foreign file is one line
        # of error from the command, not a broken screen.
        self.store, self.message = open_store(self.store_path)
        # The cheap check reads no row: the app opens as fast with it as without.
        self.views_problem = audit.quick_check(self.store.conn)
        self.commands = Commands(self.store, author or default_author())
        self.density = DensityStrip(id="density")
        self.timeline = TimelineView(id="timeline")
        self.detail = DetailPane(id="detail")
        self.map = MapPane(id="map")
        self.filter_words = FilterWords()
        self.flt = TimelineFilter()
        self.as_of: int | None = None
        self.search: Search | None = None
        self.view_loading = False
        self._job_tokens: dict[str, int] = {}
        self._worker_done: dict[Worker, Callable[[Any], None]] = {}
        self._debounce: dict[str, Timer] = {}
        self._data_version: int | None = None
        self._head = 0
        self._shown: tuple[TimelineFilter, int | None] = (self.flt, None)  # what rows are of
        self._map_keeps_view = False  # a pick on the map narrows the timeline, not the map
        self.follower: Follower | None = None
        self._following = ""  # the team log's state as last shown

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.density
        with Horizontal(id="panes"):
            yield self.timeline
            yield self.detail
            yield self.map
        yield Static(id="filter-bar")
        yield Static(id="status")
        yield Footer()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    def on_mount(self) -> None:
        self._data_version = self._store_version()
        self._head = queries.head_seq(self.conn)
        self.map.display = False
        self.timeline.focus()
        self._renumber()
        self._rebuild(None)
        self._follow()
        self.set_interval(self.poll_seconds, self._poll)
        if self.views_problem is not None:
            self._offer_rebuild(self.views_problem)

    def on_unmount(self) -> None:
        if self.follower is not None:
            self.follower.stop()
        self.store.close()

    def _follow(self) -> None:
        """On a replica, keep pulling from the team log while the app is open."""
        if self.store.upstream_url() is None:
            return
        from chronicle.replica import Follower

        self.follower = Follower(self.store_path, self.follow_seconds).start()

    # --- workers -----------------------------------------------------------------------

    def _next_token(self, kind: str) -> int:
        self._job_tokens[kind] = self._job_tokens.get(kind, 0) + 1
        return self._job_tokens[kind]

    def _current(self, kind: str, token: int) -> bool:
        return self._job_tokens.get(kind) == token

    def _in_worker(self, kind: str, job: Callable[[Store], Any], done: Callable[[Any], None]):
        """Run ``job`` on a read-only connection in a thread; ``done`` gets its result
        in the main thread, unless another job of the same kind started since."""
        token = self._next_token(kind)
        path = self.store_path

        def work() -> Any:
            with Store.open(path, readonly=True) as store:
                return job(store)

        worker = self.run_worker(work, group=kind, thread=True, exit_on_error=False)
        self._worker_done[worker] = lambda result: (
            done(result) if self._current(kind, token) else None
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        state = event.worker.state
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        callback = self._worker_done.pop(event.worker, None)
        if callback is None:
            return
        if state == WorkerState.SUCCESS:
            self._if_shown(partial(callback, event.worker.result))
        elif state == WorkerState.ERROR:
            error = event.worker.error
            self.view_loading = False
            text = str(error) if isinstance(error, ChronicleError) else repr(error)
            self.say(f"error: {text}")

    def _later(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the user pauses: a newer call of that name replaces it."""
        if name in self._debounce:
            self._debounce.pop(name).stop()
        if delay <= 0:
            callback()
        else:
            self._debounce[name] = self.set_timer(delay, partial(self._if_shown, callback))

    def _if_shown(self, callback: Callable[[], None]) -> None:
        """Late work (a timer, a worker's result) is dropped once the app is closing."""
        if self.timeline.is_attached and self.detail.is_attached:
            callback()

    # --- the view ------------------------------------------------------------------------

    def _rebuild(self, keep: Row | None, *, reload_density: bool = True) -> None:
        """Re-read the view (after a filter, as-of or store change), keeping the selection."""
        flt, as_of = self.flt, self.as_of
        self.view_loading = True
        self.refresh_status()
        step = self._step_from(flt, as_of)

        def build(store: Store) -> list[str] | None:
            if step is not None and as_of is not None:  # a step is always between two pasts
                ids, before = step
                touched = touched_events(store.conn, min(before, as_of), max(before, as_of))
                return stepped_ids(store.conn, ids, touched, as_of)
            if flt.active or as_of is not None:
                return queries.timeline_ids(store.conn, flt, as_of)
            return _ordered_or_ids(store)

        self._in_worker("view", build, partial(self._view_ready, keep, flt, as_of))
        if reload_density:
            narrowing = flt if flt.active else None
            load = partial(
                self._in_worker,
                "density",
                lambda store: queries.density(store.conn, "month", as_of, narrowing),
                self.density.set_counts,
            )
            # Counting the past takes most of a second at a million entries: while the
            # user steps through the log, count only once they pause.
            self._later("density", 2 * self.as_of_delay if as_of is not None else 0, load)
        if self.search:
            self.search_for(self.search.text, jump=False)
        elif self.map.display:
            self._load_map(refit=flt != self._shown[0] and not self._map_keeps_view)

    def _step_from(self, flt: TimelineFilter, as_of: int | None) -> tuple[list[str], int] | None:
        """The shown past view's ids and seq, when the new view is that one a few entries on."""
        rows, (shown_flt, shown_as_of) = self.timeline.rows, self._shown
        if as_of is None or shown_as_of is None or flt.active or shown_flt != flt:
            return None
        if not isinstance(rows, ListedRows) or abs(as_of - shown_as_of) > AS_OF_STEP_LIMIT:
            return None
        return rows.ids, shown_as_of

    def _view_ready(
        self, keep: Row | None, flt: TimelineFilter, as_of: int | None, ids: list[str] | None
    ) -> None:
        self.view_loading = False
        self._shown = (flt, as_of)
        if ids is None:
            rows: Rows = OrderedRows(self.conn)
        else:
            rows = ListedRows(self.conn, ids, as_of)
        self.timeline.set_rows(rows, _position(rows, keep), self._empty_text())
        self.refresh_status()

    def _empty_text(self) -> str:
        if self.flt.active:
            return "No events match the filter (x clears it)."
        if self.as_of is not None:
            return f"No events yet as of seq {self.as_of}."
        return "No events yet: press a to add one."

    def _selected(self) -> Row | None:
        return self.timeline.current

    # --- detail ----------------------------------------------------------------------------

    def on_timeline_view_moved(self, message: TimelineView.Moved) -> None:
        row = self._selected()
        self.density.select(row["earliest"] if row else None)
        self._map_select()
        self.refresh_status()
        self._later("detail", self.detail_delay, partial(self._load_detail, message.event_id))

    def _load_detail(self, event_id: str | None) -> None:
        if event_id is None:
            self._next_token("detail")
            self.detail.show(None, self._empty_text())
            return
        as_of, palette, width = self.as_of, self.detail.palette(), self.detail.body_width()

        def load(store: Store) -> tuple[queries.EventDetail | None, str, Lines | None]:
            try:
                detail = queries.show(store.conn, event_id, as_of)
            except QueryError as err:
                return None, str(err), None
            return detail, "", draw_detail(detail, palette, width)

        self._in_worker("detail", load, lambda found: self.detail.show(*found))

    def on_timeline_view_opened(self) -> None:
        if self.map.display:
            self.map.focus()
        else:
            self.detail.focus_first()

    def on_detail_pane_back(self) -> None:
        self.timeline.focus()

    def on_detail_pane_follow(self, message: DetailPane.Follow) -> None:
        self.timeline.focus()
        self.go_to_event(message.event_id)

    def go_to_event(self, event_id: str) -> bool:
        rows = self.timeline.rows
        index = rows.index_of(event_id) if rows else None
        if index is None:
            self.say(f"{event_id} is not in this view (filtered out, retracted or merged)")
            return False
        self.timeline.move_to(index, center=True)
        return True

    # --- status --------------------------------------------------------------------------------

    def say(self, message: str) -> None:
        self.message = message
        self.refresh_status()

    def refresh_status(self) -> None:
        if not self.timeline.is_attached:  # before the first layout, or once closing
            return
        # Both lines have a fixed height: repainting them needs no layout pass.
        self.query_one("#status", Static).update(self._status_text(), layout=False)
        bar = self.query_one("#filter-bar", Static)
        bar.display = self.flt.active
        if self.flt.active:
            words = f"Filter: {self.flt.describe()}  (f edits, x clears)"
            bar.update(Text(printable(words)), layout=False)

    def _status_text(self) -> Text:
        parts = []
        if self.as_of is not None:
            parts.append(Text(printable(self._as_of_words()), "bold reverse"))
        timeline = self.timeline
        if self.view_loading:
            parts.append(Text("loading…"))
        elif timeline.count:
            parts.append(Text(f"{timeline.cursor + 1:,} / {timeline.count:,} events"))
        else:
            parts.append(Text("0 events"))
        if self.search:
            where = f"{self.search.at + 1}/" if self.search.at is not None else ""
            found = f"{where}{len(self.search.ids):,} matches"
            parts.append(Text(printable(f"search “{self.search.text}”: {found}")))
        if self.follower is not None:
            parts.append(Text(printable(self.follower.state.words())))
        if self.message:
            parts.append(Text(printable(self.message, keep_newlines=False)))
        return Text("  ·  ").join(parts)

    def _as_of_words(self) -> str:
        entry = queries.entry_at(self.conn, self.as_of) if self.as_of else None
        head = self._head
        if entry is None:
            return f"as of seq {self.as_of} of {head} (before the first entry)"
        when = entry["recorded_at"][:19].replace("T", " ")
        return f"as of seq {self.as_of} of {head} ({when}, {entry['author']}, {entry['type']})"

    # --- live --------------------------------------------------------------------------------

    def _store_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _poll(self) -> None:
        """Notice another connection's commit and re-read the view around the selection.

        A change that adds no entry is another reader renumbering the timeline
        order (a derived table): the view is re-read quietly.
        """
        if self.follower is not None and self.follower.state.words() != self._following:
            self._following = self.follower.state.words()
            self.refresh_status()
        version = self._store_version()
        if version == self._data_version:
            return
        self._data_version = version
        head = queries.head_seq(self.conn)
        added, self._head = head - self._head, head
        if added:
            self.say(f"{added} new {'entry' if added == 1 else 'entries'} in the store: refreshed")
            self._renumber()
        if self.as_of is None:  # the new view reloads the selected event's detail
            self._rebuild(self._selected(), reload_density=bool(added))
        else:
            self.refresh_status()  # the past does not change; only the head moved

    # --- navigation actions --------------------------------------------------------------------

    def action_jump_date(self) -> None:
        def check(text: str) -> str:
            bounds = parse_loose(text)
            return f"{bounds.display}: first event starting on or after {bounds.earliest}"

        def jump(text: str | None) -> None:
            if text:
                self.jump_to_date(text)

        self.push_screen(
            PromptScreen(
                "Jump to a date", placeholder="2023-11, 25 July 2024, c. 2012", check=check
            ),
            jump,
        )

    def jump_to_date(self, text: str) -> None:
        """Put the cursor on the first event starting on or after a date (EDTF or words)."""
        rows = self.timeline.rows
        if rows is not None:
            earliest = parse_loose(text).earliest or "0001-01-01"
            self.timeline.move_to(rows.index_at_date(earliest), center=True)

    def action_back(self) -> None:  # type: ignore[override]  # Textual's is async; sync runs too
        if self.as_of is not None:
            self._set_as_of(None)
        elif self.search is not None:
            self.search = None
            self.timeline.set_matches(frozenset())
            self.say("search cleared")

    # --- search ------------------------------------------------------------------------------

    def action_search(self) -> None:
        def check(text: str) -> str:
            return f"FTS: {queries.fts_query(text)}"

        def start(text: str | None) -> None:
            if text:
                self.search_for(text, jump=True)

        previous = self.search.text if self.search else ""
        self.push_screen(
            PromptScreen("Search (titles, summaries, quotes, names, aliases)", previous,
                         check=check),
            start,
        )  # fmt: skip

    def search_for(self, text: str, *, jump: bool = True) -> None:
        """Find the words in the view (a worker does); with ``jump``, go to the first match
        at or after the cursor."""
        words = f"{self.flt.search} {text}" if self.flt.search else text
        flt, as_of = replace(self.flt, search=words), self.as_of

        def found(ids: list[str]) -> None:
            row = self._selected()
            self.search = Search(text, ids)
            if not jump and row is not None and row["event_id"] in self.search.id_set:
                self.search.at = ids.index(row["event_id"])
            self.timeline.set_matches(self.search.id_set)
            if not ids:
                self.say(f"no match for “{text}”")
            elif jump:
                self.message = ""
                self._go_to_match(1, from_row=True)
            self.refresh_status()
            if self.map.display:
                self._load_map(refit=jump)

        self._in_worker("search", lambda store: queries.timeline_ids(store.conn, flt, as_of), found)

    def action_match(self, direction: int) -> None:
        if not self.search or not self.search.ids:
            self.say("no search: press / to search")
            return
        self._go_to_match(direction)

    def _go_to_match(self, direction: int, *, from_row: bool = False) -> None:
        search, rows, row = self.search, self.timeline.rows, self._selected()
        if search is None or rows is None or row is None:
            return
        key = sort_key(row)
        if from_row and row["event_id"] in search.id_set:
            search.at = search.ids.index(row["event_id"])
        else:
            search.at = next_match(rows, search.ids, key, direction)
        self.go_to_event(search.ids[search.at])
        self.refresh_status()

    # --- filter --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.push_screen(filter_form(self.conn, self.filter_words), self._apply_filter)

    def _apply_filter(self, words: FilterWords | None, area: geo.Area | None = None) -> None:
        """A filter from the form keeps the map's area; clearing the filter clears it too."""
        if words is None:
            return
        self.filter_words = words
        self.flt = replace(
            words.to_filter(), area=area if words == FilterWords() else self.flt.area
        )
        self.say(f"filter: {self.flt.describe()}" if self.flt.active else "filter cleared")
        self._rebuild(self._selected())

    def action_clear_filter(self) -> None:
        if self.flt.active:
            self._apply_filter(FilterWords())

    # --- map ---------------------------------------------------------------------------------

    def action_toggle_map(self) -> None:
        """The map takes the detail's place; the timeline keeps the keys until Enter."""
        showing = not self.map.display
        self.map.display = showing
        self.detail.display = not showing
        if showing:
            self.call_after_refresh(self._load_map, refit=True)
        elif self.map.has_focus:
            self.timeline.focus()

    def _map_filter(self) -> TimelineFilter:
        """The view the map counts: the filter, and the search words if any."""
        if self.search is None:
            return self.flt
        words = f"{self.flt.search} {self.search.text}" if self.flt.search else self.search.text
        return replace(self.flt, search=words)

    def _load_map(self, *, refit: bool = False, view: geo.View | None = None) -> None:
        """Count the view's events per cell in a worker; a new view (zoom, pan) keeps the
        summary, which does not depend on it."""
        flt, as_of, (cols, rows) = self._map_filter(), self.as_of, self.map.grid()
        data = self.map.data
        summary = None
        if data is not None and view is not None and data.counted_for == (flt, as_of):
            summary = data.summary
        if view is None and not refit and data is not None:
            view = data.view.resized(cols, rows)
        self._map_keeps_view = False

        def load(store: Store) -> MapData:
            geo.border_arcs()  # read once, here rather than in the first paint
            found = summary or queries.place_summary(store.conn, flt, as_of)
            shown = view or geo.fit(found.extent, cols, rows)
            cells = tuple(queries.place_cells(store.conn, shown, flt, as_of))
            return MapData(shown, found, cells, (flt, as_of))

        self._in_worker("map", load, self._map_ready)

    def _map_ready(self, data: MapData) -> None:
        self.map.set_data(data, *self._selected_place())

    def _selected_place(self) -> tuple[tuple[float, float] | None, str | None]:
        row = self._selected()
        if row is None:
            return None, None
        name, point = queries.event_place(self.conn, row["event_id"], self.as_of)
        return point, name

    def _map_select(self) -> None:
        if self.map.display:
            self.map.select(*self._selected_place())

    def on_map_pane_view_changed(self, message: MapPane.ViewChanged) -> None:
        if message.view is None:
            self._load_map(refit=True)
        else:
            self._load_map(view=message.view)

    def on_map_pane_picked(self, message: MapPane.Picked) -> None:
        self.flt = replace(self.flt, area=message.area)
        self._map_keeps_view = True
        self.say(f"filter: {self.flt.describe()}")
        self._rebuild(self._selected())

    def on_map_pane_back(self) -> None:
        self.timeline.focus()

    # --- time travel ---------------------------------------------------------------------------

    def action_time_travel(self) -> None:
        def check(text: str) -> str:
            if text.strip().lower() == "now":
                return "back to the present"
            seq = queries.resolve_as_of(self.conn, text)
            entry = queries.entry_at(self.conn, seq) if seq else None
            if entry is None:
                return f"seq {seq}: before the first entry"
            return f"seq {seq}: {entry['recorded_at']}, {entry['author']}, {entry['type']}"

        def go(text: str | None) -> None:
            if text and text.lower() == "now":
                self._set_as_of(None)
            elif text:
                self._set_as_of(queries.resolve_as_of(self.conn, text))

        start = self.as_of if self.as_of is not None else queries.head_seq(self.conn)
        self.push_screen(
            PromptScreen("As of: a seq number, a time (2025-01-02, 2025-01-02T10:00) or now",
                         str(start), check=check),
            go,
        )  # fmt: skip

    def action_as_of_step(self, delta: int) -> None:
        head = queries.head_seq(self.conn)
        current = self.as_of if self.as_of is not None else head
        self._set_as_of(max(0, min(head, current + delta)))

    def action_as_of_day(self, days: int) -> None:
        head = queries.head_seq(self.conn)
        current = self.as_of if self.as_of is not None else head
        entry = queries.entry_at(self.conn, max(current, 1))
        if entry is None:
            return
        moment = datetime.fromisoformat(entry["recorded_at"].replace("Z", "+00:00"))
        target = queries.resolve_as_of(self.conn, (moment + timedelta(days=days)).isoformat())
        if target == current:  # nothing recorded within the day: still take a step
            target = current + (1 if days > 0 else -1)
        self._set_as_of(max(0, min(head, target or 0)))

    def _set_as_of(self, seq: int | None) -> None:
        if seq == self.as_of:
            return
        self.as_of = seq
        self.message = "" if seq is not None else "back to now"
        self.refresh_status()
        keep = self._selected()
        self._later("as_of", self.as_of_delay, lambda: self._rebuild(keep))

    # --- writing -------------------------------------------------------------------------------

    def _renumber(self) -> None:
        """Bring the timeline's dense ordinal up to date through the app's one writer.

        A write that sorts an event anywhere but last leaves the ordinal stale. It is
        renumbered here, on the connection that wrote, rather than by a second writer
        in a worker: that writer's commit came back through the poll as a change to
        the store, and the view was read twice for one correction. Renumbering is a
        derived table's rewrite (0.6 s at a million entries), paid once per write
        that moves the order; a read-only store is paged through an id array instead.
        """
        if self.store.readonly:
            return
        try:
            self.store.ensure_order()
        except StoreError as err:
            self.say(f"error: {err}")

    def _can_write(self) -> bool:
        if self.store.readonly:
            self.say("this store is read-only")
            return False
        if self.as_of is not None:
            self.say("writing is for now: leave time travel first (@ or Esc)")
            return False
        return True

    def _selected_detail(self) -> queries.EventDetail | None:
        """The selected event as it is now, read at the moment the form opens.

        Its version is what a correction will expect: if another writer moves the
        event on while the form is open, the write is refused, not merged blindly.
        """
        row = self._selected()
        if row is None:
            self.say("no event selected")
            return None
        return queries.show(self.conn, row["event_id"])

    def _open_form(self, form: forms.FormScreen) -> None:
        self.push_screen(form, self._saved)

    def _saved(self, saved: forms.Saved | None) -> None:
        if saved is None:
            return
        self._head = queries.head_seq(self.conn)
        self._renumber()
        self.say(saved.message)
        keep = self._selected()
        if saved.event_id and (keep is None or keep["event_id"] != saved.event_id):
            found = queries.events_by_id(self.conn, [saved.event_id]).get(saved.event_id)
            keep = found or keep
        self._rebuild(keep)  # the new view reloads the selected event's detail

    def action_add_event(self) -> None:
        if self._can_write():
            self._open_form(forms.add_event_form(self.conn, self.commands))

    def _event_form(self, build: Callable[..., forms.FormScreen]) -> None:
        if not self._can_write():
            return
        detail = self._selected_detail()
        if detail is not None:
            self._open_form(build(self.conn, self.commands, detail))

    def action_add_claim(self) -> None:
        self._event_form(forms.add_claim_form)

    def action_correct(self) -> None:
        self._event_form(forms.correct_form)

    def action_retract(self) -> None:
        self._event_form(forms.retract_form)

    def action_merge(self) -> None:
        self._event_form(forms.merge_form)

    # --- export -------------------------------------------------------------------------------

    def _view_words(self) -> str:
        parts = [f"as of seq {self.as_of}" if self.as_of is not None else "now"]
        if self.flt.active:
            parts.append(f"filter: {self.flt.describe()}")
        return "The current view: " + "; ".join(parts)

    def action_export(self) -> None:
        self.push_screen(export_form(self.conn, self.flt, self._view_words()), self._export)

    def _export(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        flt = self.flt if self.flt.active else None
        as_of = self.as_of
        self.say(f"exporting {request.what} as {request.fmt}…")

        from chronicle import exports  # see screens.export_form

        def run(store: Store) -> exports.ExportResult:
            return exports.export_file(
                store.conn, request.what, request.fmt, request.path, flt, as_of
            )

        self._in_worker(
            "export",
            run,
            lambda result: self.say(f"exported {result.rows:,} rows to {result.path}"),
        )

    # --- the views against the log -------------------------------------------------------------

    def _offer_rebuild(self, problem: audit.Disagreement) -> None:
        """Say in one line that the views are not the log's, and offer to derive them anew."""
        self.say(f"the views disagree with the log: {problem.words}")
        if self.store.readonly:
            self.say(f"{self.message} (read-only: run chronicle rebuild with write access)")
            return
        question = "Rebuild the views from the log now? (the log itself is not changed)"

        def answered(yes: bool | None) -> None:
            if yes:
                self.action_rebuild_views()

        self.push_screen(ConfirmScreen(self.message, question), answered)

    def action_rebuild_views(self) -> None:
        """Walk the log's chain and replay it into fresh views, in a worker of its own.

        The one write the app makes off its own connection: a rebuild of a large store
        takes minutes, and the screen must not freeze meanwhile. Its commit is taken
        as seen when it ends, so the poll does not read the view a second time.
        """
        if not self._can_write():
            return
        self.say("rebuilding the views from the log…")
        path = self.store_path

        def rebuild(_reader: Store) -> int:
            with Store.open(path) as writer:
                return writer.rebuild()

        def done(applied: int) -> None:
            self._data_version = self._store_version()
            self._head = queries.head_seq(self.conn)
            self.views_problem = audit.quick_check(self.conn)
            self.say(f"views rebuilt from {applied:,} entries")
            self._rebuild(self._selected())

        self._in_worker("rebuild", rebuild, done)

    # --- help and palette ----------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        targets = {"Timeline": self.timeline, "Detail": self.detail, "Map": self.map,
                   "Everywhere": self}  # fmt: skip
        for scope, bound in keys.SCOPES:
            for key in bound:
                yield SystemCommand(
                    key.description,
                    f"{scope} · key {key.shown_keys}",
                    partial(self.run_action, key.action, targets[scope]),
                )
        yield SystemCommand(
            "Rebuild the views",
            "Walk the log's chain and replay it into fresh views (chronicle rebuild)",
            partial(self.run_action, "rebuild_views"),
        )


def open_store(path: str) -> tuple[Store, str]:
    """The writer, and a note; a store the user may not write to still opens, for reading."""
    try:
        return Store.open(path), ""
    except StoreError:
        return Store.open(path, readonly=True), "read-only store: writing is off"


def _ordered_or_ids(reader: Store) -> list[str] | None:
    """None when the store's dense ordinal is current: the fast, paged path; else the ids.

    Only the app's writer renumbers the ordinal (``ChronicleApp._renumber``); a store
    the app cannot write to, or one another writer has just reordered, is read
    through an id array until then.
    """
    if reader.order_is_fresh():
        return None
    return queries.timeline_ids(reader.conn)


def _position(rows: Rows, keep: Row | None) -> int:
    """Where the cursor goes in a new view: on the same event, else at its date."""
    if keep is None or rows.count == 0:
        return 0
    index = rows.index_of(keep["event_id"])
    if index is not None:
        return index
    return rows.index_at_date(keep["earliest"] or "0001-01-01")


def run(store_path: str, author: str | None = None) -> None:
    """Open the app on a store and block until the user quits."""
    ChronicleApp(store_path, author).run()
