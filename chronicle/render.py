"""Turning stored text into something safe to put on a terminal.

Text from sources is data. Rich would read ``[bold]`` as markup and a terminal
would obey an ESC sequence, so every value is made literal here: control
characters become visible escapes (``\\x1b``), and values reach Rich only as
``Text`` objects, which are never parsed for markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segments
from rich.style import Style
from rich.table import Table
from rich.text import Text

# Every character a terminal or a text viewer obeys or hides rather than shows: the C0
# controls but tab and newline, DEL and the C1 controls (the 8-bit CSI among them),
# the line and paragraph separators, and every invisible format character (Unicode's
# Cf): soft hyphen, zero-width space and joiners, LRM/RLM/ALM, bidi embeddings,
# overrides and isolates, the byte-order mark, the tag characters. A name holding
# one looks like another name, or reorders the text around it; shown, it is seen.
# ``tests/test_read_formats.py`` checks these classes against Python's own table.
CONTROLS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
ASTRAL_CONTROLS = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
# Text is searched once for the controls up to U+FFFF and for any character past
# it; only text where that finds something is searched again, for each kind. With
# the controls past U+FFFF in one class with the rest, every search of any text
# was four times slower.
_CONTROL = re.compile(f"[{CONTROLS}]")
_ASTRAL_CONTROL = re.compile(f"[{ASTRAL_CONTROLS}]")
_SUSPECT = re.compile(f"[{CONTROLS}\U00010000-\U0010ffff]")


def replace_controls(text: str, escape: Callable[[re.Match[str]], str]) -> str:
    """``text`` with each control character (as defined above) replaced by ``escape(match)``."""
    if _SUSPECT.search(text) is None:
        return text
    return _ASTRAL_CONTROL.sub(escape, _CONTROL.sub(escape, text))


def has_control(text: str) -> bool:
    """Whether ``printable`` would change this text, and no copy made."""
    first = _SUSPECT.search(text)
    if first is None:
        return False
    if first.group() < "\U00010000":
        return True
    return _CONTROL.search(text) is not None or _ASTRAL_CONTROL.search(text) is not None


def _escape_control(match: re.Match[str]) -> str:
    """``\\x1b`` up to U+00FF, else JSON's escape, so a JSON text stays JSON once shown."""
    return f"\\x{ord(match.group()):02x}" if match.group() < "\u0100" else json_escape(match)


def json_escape(match: re.Match[str]) -> str:
    """A character as JSON escapes it: past U+FFFF, its UTF-16 surrogate pair."""
    units = match.group().encode("utf-16-be")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))


def printable(value: Any, *, keep_newlines: bool = True) -> str:
    """A value as plain text with every control character shown, never obeyed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = (
        value
        if isinstance(value, str)
        else (
            json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)
        )
    )
    if not keep_newlines:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return replace_controls(text, _escape_control)


def literal(value: Any, style: str | Style = "", *, keep_newlines: bool = True) -> Text:
    """A Rich Text that shows the value exactly, whatever brackets it holds."""
    return Text(printable(value, keep_newlines=keep_newlines), style=style)


def table(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    widths: Sequence[int] | None = None,
    *,
    show_header: bool = True,
) -> Table:
    """A Rich table of ``rows``, every value literal; with fixed ``widths`` if given."""
    out = Table(title=title, show_lines=False, expand=False, show_header=show_header)
    for i, column in enumerate(columns):
        out.add_column(column, overflow="fold", width=widths[i] if widths else None)
    for row in rows:
        out.add_row(*_cells(row, columns))
    return out


def _cells(row: dict[str, Any], columns: Sequence[str]) -> list[Text]:
    return [literal(row.get(c), keep_newlines=False) for c in columns]


# A streamed table's widths come from its first window of rows; rows are then drawn
# a piece at a time, each printed before the next is read. Drawing is what costs: Rich
# took 1.4 s for a first window of 256 log rows with long payloads, so the first
# line waits for one piece, not one window.
TABLE_WINDOW = 256
TABLE_DRAW = 32


def print_table(out: Console, rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> int:
    """Print ``rows`` as one table, a piece at a time; returns how many rows were printed.

    A Rich table measures every row before it draws one: 74 s and 1.6 GB before
    the first line of a 64,599-event timeline. Here the column widths are fitted
    once, to the first window of rows and the terminal's width, and kept: a wider
    value further down folds within its column. Each piece is drawn as a table
    whose borders join the previous one's, so the output reads as one table, its
    first line comes once one window is read and one piece drawn, and memory holds
    a window and a piece at most.
    """
    stream = iter(rows)
    window = list(islice(stream, TABLE_WINDOW))
    widths = fit_widths(out.width, columns, window)
    source = chain(window, stream)
    del window
    pieces = iter(lambda: list(islice(source, TABLE_DRAW)), [])
    piece, first, count = next(pieces, []), True, 0
    while True:
        following = next(pieces, []) if piece else []
        drawn = table(piece, columns, widths=widths, show_header=first)
        lines = out.render_lines(drawn, out.options, pad=False, new_lines=True)
        if not first:
            lines = lines[1:]  # the top border: the previous piece's rows continue
        if following:
            lines = lines[:-1]  # the bottom border: more rows follow
        out.print(Segments(segment for line in lines for segment in line), end="")
        count += len(piece)
        if not following:
            return count
        piece, first = following, False


def fit_widths(total: int, columns: Sequence[str], window: Sequence[dict[str, Any]]) -> list[int]:
    """Each column's width: as wide as its widest cell in ``window``, within ``total`` cells.

    When the natural widths do not fit, the widest columns are narrowed to one
    common cap, the largest that fits (their text then folds), and the cells left
    over go one each to the first of them; narrow columns keep their width, and
    no column is narrower than 1.
    """
    natural = [
        max([cell_len(c), *(t.cell_len for t in (_cells(r, [c])[0] for r in window))])
        for c in columns
    ]
    room = max(total - 3 * len(columns) - 1, len(columns))  # borders and padding
    if sum(natural) <= room:
        return natural
    low, high = 1, max(natural)
    while low < high:  # the largest cap whose capped widths fit
        cap = (low + high + 1) // 2
        if sum(min(n, cap) for n in natural) <= room:
            low = cap
        else:
            high = cap - 1
    widths = [min(n, low) for n in natural]
    spare = room - sum(widths)
    for i, n in enumerate(natural):
        if spare > 0 and n > widths[i]:
            widths[i] += 1
            spare -= 1
    return widths


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=False)
