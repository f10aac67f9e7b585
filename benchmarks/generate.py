"""Synthetic chronicle log in the interchange format, for benchmarks at scale.

The store has to be measured on a log that looks like real use (dates of every
precision, disputed figures, corrections, retractions, merges), not on a million
copies of one line: the cost of projection, search and export depends on that shape.
The output is a pure function of (entries, seed) so that every run of the harness,
on any machine, measures the same bytes.

    python benchmarks/generate.py --entries 1000000 --seed 1 --output log.ndjson
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

DEFAULT_ENTRIES = 1_000_000
DEFAULT_SEED = 1

SOURCE_SHARE = 0.02
ENTITY_SHARE = 0.03
PLACE_SHARE_OF_ENTITIES = 0.3
CLAIMED_EVENT_SHARE = 0.30

#: Relative weights of the entry types once sources and entities are registered.
#: Claims only flow while some event still waits for its planned claims, so their
#: realised share settles a little below the weight.
STREAM_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("event.asserted", 36.0),
    ("claim.asserted", 36.0),
    ("event.corrected", 10.0),
    ("event.retracted", 3.0),
    ("event.merged", 1.0),
    ("event.linked", 4.0),
    ("claim.ranked", 3.0),
    ("entity.aliased", 2.0),
    ("claim.retracted", 0.5),
)

#: First transaction time; entries follow at synthetic, strictly increasing seconds.
EPOCH = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp())

AUTHORS = (
    "a.maiga",
    "b.traore",
    "c.dubois",
    "d.keita",
    "e.haidara",
    "f.ag-ahmed",
    "g.sangare",
    "h.cisse",
    "i.diallo",
    "j.martin",
    "k.ould-sidi",
    "l.coulibaly",
)
ROLES = (
    "attacker",
    "defender",
    "belligerent",
    "party",
    "signatory",
    "mediator",
    "target",
    "claimant",
    "leader",
    "subject",
)
TAGS = (
    "battle",
    "ambush",
    "airstrike",
    "drone",
    "coup",
    "accord",
    "negotiation",
    "withdrawal",
    "statement",
    "casualties",
    "displacement",
    "kidnapping",
    "siege",
    "protest",
    "sanctions",
    "humanitarian",
    "election",
    "background",
)
RELATIONS = ("part_of", "follows", "causes", "responds_to", "contradicts")
SOURCE_KINDS = (("news", 55), ("statement", 15), ("report", 15), ("social", 10), ("other", 5))
LANGUAGES = (("fr", 45), ("en", 40), ("ar", 10), ("tmh", 5))
PUBLISHERS = (
    "Sahel Observer",
    "Le Républicain du Nord",
    "Desert Wire",
    "Agence Fleuve",
    "Gao Daily",
    "Radio Azawad",
    "Field Monitor",
    "Conflict Ledger",
    "Regional Security Review",
    "Humanitarian Bulletin",
)
CLAIM_PROPERTIES = (
    ("killed", 40),
    ("wounded", 20),
    ("captured", 8),
    ("missing", 6),
    ("fighters", 8),
    ("vehicles_lost", 8),
    ("aircraft_lost", 2),
    ("when", 4),
    ("other", 4),
)
UNITS = {"vehicles_lost": "vehicles", "aircraft_lost": "aircraft", "when": None, "other": None}
VAGUE_FIGURES = ("dozens", "several", "a handful", "scores", "hundreds", "more than 100", "few")
RANKS = ("preferred", "normal", "deprecated")
REASONS = (
    "Later report gives a more precise date",
    "Second source contradicts the first account",
    "Place name misread in the original dispatch",
    "Duplicate of an event already recorded",
    "Claimant withdrew the statement",
    "Figures revised after field verification",
    "Translation error in the quoted statement",
    "Satellite imagery places the event elsewhere",
    "Actor misidentified in the first report",
    "Witness accounts disagree with the official version",
)
_WORD_TEXT = """
    convoy patrol column attack ambush clash fighting assault raid strike drone helicopter
    army soldiers fighters militants rebels coalition movement group katiba battalion unit
    mercenaries contractors officers commander leader spokesman statement communique claim
    report witnesses residents villagers elders traders herders refugees displaced civilians
    town village market camp base outpost checkpoint road track well wadi dune border river
    north south east west desert plateau valley oasis airstrip garrison barracks bridge
    killed wounded captured missing dead injured prisoners hostages casualties losses bodies
    vehicles trucks pickups motorcycles weapons ammunition mines explosive device sandstorm
    morning evening night dawn dusk days weeks hours week month season rainy dry harvest
    withdrew advanced retreated surrounded seized retook entered occupied abandoned burned
    negotiated signed accord ceasefire truce talks mediation envoy delegation mission peace
    government junta ministry transition council election referendum sanctions embargo aid
    local regional national foreign heavy light fierce brief long several many few dozens
    according sources said claimed denied confirmed reported announced stated published
    after before during while near between along across around toward from into under over
    the a of in on at by with and but as for to its their his her this that Kidal Gao
    Timbuktu Ménaka Tessalit Anefis Aguelhok Léré Ber Bourem Ansongo Ségou Mopti
"""
WORDS = tuple(_WORD_TEXT.split())
SYLLABLES = (
    "ta", "tin", "za", "ou", "ten", "ag", "ke", "dal", "me", "na", "ka", "ber", "an", "ef",
    "is", "so", "ra", "ma", "lé", "gou", "tes", "sa", "lit", "dou", "ent", "za", "ha", "ri",
)  # fmt: skip
GROUP_HEADS = ("Front", "Movement", "Coalition", "Katiba", "Brigade", "Council", "Alliance")
GROUP_TAILS = ("for the Liberation of", "for the Defence of", "of the People of", "of")
PLACE_PREFIXES = ("", "", "", "Tin ", "In ", "Ber ", "Ti-")


#: What each producer returns: entry type, subject, data.
Produced = tuple[str, str, dict[str, Any]]
#: A claim waiting to be asserted: event index, property, about, base figure, claimant.
PlannedClaim = tuple[int, str, str | None, int, str]


@dataclass
class Stats:
    """What the generator emitted, so the CLI and the tests can check proportions."""

    entries: int = 0
    bytes: int = 0
    seconds: float = 0.0
    types: Counter[str] = field(default_factory=Counter)

    @property
    def bytes_per_entry(self) -> float:
        return self.bytes / self.entries if self.entries else 0.0

    @property
    def rate(self) -> float:
        return self.entries / self.seconds if self.seconds else 0.0


class _Log:
    """State the stream needs so every reference points at something still valid.

    Only integers and short strings are kept per event and claim, which is what keeps a
    million entries within tens of megabytes.
    """

    def __init__(self, entries: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.entries = entries
        self.clock = EPOCH
        self.sources: list[str] = []
        self.actors: list[str] = []
        self.places: list[str] = []
        self.place_names: list[list[str]] = []
        self.entity_names: dict[str, list[str]] = {}
        self.live: list[int] = []
        self.live_pos = array("q")
        self.event_actors = array("q")
        self.claim_event = array("q")
        self.claim_dead = bytearray()
        self.pending_claims: list[PlannedClaim] = []
        self.stream_types = [t for t, _ in STREAM_WEIGHTS]
        self.stream_weights = [w for _, w in STREAM_WEIGHTS]

    # ---- words ---------------------------------------------------------------

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(WORDS, k=self.rng.randint(low, high)))

    def sentence(self, low: int = 8, high: int = 20) -> str:
        text = self.words(low, high)
        return text[0].upper() + text[1:] + "."

    def proper_name(self, low: int = 2, high: int = 4) -> str:
        syllables = self.rng.choices(SYLLABLES, k=self.rng.randint(low, high))
        return "".join(syllables).capitalize()

    def variant(self, name: str) -> str:
        """A second spelling of a name, the way reports transliterate one town three ways."""
        rng = self.rng
        choice = rng.randrange(5)
        if choice == 0 and "ou" in name:
            return name.replace("ou", "u", 1)
        if choice == 1:
            return name + rng.choice(("e", "ine", "a"))
        if choice == 2 and len(name) > 4:
            cut = rng.randrange(2, len(name) - 1)
            return name[:cut] + " " + name[cut].upper() + name[cut + 1 :]
        if choice == 3:
            initials = "".join(word[0] for word in name.split()).upper()
            return initials + self.proper_name(1, 1)
        return name + "-" + self.proper_name(1, 2)

    # ---- dates ---------------------------------------------------------------

    def year(self) -> int:
        if self.rng.random() < 0.8:
            return self.rng.randint(2012, 2024)
        return self.rng.randint(1960, 2011)

    def day(self) -> dt.date:
        return dt.date(self.year(), 1, 1) + dt.timedelta(days=self.rng.randrange(365))

    def when(self) -> str:
        """An EDTF date, at one of the precisions that real reporting uses."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return self.day().isoformat()
        if roll < 0.47:
            start = self.day()
            end = start + dt.timedelta(days=rng.randint(1, 10))
            return f"{start.isoformat()}/{end.isoformat()}"
        if roll < 0.62:
            return f"{self.year()}-{rng.randint(1, 12):02d}"
        if roll < 0.68:
            return f"{self.year()}-{rng.randint(21, 24)}"
        if roll < 0.78:
            return str(self.year())
        if roll < 0.84:
            return f"{self.year()}~"
        if roll < 0.90:
            return f"{self.year()}-{rng.randint(1, 12):02d}?"
        if roll < 0.94:
            return f"{rng.randint(196, 200)}X"
        if rng.random() < 0.5:
            return f"{rng.randint(2015, 2024)}/.."
        return f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}/.."

    # ---- envelope --------------------------------------------------------------

    def recorded_at(self) -> str:
        self.clock += self.rng.randint(1, 90)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock))

    def envelope(self, number: int, kind: str, subject: str, data: dict[str, Any]) -> dict:
        return {
            "id": f"g-{number:07d}",
            "type": kind,
            "subject": subject,
            "author": self.rng.choice(AUTHORS),
            "recorded_at": self.recorded_at(),
            "schema": 1,
            "data": data,
        }

    # ---- registrations ---------------------------------------------------------

    def source(self) -> Produced:
        rng = self.rng
        source_id = f"src:{len(self.sources) + 1:06d}"
        self.sources.append(source_id)
        publisher = rng.choice(PUBLISHERS)
        published = self.day()
        data: dict[str, Any] = {
            "source_id": source_id,
            "title": self.sentence(5, 12)[:-1],
            "publisher": publisher,
        }
        if rng.random() < 0.6:
            data["author"] = f"{self.proper_name(2, 3)} {self.proper_name(2, 3)}"
        data["published"] = published.isoformat()
        slug = publisher.lower().replace(" ", "-").replace("é", "e")
        data["url"] = f"https://{slug}.example/{published:%Y/%m}/{source_id[4:]}"
        data["language"] = _weighted(rng, LANGUAGES)
        data["kind"] = _weighted(rng, SOURCE_KINDS)
        if rng.random() < 0.3:
            data["locator"] = f"p. {rng.randint(1, 40)}"
        return "source.registered", source_id, data

    def entity(self, is_place: bool) -> Produced:
        rng = self.rng
        if is_place:
            entity_id = f"place:{len(self.places) + 1:06d}"
            name = rng.choice(PLACE_PREFIXES) + self.proper_name(2, 4)
        else:
            entity_id = f"actor:{len(self.actors) + 1:06d}"
            name = self.group_name()
        aliases = sorted({self.variant(name) for _ in range(rng.randint(0, 4))} - {name})
        data: dict[str, Any] = {
            "entity_id": entity_id,
            "kind": "place" if is_place else "actor",
            "name": name,
            "aliases": aliases,
        }
        if rng.random() < 0.5:
            data["description"] = self.sentence(6, 14)
        if is_place:
            data["lat"] = round(rng.uniform(10.0, 25.0), 4)
            data["lon"] = round(rng.uniform(-12.0, 10.0), 4)
            self.places.append(entity_id)
            self.place_names.append([name, *aliases])
        else:
            self.actors.append(entity_id)
        self.entity_names[entity_id] = [name, *aliases]
        return "entity.registered", entity_id, data

    def group_name(self) -> str:
        rng = self.rng
        head = rng.choice(GROUP_HEADS)
        if head == "Katiba":
            return f"Katiba {self.proper_name()}"
        return f"{head} {rng.choice(GROUP_TAILS)} {self.proper_name()}"

    def aliased(self) -> Produced:
        pool = self.actors if self.rng.random() < 0.6 or not self.places else self.places
        entity_id = self.rng.choice(pool)
        names = self.entity_names[entity_id]
        alias = self.variant(names[0])
        while alias in names:
            alias = alias + self.proper_name(1, 1).lower()
        names.append(alias)
        return "entity.aliased", entity_id, {"entity_id": entity_id, "alias": alias}

    # ---- events ----------------------------------------------------------------

    def actors_list(self) -> tuple[list[dict[str, str]], list[int]]:
        count = min(self.rng.randint(3, 10), len(self.actors))
        chosen = self.rng.sample(range(len(self.actors)), count)
        listed = [{"entity": self.actors[a], "role": self.rng.choice(ROLES)} for a in chosen]
        return listed, chosen

    def citations(self, low: int, high: int, place: int | None) -> list[dict[str, str]]:
        rng = self.rng
        chosen = rng.sample(self.sources, min(rng.randint(low, high), len(self.sources)))
        citations = []
        for source in chosen:
            citation = {"source": source}
            if rng.random() < 0.15:
                citation["quote"] = self.words(4, 10)
            if rng.random() < 0.15:
                citation["locator"] = f"para. {rng.randint(1, 30)}"
            if place is not None and rng.random() < 0.1:
                citation["named_as"] = rng.choice(self.place_names[place])
            citations.append(citation)
        return citations

    def pick_place(self) -> int | None:
        if not self.places or self.rng.random() < 0.1:
            return None
        return self.rng.randrange(len(self.places))

    def tags(self) -> list[str]:
        return self.rng.sample(TAGS, self.rng.randint(1, 4))

    def summary(self) -> str:
        return " ".join(self.sentence(5, 13) for _ in range(self.rng.randint(1, 3)))

    def asserted(self) -> Produced:
        index = len(self.live_pos)
        event_id = _event_id(index)
        place = self.pick_place()
        actors, chosen = self.actors_list()
        data: dict[str, Any] = {"event_id": event_id, "title": self.sentence(3, 9)[:-1]}
        data["when"] = self.when()
        if place is not None:
            data["place"] = self.places[place]
        data["actors"] = actors
        data["tags"] = self.tags()
        data["summary"] = self.summary()
        data["citations"] = self.citations(3, 10, place)
        self.live_pos.append(len(self.live))
        self.live.append(index)
        self.event_actors.extend((chosen[0], chosen[1 % len(chosen)]))
        if self.rng.random() < CLAIMED_EVENT_SHARE:
            self.plan_claims(index)
        return "event.asserted", event_id, data

    def pick_live(self, recent: bool = True) -> int:
        """A live event, usually a recent one: corrections follow their events closely."""
        count = len(self.live)
        if recent and self.rng.random() < 0.7:
            back = min(int(self.rng.expovariate(1 / 2000)), count - 1)
            return self.live[count - 1 - back]
        return self.live[self.rng.randrange(count)]

    def kill(self, index: int) -> None:
        """Forget an event that is retracted or merged away; nothing may point to it again."""
        pos = self.live_pos[index]
        last = self.live.pop()
        if last != index:
            self.live[pos] = last
            self.live_pos[last] = pos
        self.live_pos[index] = -1

    def corrected(self) -> Produced:
        rng = self.rng
        event_id = _event_id(self.pick_live())
        fields = rng.sample(
            ("title", "when", "place", "actors", "tags", "summary"), rng.randint(1, 3)
        )
        changes: dict[str, Any] = {}
        for name in sorted(fields):
            if name == "title":
                changes["title"] = self.sentence(3, 9)[:-1]
            elif name == "when":
                changes["when"] = self.when()
            elif name == "place" and self.places:
                changes["place"] = rng.choice(self.places)
            elif name == "actors":
                changes["actors"] = self.actors_list()[0]
            elif name == "tags":
                changes["tags"] = self.tags()
            else:
                changes["summary"] = self.summary()
        data = {
            "event_id": event_id,
            "changes": changes,
            "reason": self.reason(),
            "citations": self.citations(1, 2, None),
        }
        return "event.corrected", event_id, data

    def reason(self) -> str:
        reason = self.rng.choice(REASONS)
        if self.rng.random() < 0.5:
            reason += "; " + self.words(4, 12)
        return reason

    def retracted(self) -> Produced:
        index = self.pick_live()
        self.kill(index)
        event_id = _event_id(index)
        data = {
            "event_id": event_id,
            "reason": self.reason(),
            "citations": self.citations(1, 2, None),
        }
        return "event.retracted", event_id, data

    def merged(self) -> Produced:
        index, into = self.two_live()
        self.kill(index)
        event_id = _event_id(index)
        data = {"event_id": event_id, "into": _event_id(into), "reason": self.reason()}
        return "event.merged", event_id, data

    def linked(self) -> Produced:
        index, target = self.two_live()
        event_id = _event_id(index)
        relation = self.rng.choice(RELATIONS)
        data = {"event_id": event_id, "relation": relation, "target": _event_id(target)}
        return "event.linked", event_id, data

    def two_live(self) -> tuple[int, int]:
        first = self.pick_live()
        second = self.pick_live()
        while second == first:
            second = self.pick_live(recent=False)
        return first, second

    # ---- claims ----------------------------------------------------------------

    def plan_claims(self, event: int) -> None:
        """Queue competing claims on the same (event, property, about): that is a dispute."""
        rng = self.rng
        groups = 1 if rng.random() < 0.7 else 2
        for _ in range(groups):
            prop = _weighted(rng, CLAIM_PROPERTIES)
            about = None
            if prop not in ("when", "other"):
                about = self.actors[self.event_actors[2 * event + rng.randrange(2)]]
            base = int(10 ** rng.uniform(0, 3))
            for claimant in self.claimants(event, rng.randint(2, 3)):
                self.pending_claims.append((event, prop, about, base, claimant))

    def claimants(self, event: int, count: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < count:
            roll = self.rng.random()
            if roll < 0.4:
                candidate = self.actors[self.event_actors[2 * event + self.rng.randrange(2)]]
            elif roll < 0.6:
                candidate = self.rng.choice(self.actors)
            else:
                candidate = self.rng.choice(self.sources)
            if candidate not in chosen:
                chosen.append(candidate)
        return chosen

    def next_pending(self) -> PlannedClaim | None:
        """A queued claim whose event is still live (claims on dead events are dropped)."""
        pending = self.pending_claims
        while pending:
            pos = self.rng.randrange(len(pending))
            pending[pos], pending[-1] = pending[-1], pending[pos]
            planned = pending.pop()
            if self.live_pos[planned[0]] >= 0:
                return planned
        return None

    def claim(self, planned: PlannedClaim) -> Produced:
        rng = self.rng
        event, prop, about, base, claimant = planned
        claim_id = f"cl:{len(self.claim_event) + 1:07d}"
        self.claim_event.append(event)
        self.claim_dead.append(0)
        data: dict[str, Any] = {
            "claim_id": claim_id,
            "event_id": _event_id(event),
            "claimant": claimant,
            "property": prop,
        }
        if about is not None:
            data["about"] = about
        data.update(self.figures(prop, base))
        data["source"] = rng.choice(self.sources)
        if rng.random() < 0.2:
            data["quote"] = self.words(3, 8)
        return "claim.asserted", claim_id, data

    def figures(self, prop: str, base: int) -> dict[str, Any]:
        """Each claimant's own version of one underlying figure: close, inflated or vague."""
        rng = self.rng
        if prop == "when":
            return {"value_text": self.when()}
        if prop == "other":
            return {"value_text": self.words(2, 6)}
        unit = UNITS.get(prop, "people")
        figures: dict[str, Any] = {}
        best = max(0, round(base * rng.choice((0.1, 0.3, 0.5, 1, 1, 1.5, 2, 4))))
        roll = rng.random()
        if roll < 0.5:
            figures["best"] = best
        elif roll < 0.8:
            figures["low"] = best // 2
            figures["high"] = best * 2 + 1
        else:
            figures["value_text"] = rng.choice(VAGUE_FIGURES)
        if unit is not None:
            figures["unit"] = unit
        return figures

    def live_claim(self) -> int | None:
        """A claim that is not retracted and whose event is live, if one is found quickly."""
        count = len(self.claim_event)
        for _ in range(8):
            if not count:
                return None
            claim = count - 1 - min(int(self.rng.expovariate(1 / 3000)), count - 1)
            if not self.claim_dead[claim] and self.live_pos[self.claim_event[claim]] >= 0:
                return claim
        return None

    def ranked(self, claim: int) -> Produced:
        claim_id = f"cl:{claim + 1:07d}"
        data = {"claim_id": claim_id, "rank": self.rng.choice(RANKS), "reason": self.reason()}
        return "claim.ranked", claim_id, data

    def claim_retracted(self, claim: int) -> Produced:
        self.claim_dead[claim] = 1
        claim_id = f"cl:{claim + 1:07d}"
        return "claim.retracted", claim_id, {"claim_id": claim_id, "reason": self.reason()}

    # ---- the stream ------------------------------------------------------------

    def stream_entry(self) -> Produced:
        """One entry of the mixed stream; falls back to a new event when a draw can't be met."""
        kind = self.rng.choices(self.stream_types, self.stream_weights)[0]
        live = len(self.live)
        if kind == "claim.asserted":
            planned = self.next_pending()
            if planned is not None:
                return self.claim(planned)
        elif kind in ("claim.ranked", "claim.retracted"):
            claim = self.live_claim()
            if claim is not None:
                return self.ranked(claim) if kind == "claim.ranked" else self.claim_retracted(claim)
        elif kind == "entity.aliased":
            return self.aliased()
        elif kind == "event.corrected" and live >= 1:
            return self.corrected()
        elif kind == "event.retracted" and live >= 50:
            return self.retracted()
        elif kind == "event.merged" and live >= 50:
            return self.merged()
        elif kind == "event.linked" and live >= 2:
            return self.linked()
        return self.asserted()

    def entries_iter(self) -> Iterator[dict[str, Any]]:
        n_sources = max(12, round(self.entries * SOURCE_SHARE))
        n_entities = max(16, round(self.entries * ENTITY_SHARE))
        n_places = max(3, round(n_entities * PLACE_SHARE_OF_ENTITIES))
        for number in range(1, self.entries + 1):
            if number <= n_sources:
                kind, subject, data = self.source()
            elif number <= n_sources + n_entities:
                place_turn = (number - n_sources) % round(n_entities / n_places) == 0
                kind, subject, data = self.entity(place_turn)
            else:
                kind, subject, data = self.stream_entry()
            yield self.envelope(number, kind, subject, data)


def _event_id(index: int) -> str:
    return f"ev:{index + 1:07d}"


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def entries(count: int = DEFAULT_ENTRIES, seed: int = DEFAULT_SEED) -> Iterator[dict[str, Any]]:
    """The synthetic log as dicts, lazily: the harness and the tests share this one source."""
    return _Log(count, seed).entries_iter()


_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def write(out: TextIO, count: int = DEFAULT_ENTRIES, seed: int = DEFAULT_SEED) -> Stats:
    """Stream the log as NDJSON; only reference bookkeeping is held in memory."""
    stats = Stats()
    start = time.perf_counter()
    for entry in entries(count, seed):
        line = _encode(entry) + "\n"
        out.write(line)
        stats.entries += 1
        stats.bytes += len(line.encode())
        stats.types[entry["type"]] += 1
    stats.seconds = time.perf_counter() - start
    return stats


def write_file(path: Path, count: int = DEFAULT_ENTRIES, seed: int = DEFAULT_SEED) -> Stats:
    """Write to a temporary name first, so an interrupted run never leaves a cached half-file."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        stats = write(out, count, seed)
    partial.replace(path)
    return stats


def _report(stats: Stats) -> None:
    print(
        f"generated {stats.entries:,} entries in {stats.seconds:.1f} s "
        f"({stats.rate:,.0f} entries/s), {stats.bytes:,} bytes "
        f"({stats.bytes_per_entry:.0f} bytes/entry)",
        file=sys.stderr,
    )
    for kind, count in sorted(stats.types.items(), key=lambda item: -item[1]):
        print(f"  {kind:<18} {count:>9,}  {100 * count / stats.entries:5.1f} %", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=DEFAULT_ENTRIES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--output", type=Path, help="NDJSON file (default: stdout)")
    args = parser.parse_args(argv)
    if args.entries < 0:
        parser.error("--entries must be >= 0")
    if args.output is None:
        stats = write(sys.stdout, args.entries, args.seed)
        sys.stdout.flush()
    else:
        stats = write_file(args.output, args.entries, args.seed)
    _report(stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
