"""Actors with roles: one rule for the command line, the app's forms and spreadsheet import.

Ids and names may hold colons, so an item is first read whole; only when it names
nothing is the part after its last colon its role.
"""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from support import entry

from chronicle import queries
from chronicle.cli import cli
from chronicle.commands import Commands
from chronicle.importers.spreadsheet import import_csv
from chronicle.store import Store

JNIM = {"entity": "actor:jnim"}


@pytest.mark.parametrize(
    ("text", "actors"),
    [
        ("JNIM", [JNIM]),
        ("actor:jnim", [JNIM]),
        ("jnim:attacker", [{**JNIM, "role": "attacker"}]),
        ("actor:jnim:attacker", [{**JNIM, "role": "attacker"}]),
        ("Jama'at Nusrat al-Islam wal-Muslimin : attacker", [{**JNIM, "role": "attacker"}]),
        (
            "JNIM:attacker; Malian armed forces:defender",
            [{**JNIM, "role": "attacker"}, {"entity": "actor:fama", "role": "defender"}],
        ),
        ("JNIM, FAMa", [JNIM, {"entity": "actor:fama"}]),
        ([{"entity_id": "actor:jnim", "role": "attacker"}], [{**JNIM, "role": "attacker"}]),
    ],
)
def test_actor_text_is_read_the_same_everywhere(mini_store: Store, text, actors) -> None:
    assert queries.actors_from(mini_store.conn, text) == actors


def test_a_name_two_entities_share_is_refused_not_guessed(mini_store: Store) -> None:
    mini_store.append([entry("entity.aliased", {"entity_id": "actor:fama", "alias": "JNIM"})])
    with pytest.raises(queries.QueryError, match="could be any of actor:fama, actor:jnim"):
        queries.actors_from(mini_store.conn, "JNIM:attacker")


def test_unknown_actors_are_named_as_given(mini_store: Store) -> None:
    with pytest.raises(queries.QueryError, match="unknown entity 'actor:nobody'"):
        queries.actors_from(mini_store.conn, "actor:nobody:attacker")
    with pytest.raises(queries.QueryError, match="no entity is called 'Nobody at all'"):
        queries.actors_from(mini_store.conn, "Nobody at all")


def _event_actors(store: Store, event_id: str) -> list[tuple[str, str | None]]:
    return [(a["entity_id"], a["role"]) for a in queries.show(store.conn, event_id).actors]


def test_the_command_line_takes_names_and_roles_like_the_forms(mini_store: Store) -> None:
    source = mini_store.conn.execute("SELECT source_id FROM sources LIMIT 1").fetchone()[0]
    result = CliRunner().invoke(cli, [
        "--store", str(mini_store.path), "add", "event", "--id", "ev:cli", "--title", "T",
        "--when", "2024", "--actor", "JNIM:attacker", "--actor", "actor:fama:defender",
        "--cite", source,
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _event_actors(mini_store, "ev:cli") == [
        ("actor:jnim", "attacker"), ("actor:fama", "defender"),
    ]  # fmt: skip
    Commands(mini_store, "t").correct("ev:cli", {"actors": ["FAMa:attacker"]}, "swapped")
    assert _event_actors(mini_store, "ev:cli") == [("actor:fama", "attacker")]


def test_a_spreadsheet_cell_gives_roles_the_same_way(mini_store: Store) -> None:
    sheet = 'title,when,actors\nT,2024,"JNIM:attacker; FAMa"\n'
    import_csv(mini_store, io.StringIO(sheet, newline=""), name="s.csv", author="t")
    event_id = mini_store.conn.execute("SELECT event_id FROM events WHERE title = 'T'").fetchone()
    assert _event_actors(mini_store, event_id[0]) == [
        ("actor:jnim", "attacker"), ("actor:fama", None),
    ]  # fmt: skip
