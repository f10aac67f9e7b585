"""Upcasters: how an entry written at an older payload schema is read today.

The log is never rewritten, so a payload that changed shape is upgraded on the
way out, every time it is read: hashes keep covering the bytes as written, and
the projection only ever sees the current shape. Each step is registered as
(type, from_version) -> function returning the next version's payload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chronicle.errors import EntryError
from chronicle.terms import CURRENT_SCHEMA

Payload = dict[str, Any]
_STEPS: dict[tuple[str, int], Callable[[Payload], Payload]] = {}


def upcaster(
    entry_type: str, from_version: int
) -> Callable[[Callable[[Payload], Payload]], Callable[[Payload], Payload]]:
    """Register one step from ``from_version`` to ``from_version + 1``."""

    def register(fn: Callable[[Payload], Payload]) -> Callable[[Payload], Payload]:
        _STEPS[(entry_type, from_version)] = fn
        return fn

    return register


def upcast(entry_type: str, version: int, data: Payload) -> Payload:
    """Bring a payload from ``version`` to the current schema; a no-op when current."""
    target = CURRENT_SCHEMA[entry_type]
    if version > target:
        raise EntryError(
            f"{entry_type} at schema {version} is newer than this chronicle reads ({target})"
        )
    while version < target:
        step = _STEPS.get((entry_type, version))
        if step is None:
            raise EntryError(f"no upcaster for {entry_type} from schema {version}")
        data = step(data)
        version += 1
    return data


def _citations_from_ids(citations: list[Any]) -> list[Any]:
    return [{"source": c} if isinstance(c, str) else c for c in citations]


# Schema 1 of event payloads listed citations as bare source ids; schema 2 made each
# citation an object so it could carry a quote, a locator and the name as written.
@upcaster("event.asserted", 1)
def _asserted_v1(data: Payload) -> Payload:
    return {**data, "citations": _citations_from_ids(data.get("citations", []))}


@upcaster("event.corrected", 1)
def _corrected_v1(data: Payload) -> Payload:
    if "citations" not in data:
        return data
    return {**data, "citations": _citations_from_ids(data["citations"])}
