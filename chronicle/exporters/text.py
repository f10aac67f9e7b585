"""Stored text made safe for each kind of output.

Text from sources is data, whatever it looks like: a quote may hold ``<script>``,
``**``, a comma, a newline or a terminal escape. Each output gets the one escaping
that makes such text mean only itself there: CSV leaves quoting to the ``csv``
module, JSON to ``json.dumps``, HTML to ``html.escape``, Markdown to backslashes.
Control characters are shown as visible escapes in every text format, so an
export printed to a terminal cannot drive it.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from chronicle.render import json_escape, printable, replace_controls

# Inline Markdown syntax, escaped wherever it appears.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~#])")
# Block syntax that only means something at the start of a line.
_MD_LINE_START = re.compile(r"^([>+=-]|\d+[.)])")
_SAFE_SCHEMES = ("http://", "https://")


def json_text(value: Any, **kwargs: Any) -> str:
    """JSON that keeps non-ASCII letters readable but escapes what could act on a viewer."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    # json.dumps(ensure_ascii=False) leaves raw what a terminal or a viewer would act on
    # or hide (C1, separators, format characters): the ones ``printable`` shows.
    return replace_controls(text, json_escape)


def cell(value: Any) -> Any:
    """One CSV cell: nested values as JSON, whole floats as integers, controls made visible."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return printable(json_text(value))
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return printable(value)
    return value


# A cell beginning with one of these is a formula to a spreadsheet (CWE-1236): "=",
# "+", "-", "@", tab, carriage return. Quotes before one are counted in, so that
# the prefix can always be told from text that began with a quote.
_FORMULA = re.compile("'*[=+\\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
RISKY_FIRST = frozenset("=+-@\t\r'")


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a cell that would start a formula gets a ``'`` first.

    OWASP's advice for CSV that people open in a spreadsheet. A number written as
    text ("-5", "+3.2") stays as it is: it is a value there too, never a formula.
    ``spreadsheet_value`` takes the prefix off again, for any text whatever.
    """
    if _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def sheet_cell(value: Any, safe: bool) -> Any:
    """A value ``cell`` made, spreadsheet-safe when it is text and ``safe`` is asked."""
    return spreadsheet_safe(value) if safe and isinstance(value, str) else value


def spreadsheet_value(text: str) -> str:
    """The text ``spreadsheet_safe`` was given: one ``'`` off a cell it prefixed, else unchanged."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text, 1) else text


def flat(text: Any) -> str:
    """One line of printable text: every run of whitespace, newlines included, is a space."""
    if text is None:
        return ""
    return printable(" ".join(str(text).split()))


def md(text: Any) -> str:
    """Markdown that renders exactly the given text, on one line."""
    escaped = _MD_INLINE.sub(r"\\\1", flat(text))
    return _MD_LINE_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], escaped)


def esc(text: Any) -> str:
    """HTML text or attribute value for any stored value."""
    return html.escape(printable(text), quote=True)


def safe_url(url: str | None) -> str | None:
    """A URL that may become a link: only http(s), so no ``javascript:`` ever gets a href."""
    if url and url.strip().lower().startswith(_SAFE_SCHEMES):
        return url.strip()
    return None
