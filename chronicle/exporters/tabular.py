"""Rows as CSV, a JSON array or NDJSON: a few hundred rows in memory at most, whatever the size."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TextIO

from chronicle.exporters.text import cell, json_text
from chronicle.render import has_control

TABULAR = ("csv", "json", "ndjson")
# Rows written together: a batch is formatted a column at a time, so that its
# checks run once over a column of a few hundred cells instead of once per cell.
CSV_BATCH = 256
# Values that ``cell`` leaves alone but for NULL, the empty cell.
_PLAIN_TYPES = frozenset({str, int, type(None)})


def write_csv(
    out: TextIO, columns: Sequence[str], rows: Iterable[Sequence[Any]], batch: int = CSV_BATCH
) -> None:
    """Rows of values in column order as CSV, each cell as ``cell`` makes it.

    The lines are those the csv module writes, built a batch at a time with joins:
    its loop over every character, and ``cell`` called on every value, were most
    of a large export's own time.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for chunk in _batches(rows, batch):
        if len(columns) == 1:  # a lone empty cell is written `""`: the csv module knows
            writer.writerows([cell(v) for v in values] for values in chunk)
            continue
        cells = [_csv_column(values) for values in zip(*chunk, strict=True)]
        out.write("\n".join(map(",".join, zip(*cells, strict=True))) + "\n")


def _csv_column(values: tuple[Any, ...]) -> Sequence[str]:
    """One column of a batch as CSV cells: ``cell`` called only where it would change a value."""
    kinds = set(map(type, values))
    if kinds == {int}:
        return list(map(str, values))
    if kinds <= _PLAIN_TYPES:
        texts = values if kinds == {str} else ["" if v is None else str(v) for v in values]
        whole = " ".join(texts)
        # Most columns are printable throughout, which isprintable tells fastest;
        # one that is not (a newline, a no-break space) gets the exact test.
        if whole.isprintable() or not has_control(whole):
            return _quoted(texts, whole)
    texts = [_csv_text(cell(v)) for v in values]
    return _quoted(texts, " ".join(texts))


def _csv_text(value: Any) -> str:
    """What the csv module writes for a value ``cell`` made: text as it is, the rest by str."""
    return value if isinstance(value, str) else str(value)


def _quoted(texts: Sequence[str], whole: str) -> Sequence[str]:
    """The cells quoted as the csv module quotes them; ``whole`` holds every one of them."""
    if "," in whole or '"' in whole or "\n" in whole:
        return [
            '"' + t.replace('"', '""') + '"' if "," in t or '"' in t or "\n" in t else t
            for t in texts
        ]
    return texts


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def write_json(out: TextIO, rows: Iterable[dict[str, Any]]) -> None:
    """A JSON array written element by element, so it never exists whole in memory."""
    out.write("[")
    for i, row in enumerate(rows):
        out.write(("," if i else "") + "\n" + json_text(row))
    out.write("\n]\n")


def write_ndjson(out: TextIO, rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        out.write(json_text(row) + "\n")


def write_tabular(out: TextIO, fmt: str, columns: Sequence[str], rows: Iterable[Any]) -> None:
    """``rows`` as ``rows.table_values`` gives them for csv, as ``table_rows`` for JSON."""
    if fmt == "csv":
        write_csv(out, columns, rows)
    elif fmt == "json":
        write_json(out, rows)
    else:
        write_ndjson(out, rows)
