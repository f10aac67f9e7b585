"""The two opposing parties of an event, read from its actors' optional ``side``.

Conflict datasets put the parties in two columns (ACLED's actor1/actor2, UCDP's
side_a/side_b); the order of an event's actors says nothing about who fought whom,
so allies listed first and second must never come out as opponents. Knows nothing
of storage: actors are the dicts an event or a query holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SIDE_NAMES = {"a": "side A", "b": "side B"}


@dataclass
class Sides:
    """An event's actors by side; ``unsided`` holds those no source placed."""

    a: list[Mapping[str, Any]] = field(default_factory=list)
    b: list[Mapping[str, Any]] = field(default_factory=list)
    unsided: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return bool(self.a or self.b)


def split_sides(actors: Iterable[Mapping[str, Any]]) -> Sides:
    sides = Sides()
    for actor in actors:
        getattr(sides, actor.get("side") or "unsided").append(actor)
    return sides


def shown_name(actor: Mapping[str, Any]) -> str:
    """The name a dataset gave the actor in this event where it gave one, else the entity's."""
    return str(actor.get("named_as") or actor["name"])


def actor_label(actor: Mapping[str, Any]) -> str:
    """“Wagner Group (attacker, side A)”: the name with what is known of its part."""
    notes = [n for n in (actor.get("role"), SIDE_NAMES.get(actor.get("side") or "")) if n]
    return f"{actor['name']} ({', '.join(notes)})" if notes else actor["name"]
