"""Rows as CSV, a JSON array or NDJSON: a few hundred rows in memory at most, whatever the size."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Any, TextIO

from chronicle.exporters.text import RISKY_FIRST, cell, json_text, sheet_cell, spreadsheet_safe
from chronicle.render import has_control, printable

TABULAR = ("csv", "json", "ndjson")
# Rows written together: a batch is formatted a column at a time, so that its
# checks run once over a column of a few hundred cells instead of once per cell.
CSV_BATCH = 256
# Values that ``cell`` leaves alone but for NULL, the empty cell.
_PLAIN_TYPES = frozenset({str, int, type(None)})
# RISKY_FIRST as the first byte of a UTF-8 cell (every one of them is ASCII): the first
# of a column joined by newlines, or one right after a newline, found by one search (a
# newline inside a cell only sends its column down the exact path). A set of every
# cell's first byte cost a sixth of the timeline's export.
_RISKY_BYTES = frozenset(c.encode() for c in RISKY_FIRST)
_RISKY_AFTER_NEWLINE = re.compile(b"\\n[" + re.escape("".join(sorted(RISKY_FIRST)).encode()) + b"]")


def write_csv(
    out: TextIO,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    batch: int = CSV_BATCH,
    *,
    safe: bool = True,
) -> None:
    """Rows of values in column order as CSV, each cell as ``cell`` makes it.

    The lines are those the csv module writes, built a batch at a time with joins:
    its loop over every character, and ``cell`` called on every value, were most
    of a large export's own time. ``safe`` makes every text cell spreadsheet-safe
    (``spreadsheet_safe``); numbers are never touched.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for chunk in _batches(rows, batch):
        if len(columns) == 1:  # a lone empty cell is written `""`: the csv module knows
            writer.writerows([sheet_cell(cell(v), safe) for v in values] for values in chunk)
            continue
        cells = [_csv_column(values, safe) for values in zip(*chunk, strict=True)]
        out.write("\n".join(map(",".join, zip(*cells, strict=True))) + "\n")


def _csv_column(values: tuple[Any, ...], safe: bool) -> Sequence[str]:
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
            return _quoted(_safe_texts(texts, safe), whole)
    texts = [_csv_text(sheet_cell(cell(v), safe)) for v in values]  # text only, never a number
    return _quoted(texts, " ".join(texts))


def _safe_texts(texts: Sequence[str], safe: bool) -> Sequence[str]:
    """``spreadsheet_safe`` over a column, called only when some cell starts as a formula may."""
    if safe and not RISKY_FIRST.isdisjoint({t[:1] for t in texts}):
        return [spreadsheet_safe(t) for t in texts]
    return texts


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


def write_csv_utf8(
    out: TextIO,
    columns: Sequence[str],
    batches: Iterable[Sequence[Sequence[Any]]],
    *,
    safe: bool = True,
) -> None:
    """``write_csv`` of batches of rows whose text is bytes (SQLite's UTF-8): the same bytes out.

    The rows come a batch at a time, as a cursor's ``fetchmany`` gives them, so no
    generator steps once per row. Text fetched as bytes is neither decoded on the way
    in nor encoded on the way out; a column is checked by one join and a few scans
    of it, and a batch is written by one ``%`` over its values, integers written by
    ``%d``, instead of a join per row. Bytes stand for text here, never for a blob
    (``write_csv`` writes a blob's repr).
    """
    width = len(columns)
    if width == 1:
        texts = ([_text(v) for v in values] for batch in batches for values in batch)
        write_csv(out, columns, texts, safe=safe)
        return
    csv.writer(out, lineterminator="\n").writerow(columns)
    write = _utf8_writer(out)
    for batch in batches:
        values = list(chain.from_iterable(batch))
        if len(values) != width * len(batch):
            raise ValueError(f"rows of {width} values expected")
        codes = []
        for i in range(width):
            column = values[i::width]
            cells, code = _utf8_column(column, safe)
            if cells is not column:
                values[i::width] = cells
            codes.append(code)
        write((b",".join(codes) + b"\n") * len(batch) % tuple(values))


def _utf8_column(values: list[Any], safe: bool) -> tuple[Sequence[Any], bytes]:
    """One column of a batch as the values its line takes, and the ``%`` code that writes them."""
    try:
        whole = b"\n".join(values)
    except TypeError:  # numbers, NULLs: not all bytes
        return _utf8_mixed(values, safe)
    return _utf8_texts(values, whole, safe), b"%s"


def _utf8_texts(values: list[bytes], whole: bytes, safe: bool) -> Sequence[bytes]:
    """Encoded text as CSV cells, each as ``cell`` makes it; ``whole`` is them joined by newlines.

    The one join serves every check: a newline is no control, one inside a cell
    shows as more newlines than the column has separators, and a cell starts at
    the start or right after one.
    """
    suspect = len(whole.translate(None, _CONTROL_BYTES)) != len(whole)
    if suspect or not whole.isascii():
        text = whole.decode()  # invalid UTF-8 fails here, as it did when fetched as str
        if suspect and has_control(text):
            values = [printable(v.decode()).encode() for v in values]
            whole = b"\n".join(values)
    if safe and (whole[:1] in _RISKY_BYTES or _RISKY_AFTER_NEWLINE.search(whole)):
        values = [spreadsheet_safe(v.decode()).encode() for v in values]
        whole = b"\n".join(values)
    if whole.count(b"\n") != len(values) - 1:  # a newline inside a cell
        return [
            b'"' + c.replace(b'"', b'""') + b'"' if b"," in c or b'"' in c or b"\n" in c else c
            for c in values
        ]
    if b"," in whole or b'"' in whole:
        # Every cell quoted at once over the join, then the ones that needed no quotes
        # taken as they were: the tags' column took a quarter less time than cell by cell.
        quoted = (b'"' + whole.replace(b'"', b'""').replace(b"\n", b'"\n"') + b'"').split(b"\n")
        return [q if b'"' in c or b"," in c else c for c, q in zip(values, quoted, strict=True)]
    return values


def _utf8_mixed(values: list[Any], safe: bool) -> tuple[Sequence[Any], bytes]:
    """A column not all text: integers left to ``%d``, NULL empty, the rest as ``cell`` has it."""
    kinds = set(map(type, values))
    if kinds == {int}:
        return values, b"%d"
    if kinds == {type(None)}:
        return [b""] * len(values), b"%s"
    if kinds == {bytes, type(None)}:
        texts = [b"" if v is None else v for v in values]
        return _utf8_texts(texts, b"\n".join(texts), safe), b"%s"
    return [t.encode() for t in _csv_column(tuple(map(_text, values)), safe)], b"%s"


def _text(value: Any) -> Any:
    """A value as the str writer takes it: bytes here are always text."""
    return value.decode() if isinstance(value, bytes) else value


# Every byte that may begin a character ``has_control`` finds: the ASCII controls and
# the lead bytes of the other ones' UTF-8 (0xC2 for C1, 0xD8-0xDC and 0xE0-0xE2 for
# Arabic marks, the separators and direction marks, 0xEF for the byte-order mark,
# 0xF0 and 0xF3 for those past U+FFFF). A column holding none of them holds no
# control; one that does gets the exact test. Letters like é (0xC3) leave a column on
# the fast path. Written out, not derived when an export starts: asking
# ``has_control`` of every code point took 85 ms of each export's start-up.
# ``tests/test_timeline_csv.py`` derives it so, and checks it against this.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, 0xC2, 0xD8, 0xDB, 0xDC,
                        0xE0, 0xE1, 0xE2, 0xEF, 0xF0, 0xF3])  # fmt: skip


def _utf8_writer(out: TextIO) -> Callable[[bytes], object]:
    """Where encoded lines go: the file under a UTF-8 text stream, else that stream itself.

    Writing past the text layer is right only when it would have passed every
    newline on unchanged, as it does wherever the line separator is a newline.
    """
    buffer = getattr(out, "buffer", None)
    if (
        isinstance(out, io.TextIOWrapper)
        and buffer is not None
        and codecs.lookup(out.encoding).name == "utf-8"
        and os.linesep == "\n"
    ):
        out.flush()
        return buffer.write
    return lambda data: out.write(data.decode())


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


def write_tabular(
    out: TextIO, fmt: str, columns: Sequence[str], rows: Iterable[Any], *, safe: bool = True
) -> None:
    """``rows`` as ``rows.table_values`` gives them for csv, as ``table_rows`` for JSON.

    ``safe``: CSV text cells are spreadsheet-safe (``write_csv``).
    """
    if fmt == "csv":
        write_csv(out, columns, rows, safe=safe)
    elif fmt == "json":
        write_json(out, rows)
    else:
        write_ndjson(out, rows)
