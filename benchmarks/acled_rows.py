"""Synthetic ACLED releases: rows in ACLED's current 31 columns, a pure function of size and seed.

The rows look like a Sahel extract: a few hundred actors (some in the "ACR: Long
name" form), some thousands of places with coordinates and admin areas, dates
from 2018 to 2024 at every time precision (mostly days), dyadic and one-sided
events, fatalities skewed towards zero. ``--revise`` writes the same events as a
later release would: a share of them with another toll, a moved place or a later
timestamp, a share left out, a few new ones.

    python benchmarks/acled_rows.py --rows 300000 --seed 1 --output acled.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from chronicle.importers.acled import COLUMNS

DEFAULT_SEED = 1
COUNTRIES = (
    ("Mali", "466", "MLI", (10.2, 25.0), (-12.2, 4.2)),
    ("Burkina Faso", "854", "BFA", (9.4, 15.0), (-5.5, 2.4)),
    ("Niger", "562", "NER", (11.7, 23.5), (0.2, 15.9)),
    ("Chad", "148", "TCD", (7.5, 23.4), (13.5, 24.0)),
    ("Mauritania", "478", "MRT", (14.7, 27.3), (-17.0, -4.8)),
)
EVENTS = (
    ("Political violence", "Battles", "Armed clash"),
    ("Political violence", "Battles", "Government regains territory"),
    ("Political violence", "Violence against civilians", "Attack"),
    ("Political violence", "Explosions/Remote violence", "Air/drone strike"),
    ("Political violence", "Explosions/Remote violence", "Remote explosive/landmine/IED"),
    ("Demonstrations", "Protests", "Peaceful protest"),
    ("Strategic developments", "Strategic developments", "Looting/property destruction"),
)
INTER = ("State forces", "Rebel group", "Political militia", "Identity militia", "Civilians")
WORDS = (
    "fighters", "attacked", "convoy", "village", "near", "checkpoint", "soldiers", "reported",
    "killed", "wounded", "militants", "clashed", "market", "road", "patrol", "camp",
)  # fmt: skip
FIRST_DAY, DAYS = date(2018, 1, 1), 7 * 365


class World:
    """The fixed cast: actors and places, drawn once from the seed."""

    def __init__(self, rng: random.Random) -> None:
        self.actors = [self._actor(i, rng) for i in range(400)]
        self.places = [self._place(i, rng) for i in range(6000)]

    @staticmethod
    def _actor(i: int, rng: random.Random) -> str:
        if i % 5 == 0:
            acronym = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVW") for _ in range(4))
            return f"{acronym}{i}: Movement for the Liberation of Area {i}"
        country = COUNTRIES[i % len(COUNTRIES)][0]
        kind = rng.choice(("Communal Militia", "Unidentified Armed Group", "Military Forces"))
        return f"{kind} ({country}) {i}"

    @staticmethod
    def _place(i: int, rng: random.Random) -> tuple:
        country = COUNTRIES[i % len(COUNTRIES)]
        (lat0, lat1), (lon0, lon1) = country[3], country[4]
        lat, lon = round(rng.uniform(lat0, lat1), 4), round(rng.uniform(lon0, lon1), 4)
        return (
            country,
            f"Place {i}",
            f"Region {i % 37}",
            f"Cercle {i % 211}",
            f"Commune {i}",
            lat,
            lon,
        )


def _row(key: int, rng: random.Random, world: World, stamp: int) -> list[str]:
    country, location, admin1, admin2, admin3, lat, lon = rng.choice(world.places)
    disorder, event_type, sub = rng.choice(EVENTS)
    day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    precision = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
    one_sided = rng.random() < 0.2
    actor1, actor2 = rng.sample(world.actors, 2)
    inter1, inter2 = rng.choice(INTER), "" if one_sided else rng.choice(INTER)
    fatalities = 0 if rng.random() < 0.55 else int(rng.expovariate(1 / 6))
    notes = f"On {day:%d %B %Y}, " + " ".join(rng.choice(WORDS) for _ in range(18)) + "."
    values = {
        "event_id_cnty": f"{country[2]}{key}",
        "event_date": f"{day:%d %B %Y}",
        "year": str(day.year),
        "time_precision": str(precision),
        "disorder_type": disorder,
        "event_type": event_type,
        "sub_event_type": sub,
        "actor1": actor1,
        "assoc_actor_1": rng.choice(world.actors) if rng.random() < 0.2 else "",
        "inter1": inter1,
        "actor2": "" if one_sided else actor2,
        "assoc_actor_2": "",
        "inter2": inter2,
        "interaction": f"{inter1}-{inter2}" if inter2 else f"{inter1} only",
        "civilian_targeting": "Civilian targeting" if inter2 == "Civilians" else "",
        "iso": country[1],
        "region": "Western Africa",
        "country": country[0],
        "admin1": admin1,
        "admin2": admin2,
        "admin3": admin3,
        "location": location,
        "latitude": f"{lat:.4f}",
        "longitude": f"{lon:.4f}",
        "geo_precision": str(rng.choice((1, 1, 1, 2, 3))),
        "source": rng.choice(("AFP", "Reuters", "Local partner", "Le Monde; RFI")),
        "source_scale": rng.choice(("National", "International", "Subnational")),
        "notes": notes,
        "fatalities": str(fatalities),
        "tags": "",
        "timestamp": str(stamp),
    }
    return [values[c] for c in COLUMNS]


def rows(count: int, seed: int, revise: bool = False) -> Iterator[list[str]]:
    """The release's rows; with ``revise``, the next release of the same events."""
    world = World(random.Random(seed))
    for key in range(1, count + 1):
        rng = random.Random(seed * 1_000_003 + key)  # each event stable across releases
        row = _row(key, rng, world, 1_700_000_000)
        if revise:
            change = random.Random(seed * 7 + key).random()
            if change < 0.02:
                continue  # left out of the later release
            if change < 0.07:
                row[COLUMNS.index("fatalities")] = str(int(row[COLUMNS.index("fatalities")]) + 1)
                row[COLUMNS.index("timestamp")] = "1710000000"
        yield row
    if revise:
        for key in range(count + 1, count + 1 + count // 100):
            yield _row(key, random.Random(seed * 1_000_003 + key), world, 1_710_000_000)


def write(out: TextIO, count: int, seed: int, revise: bool = False) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    written = 0
    for row in rows(count, seed, revise):
        writer.writerow(row)
        written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--revise", action="store_true", help="the next release of those rows")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    with args.output.open("w", newline="", encoding="utf-8") as out:
        write(out, args.rows, args.seed, args.revise)
    return 0


if __name__ == "__main__":
    sys.exit(main())
