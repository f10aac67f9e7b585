"""Moving through the timeline: step, page, ends, years, dates, panes and links."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import drive, make_store, new_app, press, selected, shown_detail, type_text

from chronicle import queries
from chronicle.store import Store

# The fixture's active events in chronological order (retracted and merged ones hidden).
ORDER = [
    "ev:uprising", "ev:accord", "ev:coup1", "ev:coup2", "ev:un", "ev:kidal", "ev:battle",
    "ev:helicopter", "ev:ambush", "ev:markup",
]  # fmt: skip


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


def test_fixture_order_is_the_store_order(store_file: Path) -> None:
    with Store.open(store_file, readonly=True) as store:
        assert queries.timeline_ids(store.conn) == ORDER


def test_opens_on_the_first_event_with_its_detail(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        assert app.timeline.count == len(ORDER)
        assert selected(app) == "ev:uprising"
        assert shown_detail(app) == "ev:uprising"
        assert app.focused is app.timeline

    drive(new_app(store_file), scenario)


def test_j_k_and_arrows_step_and_the_detail_follows(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "j")
        assert selected(app) == "ev:accord"
        await press(pilot, "down", "down")
        assert selected(app) == "ev:coup2"
        assert shown_detail(app) == "ev:coup2"
        await press(pilot, "k")
        assert selected(app) == "ev:coup1"
        await press(pilot, "up", "up", "up")  # stops at the first event
        assert selected(app) == "ev:uprising"

    drive(new_app(store_file), scenario)


def test_g_and_G_and_home_end_go_to_the_ends(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "G")
        assert selected(app) == ORDER[-1]
        await press(pilot, "g")
        assert selected(app) == ORDER[0]
        await press(pilot, "end")
        assert selected(app) == ORDER[-1]
        await press(pilot, "home")
        assert selected(app) == ORDER[0]

    drive(new_app(store_file), scenario)


def test_page_keys_move_a_screenful(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        height = app.timeline.scrollable_content_region.height
        assert height < len(ORDER)
        await press(pilot, "pagedown")
        assert selected(app) == ORDER[height]
        await press(pilot, "pagedown")
        assert selected(app) == ORDER[-1]  # stops at the last event
        await press(pilot, "pageup")
        assert selected(app) == ORDER[len(ORDER) - 1 - height]

    drive(new_app(store_file), scenario, size=(80, 12))


def test_brackets_jump_a_year(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "right_square_bracket")
        assert selected(app) == "ev:accord"  # 2012 -> the first event of a later year
        await press(pilot, "right_square_bracket")
        assert selected(app) == "ev:coup1"  # no 2016-2019 events: lands on 2020
        await press(pilot, "G", "left_square_bracket")
        assert selected(app) == "ev:battle"  # back to the start of 2024
        await press(pilot, "left_square_bracket")
        assert selected(app) == "ev:un"  # then to 2023

    drive(new_app(store_file), scenario)


def test_t_jumps_to_a_date_in_edtf_or_words(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "t")
        await type_text(pilot, "Nov 2023")
        hint = app.screen.query_one("#prompt-hint").render()
        assert "2023-11-01" in str(hint)
        await press(pilot, "enter")
        assert selected(app) == "ev:kidal"
        await press(pilot, "t")
        await type_text(pilot, "2020-08")
        await press(pilot, "enter")
        assert selected(app) == "ev:coup1"

    drive(new_app(store_file), scenario)


def test_t_refuses_a_date_it_cannot_read(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "t")
        await type_text(pilot, "2024-13")
        hint = app.screen.query_one("#prompt-hint")
        assert hint.has_class("-invalid")
        await press(pilot, "enter")  # refused: the prompt stays
        assert app.screen.query("#prompt-input")
        await press(pilot, "escape")
        assert selected(app) == "ev:uprising"

    drive(new_app(store_file), scenario)


def test_enter_and_tab_move_between_panes_and_links_are_followed(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        await press(pilot, "G", "k")  # ev:ambush, which follows the battle
        assert selected(app) == "ev:ambush"
        await press(pilot, "enter")
        links = app.detail.query_one("#detail-links")
        assert app.focused is links
        await press(pilot, "enter")  # follow: the cursor goes to the linked event
        assert selected(app) == "ev:battle"
        assert shown_detail(app) == "ev:battle"
        assert app.focused is app.timeline
        await press(pilot, "tab")
        assert app.focused is not app.timeline
        await press(pilot, "escape")
        assert app.focused is app.timeline

    drive(new_app(store_file), scenario)


def test_following_a_link_out_of_the_view_says_so(store_file: Path) -> None:
    async def scenario(app, pilot) -> None:
        assert app.go_to_event("ev:rumour") is False  # retracted: not in the view
        assert "not in this view" in app.message
        assert selected(app) == "ev:uprising"

    drive(new_app(store_file), scenario)


def test_an_empty_store_opens_and_keys_are_harmless(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.db", create=True):
        pass

    async def scenario(app, pilot) -> None:
        assert app.timeline.count == 0
        await press(pilot, "j", "k", "G", "g", "pagedown", "right_square_bracket", "n", "comma")
        assert selected(app) is None
        assert app.detail.detail is None
        await press(pilot, "escape", "e")
        assert "no event selected" in app.message

    drive(new_app(tmp_path / "empty.db"), scenario)
