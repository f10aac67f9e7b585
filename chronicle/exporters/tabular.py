"""Rows as CSV, a JSON array or NDJSON: one row in memory at a time, whatever the size."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from chronicle.exporters.text import cell, json_text

TABULAR = ("csv", "json", "ndjson")


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])


def write_json(out: TextIO, rows: Iterable[dict[str, Any]]) -> None:
    """A JSON array written element by element, so it never exists whole in memory."""
    out.write("[")
    for i, row in enumerate(rows):
        out.write(("," if i else "") + "\n" + json_text(row))
    out.write("\n]\n")


def write_ndjson(out: TextIO, rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        out.write(json_text(row) + "\n")


def write_tabular(
    out: TextIO, fmt: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> None:
    if fmt == "csv":
        write_csv(out, columns, rows)
    elif fmt == "json":
        write_json(out, rows)
    else:
        write_ndjson(out, rows)
