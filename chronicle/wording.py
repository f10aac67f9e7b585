"""How chronicle puts figures into words: one wording for every output.

The command line, the app's detail pane and every export say the same claim the
same way, so a reader moving between them never wonders whether "20–…" and "at
least 20" are two claims. Only plain text leaves here: each output escapes it its
own way (``render.printable`` for a terminal, the exporters' escapes for files).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Plurals the suffix rules below would get wrong, as units are usually written.
_IRREGULAR = {"people": "person", "men": "man", "women": "woman", "children": "child"}
# Endings that only look plural: "bus", "status", "analysis", "glass".
_NOT_PLURAL = ("ss", "us", "is")
_SIBILANT_PLURAL = re.compile(r"(?:ch|sh|ss|x|z)es$")


def number(value: Any) -> str:
    """A figure as people write it: 50, not 50.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}"


def singular(noun: str) -> str:
    """The singular of an English plural noun ("helicopters" -> "helicopter"), else the noun.

    Units are typed by users, so only the common regular endings and a few
    irregular words are undone; anything unrecognised is left as written.
    """
    lower = noun.lower()
    if lower in _IRREGULAR:
        found = _IRREGULAR[lower]
        return found.capitalize() if noun[:1].isupper() else found
    if lower.endswith("ies") and len(noun) > 4:
        return noun[:-3] + ("Y" if noun.isupper() else "y")
    if _SIBILANT_PLURAL.search(lower):
        return noun[:-2]
    if lower.endswith("s") and not lower.endswith(_NOT_PLURAL):
        return noun[:-1]
    return noun


def unit_for(unit: str, one: bool) -> str:
    """A unit agreeing with its figure: "1 helicopter", "at least 1 person", "2 helicopters".

    The noun that counts is the one before "of" ("tonnes of food"), else the last word
    ("Malian soldiers").
    """
    if not one:
        return unit
    words = unit.split(" ")
    head = words.index("of") - 1 if "of" in words[1:] else len(words) - 1
    words[head] = singular(words[head])
    return " ".join(words)


def counted(n: int, noun: str) -> str:
    """A count with its noun agreeing: "1 event", "3 events"."""
    return f"{number(n)} {noun if n == 1 else noun + 's'}"


def figure(claim: Mapping[str, Any]) -> str:
    """A claim's figure in words: 50, 20–80, at least 20, “dozens”, 50 (“about fifty”)."""
    low, best, high = claim.get("low"), claim.get("best"), claim.get("high")
    if low is not None and high is not None:
        text = number(low) if low == high else f"{number(low)}–{number(high)}"
    elif low is not None:
        text = f"at least {number(low)}"
    elif high is not None:
        text = f"at most {number(high)}"
    else:
        text = ""
    if best is not None:
        text = f"{text} (best {number(best)})" if text else number(best)
    if text and claim.get("unit"):
        shown = [v for v in (low, best, high) if v is not None]
        text += " " + unit_for(claim["unit"], all(v == 1 for v in shown))
    words = claim.get("value_text")
    if words:
        text = f"{text} (“{words}”)" if text else f"“{words}”"
    return text
