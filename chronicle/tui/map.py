"""The map pane: where the events of the view happened, drawn in the terminal.

Country borders and coasts are braille dots (``geo.Canvas``, from the Natural
Earth lines shipped with the package); each terminal cell that holds events shows
a mark whose weight grows with their number, the cell of the selected event is
marked apart, and the busiest cells are labelled with their busiest place. The
counts arrive from ``places.cells`` (grouped in SQLite); this widget only draws
them, keeps the view (zoom, pan, a cursor on a cell) and says what the user asked
for through messages: the app owns every query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.message import Message
from textual.widget import Widget

from chronicle import geo
from chronicle.queries import PlaceCell, PlaceSummary
from chronicle.render import printable
from chronicle.tui import keys
from chronicle.wording import counted, number

LEVELS = "·•●"
SELECTED = "◆"
CAPTION_LINES = 2
ZOOM = 2.0
MAX_LABELS = 8


@dataclass(frozen=True)
class MapData:
    """What one load brought: the view it was counted for, its summary and cells."""

    view: geo.View
    summary: PlaceSummary
    cells: tuple[PlaceCell, ...]
    counted_for: tuple[object, int | None]  # the filter and as-of the summary counts


class MapPane(Widget, can_focus=True):
    """Density of the view's events per cell over borders; a cursor picks a cell."""

    BINDINGS: ClassVar = [k.binding() for k in keys.MAP]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "map--border",
        "map--events",
        "map--busy",
        "map--selected",
        "map--cursor",
        "map--label",
        "map--caption",
    }
    DEFAULT_CSS = """
    MapPane {
        background: $surface;
        & > .map--border { color: $text-muted; }
        & > .map--events { color: $text-accent; text-style: bold; }
        & > .map--busy { color: $text-error; text-style: bold; }
        & > .map--selected { color: $text-warning; background: $warning-muted; text-style: bold; }
        & > .map--cursor { text-style: reverse; }
        & > .map--label { color: $text; }
        & > .map--caption { color: $text-muted; }
    }
    """

    class ViewChanged(Message):
        """The user zoomed, panned or asked for a fit: the counts must be made again."""

        def __init__(self, view: geo.View | None) -> None:
            super().__init__()
            self.view = view  # None: fit the view's events

    class Picked(Message):
        """The user chose a cell: the timeline is to show its events."""

        def __init__(self, area: geo.Area) -> None:
            super().__init__()
            self.area = area

    class Back(Message):
        """The user wants the timeline again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: MapData | None = None
        self.point: tuple[float, float] | None = None  # the selected event's place
        self.place_name: str | None = None
        self.cursor: tuple[int, int] | None = None
        self._borders: tuple[geo.View, list[str]] | None = None

    # --- what the app tells it ---------------------------------------------------------

    def grid(self) -> tuple[int, int]:
        """Cells across and down that the map itself may use."""
        size = self.content_size
        return max(1, size.width), max(1, size.height - CAPTION_LINES)

    def set_data(self, data: MapData, point: tuple[float, float] | None, name: str | None) -> None:
        """New counts, with the selected event's place (no pan: the view is as asked)."""
        self.data, self.point, self.place_name = data, point, name
        if self.cursor is None or not _on_grid(data.view, self.cursor):
            self.cursor = self._selected_cell() or (data.view.cols // 2, data.view.rows // 2)
        self.refresh()

    def select(self, point: tuple[float, float] | None, name: str | None) -> None:
        """Mark the selected event's place; pan to it when it is out of sight."""
        self.point, self.place_name = point, name
        data = self.data
        if data is not None and point is not None and self._selected_cell() is None:
            self.post_message(self.ViewChanged(data.view.centred_on(*point)))
        self.refresh()

    def on_resize(self) -> None:
        data = self.data
        if not self.display or data is None:
            return
        if self.grid() != (data.view.cols, data.view.rows):
            self.post_message(self.ViewChanged(data.view.resized(*self.grid())))

    # --- keys -------------------------------------------------------------------------

    def action_move(self, dcol: int, drow: int) -> None:
        data = self.data
        if data is None or self.cursor is None:
            return
        col, row = self.cursor[0] + dcol, self.cursor[1] + drow
        view = data.view
        if 0 <= col < view.cols and 0 <= row < view.rows:
            self.cursor = (col, row)
            self.refresh()
            return
        self.cursor = (min(max(col, 0), view.cols - 1), min(max(row, 0), view.rows - 1))
        self.action_pan(dcol, drow)

    def action_pan(self, dcol: int, drow: int) -> None:
        """A quarter of the map east, west, north or south."""
        if self.data is not None:
            view = self.data.view
            moved = view.panned(dcol * view.cols // 4, drow * view.rows // 4)
            self.post_message(self.ViewChanged(moved))

    def action_zoom(self, factor: float) -> None:
        """Zoom in on the cursor's cell, out around the middle."""
        if self.data is None:
            return
        view = self.data.view
        if self.cursor is not None and factor > 1:
            view = view.centred_on(*geo.cell_centre(view, *self.cursor))
        zoomed = view.zoomed(factor)
        self.cursor = (zoomed.cols // 2, zoomed.rows // 2)
        self.post_message(self.ViewChanged(zoomed))

    def action_fit(self) -> None:
        self.cursor = None
        self.post_message(self.ViewChanged(None))

    def action_pick(self) -> None:
        if self.data is not None and self.cursor is not None:
            col, row = self.cursor
            self.post_message(self.Picked(geo.Area(self.data.view, col, row, col, row)))

    def action_back(self) -> None:
        self.post_message(self.Back())

    # --- drawing ----------------------------------------------------------------------

    def _selected_cell(self) -> tuple[int, int] | None:
        if self.data is None or self.point is None:
            return None
        return geo.cell_of(self.data.view, *self.point)

    def _border_rows(self, view: geo.View) -> list[str]:
        if self._borders is None or self._borders[0] != view:
            canvas = geo.Canvas(view.cols, view.rows)
            geo.draw_borders(canvas, view)
            self._borders = (view, canvas.text_rows())
        return self._borders[1]

    def render(self) -> Text:
        caption_style = self.get_component_rich_style("map--caption")
        data = self.data
        if data is None:
            return Text("loading the map…", caption_style)
        view = data.view
        style = self.get_component_rich_style
        rows = [list(line) for line in self._border_rows(view)]
        styles: list[list[str | None]] = [["map--border"] * view.cols for _ in range(view.rows)]
        peak = max((c.events for c in data.cells), default=1)
        for cell in data.cells:
            level = min(len(LEVELS) - 1, int(len(LEVELS) * math.sqrt(cell.events / peak)))
            rows[cell.row][cell.col] = LEVELS[level]
            styles[cell.row][cell.col] = "map--busy" if level == len(LEVELS) - 1 else "map--events"
        self._label(rows, styles, data.cells)
        selected = self._selected_cell()
        if selected is not None:
            col, row = selected
            rows[row][col] = SELECTED
            styles[row][col] = "map--selected"
        lines = []
        for r in range(view.rows):
            line = Text()
            for c in range(view.cols):
                name = styles[r][c]
                rich_style = style(name, partial=True) if name else None
                if self.has_focus and self.cursor == (c, r):
                    rich_style = (rich_style or style("map--label", partial=True)) + style(
                        "map--cursor", partial=True
                    )
                line.append(rows[r][c], rich_style)
            lines.append(line)
        for words in self._caption():
            caption = Text(printable(words, keep_newlines=False), caption_style)
            caption.truncate(view.cols, overflow="ellipsis")
            lines.append(caption)
        return Text("\n").join(lines)

    def _label(self, rows: list[list[str]], styles: list[list[str | None]], cells) -> None:
        """Name the busiest cells' busiest place, right of the mark or else left of it,
        where the name covers no other mark or label (borders may go under it)."""
        taken = {(c.col, c.row) for c in cells}
        width = len(rows[0]) if rows else 0
        for cell in sorted(cells, key=lambda c: (-c.events, c.row, c.col))[:MAX_LABELS]:
            text = printable(cell.top_place, keep_newlines=False)
            if cell_len(text) != len(text):  # a wide character would shift the grid
                continue
            line = styles[cell.row]
            for start in (cell.col + 1, cell.col - len(text)):
                span = range(max(0, start - 1), min(width, start + len(text) + 1))
                if (
                    start < 0
                    or start + len(text) > width
                    or any(
                        ((c, cell.row) in taken and c != cell.col) or line[c] == "map--label"
                        for c in span
                    )
                ):
                    continue
                for i, ch in enumerate(text):
                    rows[cell.row][start + i] = ch
                    line[start + i] = "map--label"
                break

    def _caption(self) -> list[str]:
        data = self.data
        assert data is not None
        s = data.summary
        first = f"{counted(s.events, 'event')} · {number(s.unlocated)} without coordinates"
        here = ""
        if self.has_focus and self.cursor is not None:
            found = next((c for c in data.cells if (c.col, c.row) == self.cursor), None)
            here = (
                f"▸ {found.top_place}{' +' if found.places > 1 else ''}: {number(found.events)}"
                " (Enter filters)"
                if found
                else "▸ no events here"
            )
        elif self.place_name:
            here = f"{SELECTED} {self.place_name}" + ("" if self.point else " (no coordinates)")
        return [first, here or "+ − zoom · arrows move · 0 fits"]


def _on_grid(view: geo.View, cell: tuple[int, int]) -> bool:
    return 0 <= cell[0] < view.cols and 0 <= cell[1] < view.rows
