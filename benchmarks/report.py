"""The report's rows, their targets and the printed table, shared by every part of the harness.

A figure alone says little: each row carries the reference it is read against (measured
in the same run, on the same machine, under the same load) and the target the issue set,
so the table says at a glance what was met and what was missed.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from typing import Any

REPORT_WIDTH = 160  # when printing to a file or pipe, which has no width of its own


@dataclass(frozen=True)
class Target:
    """A bound on a row's value, or on its ratio to the reference when `on_ratio`."""

    bound: float
    higher_is_better: bool
    on_ratio: bool = False

    def met(self, value: float | None, ratio: float | None) -> bool | None:
        measured = ratio if self.on_ratio else value
        if measured is None:
            return None
        return measured >= self.bound if self.higher_is_better else measured <= self.bound

    def describe(self, unit: str) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        if self.on_ratio:
            return f"{sign} {self.bound:g}× ref"
        return f"{sign} {self.bound:g} {unit}"


@dataclass
class Row:
    """One line of the report. `value` None means not measured; `note` says why."""

    figure: str
    unit: str
    value: float | None = None
    reference: float | None = None
    reference_name: str = ""
    target: Target | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.reference:
            return None
        return self.value / self.reference

    @property
    def ok(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value, self.ratio)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = self.target.describe(self.unit) if self.target else None
        data["ratio"] = self.ratio
        data["ok"] = self.ok
        return data


@dataclass
class References:
    """Figures kept by name for later rows to be read against: the limit, the peer, our own."""

    rows: list[Row] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, row: Row) -> None:
        self.rows.append(row)
        self.remember(key, row.figure, row.value)

    def remember(self, key: str, label: str, value: float | None) -> None:
        """Make a figure available to compare with, without a row of its own."""
        self.labels[key] = label
        if value is not None:
            self.values[key] = value


def number(value: float | None) -> str:
    """Few digits: the noise of a shared machine is larger than a fourth significant one."""
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


COLUMNS = (
    ("figure", "left"),
    ("value", "right"),
    ("unit", "left"),
    ("reference", "right"),
    ("against", "left"),
    ("ratio", "right"),
    ("target", "left"),
    ("ok?", "center"),
    ("note", "left"),
)


def print_table(rows: list[Row], entries: int, caption: str = "") -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"chronicle benchmarks, {entries:,} entries", caption=caption)
    for column, justify in COLUMNS:
        table.add_column(column, justify=justify, no_wrap=column != "note")  # type: ignore[arg-type]
    marks = {True: "[green]yes[/]", False: "[red]NO[/]", None: ""}
    for row in rows:
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
        cells = (
            row.figure,
            number(row.value),
            row.unit,
            number(row.reference) if row.reference is not None else "",
            row.reference_name,
            ratio,
            row.target.describe(row.unit) if row.target else "",
        )
        # Text cells are not markup: an error message in a note may hold brackets.
        table.add_row(*(Text(cell) for cell in cells), marks[row.ok], Text(row.note))
    Console(width=None if sys.stdout.isatty() else REPORT_WIDTH).print(table)


def markdown_table(rows: list[Row]) -> str:
    """The same table as Markdown, for the README: figures, references, ratios, verdicts."""
    lines = [
        "| figure | value | reference | ratio | target | met |",
        "|---|---:|---|---:|---|:-:|",
    ]
    verdicts = {True: "yes", False: "**no**", None: ""}
    for row in rows:
        value = f"{number(row.value)} {row.unit}" if row.value is not None else row.note
        reference = (
            f"{number(row.reference)} ({row.reference_name})" if row.reference is not None else ""
        )
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
        target = row.target.describe(row.unit) if row.target else ""
        cells = (row.figure, value, reference, ratio, target, verdicts[row.ok])
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
