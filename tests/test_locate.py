"""Placing a place: `entity.located` entries, through the command line and the log.

A place gets coordinates (or better ones) by a new entry; the projection holds the
latest, the log every one with its reason and sources, a rebuild gives the same, and
bad input changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.rel_support import run_cli
from support import snapshot

from chronicle.store import Store

MINI = Path(__file__).parent / "fixtures" / "mini.ndjson"


@pytest.fixture
def mini_path(store_path: Path) -> Path:
    with Store.open(store_path, create=True) as store, MINI.open("rb") as handle:
        store.import_lines(handle, name=MINI.name)
    return store_path


def point(path: Path, place: str) -> tuple:
    with Store.open(path, readonly=True) as store:
        return store.conn.execute(
            "SELECT lat, lon FROM entities WHERE entity_id = ?", (place,)
        ).fetchone()


def test_the_latest_point_is_projected_and_every_point_kept(mini_path: Path) -> None:
    first = run_cli(mini_path, "locate", "place:tinz", "--lat", "19.9", "--lon", "2.9")
    assert first.code == 0, first.err
    second = run_cli(
        mini_path, "locate", "place:tinz", "--lat", "19.9628", "--lon", "2.8828",
        "--reason", "the gazetteer's point", "--cite", "src:a",
    )  # fmt: skip
    assert second.code == 0, second.err
    assert point(mini_path, "place:tinz") == (19.9628, 2.8828)
    with Store.open(mini_path) as store:
        located = [
            json.loads(data)
            for (data,) in store.conn.execute(
                "SELECT data FROM log WHERE type = 'entity.located' ORDER BY seq"
            )
        ]
        assert [(d["lat"], d.get("reason")) for d in located] == [
            (19.9, None),
            (19.9628, "the gazetteer's point"),
        ]
        assert located[1]["citations"] == [{"source": "src:a"}]
        before = snapshot(store.conn)
        store.rebuild()
        assert snapshot(store.conn) == before
        assert store.verify().ok


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("place:tinz", "--lat", "91", "--lon", "0"), "lat"),
        (("place:tinz", "--lat", "0", "--lon", "-180.5"), "lon"),
        (("actor:jnim", "--lat", "0", "--lon", "0"), "not a place"),
        (("place:nowhere", "--lat", "0", "--lon", "0"), "unknown entity"),
        (("place:tinz", "--lat", "0", "--lon", "0", "--cite", "src:nope"), "unknown source"),
    ],
)
def test_bad_points_are_refused_and_change_nothing(mini_path: Path, args, message) -> None:
    with Store.open(mini_path, readonly=True) as store:
        head = store.head()
    done = run_cli(mini_path, "locate", *args)
    assert done.code == 1
    assert message in done.err and len(done.err.strip().splitlines()) == 1
    assert "Traceback" not in done.err
    with Store.open(mini_path, readonly=True) as store:
        assert store.head() == head


def test_a_longitude_west_of_greenwich_is_a_value_not_an_option(mini_path: Path) -> None:
    done = run_cli(mini_path, "locate", "place:tinz", "--lat", "-12.5", "--lon", "-8")
    assert done.code == 0, done.err
    assert point(mini_path, "place:tinz") == (-12.5, -8.0)
