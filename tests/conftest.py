"""Shared fixtures: a fresh store, and one loaded with a small chronology."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronicle.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "chronicle.db"


@pytest.fixture
def store(store_path: Path):
    with Store.open(store_path, create=True) as opened:
        yield opened


@pytest.fixture
def mini_store(store: Store) -> Store:
    """Two events, two disagreeing claims, a place with three spellings."""
    with (FIXTURES / "mini.ndjson").open("rb") as handle:
        store.import_lines(handle, name="mini.ndjson")
    return store
