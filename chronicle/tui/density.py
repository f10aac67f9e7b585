"""A picture of time: how many events each stretch of months holds, across the screen.

The counts come from ``queries.density`` (events per month of their earliest
bound, for the view's filter and as-of); this module only bins them into as many
columns as the terminal is wide, draws them as block heights, and marks the column
of the selected event so the user sees where in the chronology they stand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

LEVELS = " ▁▂▃▄▅▆▇█"


def month_number(iso: str) -> int:
    """'2024-07…' as a count of months since year 0, for binning."""
    return int(iso[:4]) * 12 + int(iso[5:7]) - 1


@dataclass(frozen=True)
class Bins:
    """Monthly counts folded into at most ``width`` columns of equal span."""

    first: int  # month number of column 0
    span: int  # months per column
    counts: tuple[int, ...]

    @classmethod
    def build(cls, monthly: list[tuple[str, int]], width: int) -> Bins | None:
        points = [(month_number(b), n) for b, n in monthly if b and len(b) >= 7]
        if not points or width <= 0:
            return None
        first, last = points[0][0], points[-1][0]
        span = max(1, math.ceil((last - first + 1) / width))
        counts = [0] * ((last - first) // span + 1)
        for month, n in points:
            counts[(month - first) // span] += n
        return cls(first, span, tuple(counts))

    def column_of(self, iso: str | None) -> int | None:
        if not iso:
            return None
        column = (month_number(iso) - self.first) // self.span
        return column if 0 <= column < len(self.counts) else None

    def bars(self) -> str:
        """Square-root heights: a quiet month next to a busy one still shows."""
        peak = max(self.counts) or 1
        return "".join(
            LEVELS[max(1, math.ceil(8 * math.sqrt(n / peak)))] if n else " " for n in self.counts
        )

    def axis(self) -> str:
        """Year labels where a column holds a January, when there is room for them."""
        cells = [" "] * len(self.counts)
        free_from = 0
        for column in range(len(self.counts)):
            start = self.first + column * self.span
            january = -start % 12
            if january >= self.span or column < free_from:
                continue
            label = str((start + january) // 12)
            if column + len(label) > len(cells):
                break
            cells[column : column + len(label)] = label
            free_from = column + len(label) + 1
        return "".join(cells)


class DensityStrip(Widget):
    """Two lines: the bars, and a year axis with the selected event marked."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "density--bar",
        "density--selected",
        "density--axis",
    }
    DEFAULT_CSS = """
    DensityStrip {
        height: 2;
        & > .density--bar { color: $primary; }
        & > .density--selected { color: $text-warning; background: $warning-muted; }
        & > .density--axis { color: $text-muted; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.monthly: list[tuple[str, int]] = []
        self.selected: str | None = None

    def set_counts(self, monthly: list[tuple[str, int]]) -> None:
        self.monthly = monthly
        self.refresh()

    def select(self, earliest: str | None) -> None:
        if earliest != self.selected:
            self.selected = earliest
            self.refresh()

    def render(self) -> Text:
        width = self.content_size.width
        bins = Bins.build(self.monthly, width)
        if bins is None:
            return Text("no dated events", self.get_component_rich_style("density--axis"))
        bar_style = self.get_component_rich_style("density--bar", partial=True)
        mark_style = self.get_component_rich_style("density--selected", partial=True)
        axis_style = self.get_component_rich_style("density--axis", partial=True)
        column = bins.column_of(self.selected)
        bars, axis = bins.bars(), bins.axis()
        if column is not None:
            bars = bars[:column] + (bars[column].strip() or "▁") + bars[column + 1 :]
            axis = axis[:column] + "▲" + axis[column + 1 :]
        lines = [Text(bars, bar_style), Text(axis, axis_style)]
        if column is not None:
            for line in lines:
                line.stylize(mark_style, column, column + 1)
        return Text("\n").join(lines)
