"""The team-log benchmark runs end to end at a tiny size (it asserts no timing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_the_team_benchmark_measures_every_figure(pg_server) -> None:
    if not pg_server.private:
        pytest.skip("the peer connects through the tests' own server's socket")
    sys.path.insert(0, str(BENCHMARKS))  # the scripts import each other by bare name
    try:
        import team

        results = team.measure(pg_server, [1, 2], count=3, entries=300)
    finally:
        sys.path.remove(str(BENCHMARKS))
    for row in results["appends"]:
        for side in ("chronicle", "peer"):
            assert row[side]["appends"] == 3 * row["writers"]
            assert row[side]["per_s"] > 0 and row[side]["p99_ms"] >= row[side]["p50_ms"] > 0
    clone = results["clone"]
    assert clone["entries"] == 300 and clone["clone_per_s"] > 0 and clone["import_per_s"] > 0
