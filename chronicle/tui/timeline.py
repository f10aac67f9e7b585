"""The timeline pane: a Line-API scroll view that draws only the rows on screen.

A widget per row (DataTable, ListView) costs seconds and tens of megabytes at
100k events; here the view's virtual height is the row count and ``render_line``
asks the row source for just the lines being painted, so a million rows open as
fast as fifty. Every cell is built from plain strings made printable, as Rich
segments, so nothing a source wrote can become markup or a terminal control.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from chronicle.render import printable
from chronicle.tui import keys
from chronicle.tui.rows import Row, Rows

YEAR_WIDTH = 5
DATE_WIDTHS = ((60, 21), (0, 15))  # (from this many cells wide, the date column's width)
MARK_WIDTH = 3
STRIP_CACHE = 512
MARKS = (
    ("disputed", "!", "timeline--disputed"),
    ("corrected", "✎", "timeline--corrected"),
)
STATUS_MARKS = {"retracted": "✗", "merged": "⇢", "gone": "…"}


def fit(text: str, width: int) -> str:
    """Exactly ``width`` cells: padded, or cut with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def one_line(value: object) -> str:
    return printable(value, keep_newlines=False)


def year_of(row: Row | None) -> str:
    if row is None:
        return ""
    return row["earliest"][:4] if row["earliest"] else "…"


class TimelineView(ScrollView, can_focus=True):
    """One line per event: year, date as written, marks, title and place."""

    BINDINGS: ClassVar = [k.binding() for k in keys.TIMELINE]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--cursor",
        "timeline--year",
        "timeline--date",
        "timeline--place",
        "timeline--disputed",
        "timeline--corrected",
        "timeline--retracted",
        "timeline--match",
        "timeline--empty",
    }
    DEFAULT_CSS = """
    TimelineView {
        overflow-x: hidden;
        background: $surface;
        & > .timeline--cursor {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .timeline--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
        & > .timeline--year { color: $accent; text-style: bold; }
        & > .timeline--date { color: $text-secondary; }
        & > .timeline--place { color: $text-muted; }
        & > .timeline--disputed { color: $text-error; text-style: bold; }
        & > .timeline--corrected { color: $text-warning; }
        & > .timeline--retracted { color: $text-disabled; text-style: strike; }
        & > .timeline--match { color: $text-success; text-style: bold underline; }
        & > .timeline--empty { color: $text-muted; text-style: italic; }
    }
    """

    class Moved(Message):
        """The cursor is on another event (or on none: an empty view)."""

        def __init__(self, event_id: str | None, index: int) -> None:
            super().__init__()
            self.event_id = event_id
            self.index = index

    class Opened(Message):
        """Enter on a row: the user wants the detail pane."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Rows | None = None
        self.cursor = 0
        self.matches: frozenset[str] = frozenset()
        self.empty_text = "No events."
        self._strips: dict[tuple, Strip] = {}

    # --- state -------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return self.rows.count if self.rows else 0

    @property
    def current(self) -> Row | None:
        return self.rows.row(self.cursor) if self.rows else None

    def set_rows(self, rows: Rows, index: int = 0, empty_text: str = "No events.") -> None:
        """Show another view (or the same one, re-read), with the cursor at ``index``."""
        self.rows = rows
        self.empty_text = empty_text
        self.virtual_size = Size(self.size.width, rows.count)
        self._strips.clear()
        self.cursor = -1  # so that move_to always reports
        self.move_to(index, center=True)
        self.refresh()

    def set_matches(self, ids: frozenset[str]) -> None:
        self.matches = ids
        self._strips.clear()
        self.refresh()

    def move_to(self, index: int, *, center: bool = False) -> None:
        """Put the cursor on a row, scrolling only as far as needed to show it."""
        index = max(0, min(index, self.count - 1))
        old = self.cursor
        self.cursor = index
        self._scroll_into_view(center)
        if old != index:
            self.refresh_line(old)
            self.refresh_line(index)
            row = self.current
            self.post_message(self.Moved(row["event_id"] if row else None, index))

    def _scroll_into_view(self, center: bool) -> None:
        height = max(self.scrollable_content_region.height, 1)
        top = round(self.scroll_y)
        if top <= self.cursor < top + height:
            return
        if center:
            top = self.cursor - height // 2
        elif self.cursor < top:
            top = self.cursor
        else:
            top = self.cursor - height + 1
        self.scroll_to(y=max(0, top), animate=False, immediate=True)

    # --- actions ---------------------------------------------------------------------------

    def action_step(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        height = max(self.scrollable_content_region.height, 1)
        top = round(self.scroll_y) + direction * height
        self.scroll_to(y=max(0, top), animate=False, immediate=True)
        self.move_to(self.cursor + direction * height)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.count - 1)

    def action_year(self, years: int) -> None:
        if self.rows and self.count:
            self.move_to(self.rows.year_step(self.cursor, years), center=True)

    def action_open(self) -> None:
        self.post_message(self.Opened())

    def on_click(self, event: events.Click) -> None:
        self.move_to(round(self.scroll_y) + event.y)

    # --- drawing ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.count)
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        if self.count == 0:
            text = f" {self.empty_text}" if y == 0 else ""
            return Strip([Segment(fit(text, width), self._style("timeline--empty"))], width)
        rows = self.rows
        row = rows.row(index) if rows else None
        if rows is None or row is None:
            return Strip.blank(width, self.rich_style)
        show_year = y == 0 or year_of(row) != year_of(rows.row(index - 1))
        key = (index, width, index == self.cursor, show_year, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) >= STRIP_CACHE:
                self._strips.clear()
            strip = self._strips[key] = self._render_row(row, width, key[2], show_year)
        return strip

    def _style(self, name: str) -> Style:
        return self.rich_style + self.get_component_rich_style(name, partial=True)

    def _render_row(self, row: Row, width: int, is_cursor: bool, show_year: bool) -> Strip:
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("timeline--cursor", partial=True)
        muted = row["status"] != "active"

        def styled(name: str) -> Style:
            return base + self.get_component_rich_style(name, partial=True)

        title_style = styled("timeline--retracted") if muted else base
        if row["event_id"] in self.matches:
            title_style = styled("timeline--match")
        date_width = next(w for least, w in DATE_WIDTHS if width >= least)
        rest = max(width - YEAR_WIDTH - date_width - MARK_WIDTH, 0)
        title = one_line(row["title"])
        place = f"  {one_line(row['place'])}" if row["place"] else ""
        title_cells = min(cell_len(title), rest)
        segments = [
            Segment(fit(year_of(row) if show_year else "", YEAR_WIDTH), styled("timeline--year")),
            Segment(fit(one_line(row["display"]), date_width), styled("timeline--date")),
            *self._marks(row, styled),
            Segment(fit(title, title_cells), title_style),
            Segment(fit(place, rest - title_cells), styled("timeline--place")),
        ]
        return Strip(segments, width).adjust_cell_length(width, base)

    def _marks(self, row: Row, styled) -> list[Segment]:
        marks = [Segment(symbol, styled(style)) for field, symbol, style in MARKS if row.get(field)]
        if row["status"] in STATUS_MARKS:
            marks.append(Segment(STATUS_MARKS[row["status"]], styled("timeline--retracted")))
        marks = marks[: MARK_WIDTH - 1]
        pad = MARK_WIDTH - len(marks)
        return [*marks, Segment(" " * pad, styled("timeline--date"))]
