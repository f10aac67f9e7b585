"""Turning stored text into something safe to put on a terminal.

Text from sources is data. Rich would read ``[bold]`` as markup and a terminal
would obey an ESC sequence, so every value is made literal here: control
characters become visible escapes (``\\x1b``), and values reach Rich only as
``Text`` objects, which are never parsed for markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def has_control(text: str) -> bool:
    """Whether ``printable`` would change this text: one search, and no copy made."""
    return _CONTROL.search(text) is not None


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
    return _CONTROL.sub(_escape_control, text)


def literal(value: Any, style: str = "", *, keep_newlines: bool = True) -> Text:
    """A Rich Text that shows the value exactly, whatever brackets it holds."""
    return Text(printable(value, keep_newlines=keep_newlines), style=style)


def table(rows: Iterable[dict[str, Any]], columns: Sequence[str], title: str | None = None):
    out = Table(title=title, show_lines=False, expand=False)
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*(literal(row.get(c), keep_newlines=False) for c in columns))
    return out


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=False)
