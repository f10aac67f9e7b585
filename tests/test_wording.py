"""One wording for a claim's figures, in the terminal, the app and every export.

Units agree with their figure ("1 helicopter", "at least 1 person") and counts with
their noun ("1980: 1 event"), wherever the words are shown.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from export_samples import build_store, export_text
from hypothesis import given
from hypothesis import strategies as st
from rich.style import Style

from chronicle import queries
from chronicle.cli import cli
from chronicle.tui.detail import claim_line
from chronicle.wording import counted, figure, singular, unit_for

BATTLE = "ev:2024-07-battle-of-tinzaouaten"
CRASH = "ev:2024-07-kidal-helicopter-crash"


@pytest.mark.parametrize(
    ("claim", "words"),
    [
        ({"best": 1, "unit": "helicopters"}, "1 helicopter"),
        ({"best": 2, "unit": "helicopters"}, "2 helicopters"),
        ({"low": 1, "unit": "people"}, "at least 1 person"),
        ({"high": 1.0, "unit": "Malian soldiers"}, "at most 1 Malian soldier"),
        ({"low": 1, "high": 1, "unit": "casualties"}, "1 casualty"),
        ({"low": 1, "high": 3, "unit": "people"}, "1–3 people"),
        ({"low": 1, "best": 2, "unit": "people"}, "at least 1 (best 2) people"),
        ({"best": 1, "unit": "tonnes of food"}, "1 tonne of food"),
        ({"best": 1, "unit": "boxes"}, "1 box"),
        ({"best": 1, "unit": "men", "value_text": "one man"}, "1 man (“one man”)"),
        ({"best": 0, "unit": "people"}, "0 people"),
    ],
)
def test_units_agree_with_their_figure(claim: dict, words: str) -> None:
    assert figure(claim) == words


def test_words_that_only_look_plural_stay_as_written() -> None:
    assert [singular(w) for w in ("bus", "status", "glass", "analysis", "crew")] == [
        "bus", "status", "glass", "analysis", "crew",
    ]  # fmt: skip
    assert singular("People") == "Person" and singular("CASUALTIES") == "CASUALTY"


@given(st.text(min_size=1, max_size=30))
def test_a_plural_unit_is_never_touched(unit: str) -> None:
    assert unit_for(unit, one=False) == unit


def test_counts_agree_with_their_noun() -> None:
    assert [counted(n, "event") for n in (0, 1, 2)] == ["0 events", "1 event", "2 events"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("wording") / "store.db"
    store = build_store(path, hostile=False)
    yield store
    store.close()


def test_exports_say_one_helicopter_and_at_least_one_person(seeded) -> None:
    text = export_text(seeded.conn, "timeline", "markdown")
    assert "Wagner Group says 1 helicopter (“one of two helicopters”)" in text
    assert "at least 1 person (“casualties, among them its commander" in text
    assert "1 helicopters" not in text and "1 people" not in text


def test_the_chart_counts_one_event_in_the_singular(seeded) -> None:
    page = export_text(seeded.conn, "timeline", "html")
    counts = dict(queries.density(seeded.conn))
    single = [year for year, n in counts.items() if n == 1]
    assert single, "the seeds have a year with one event"
    assert f"<title>{single[0]}: 1 event</title>" in page
    assert ": 1 events<" not in page


def test_the_app_and_the_command_line_word_a_claim_as_the_exports_do(seeded) -> None:
    detail = queries.show(seeded.conn, CRASH)
    for claim in detail.claims:
        assert figure(claim) in claim_line(claim, False, lambda _name: Style()).plain
    result = CliRunner().invoke(
        cli,
        ["--store", str(seeded.path), "disputes", "--event", CRASH, "--all", "--format", "table"],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    assert "actor:fama: 1 helicopter (“one of its helicopters”)" in result.output
