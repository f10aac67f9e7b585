"""The peer's domain model, apart from `peer` so that module imports without the library.

The library finds event classes again by their module path when it reads them back, so
they must live at module level in an importable module, not inside a function.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Subject(Aggregate):
    """Everything the log says about one id (event, claim, source or entity)."""

    def __init__(self, id: UUID, kind: str, data: dict[str, Any]) -> None:
        self.kind = kind
        self.entries = 1

    @event("Recorded")
    def record(self, kind: str, data: dict[str, Any]) -> None:
        self.kind = kind
        self.entries += 1


class Chronology(Application):
    """A plain application: repository, notification log, SQLite through the environment."""
