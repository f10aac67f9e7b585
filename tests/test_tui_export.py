"""`E` exports what is on screen (filter and as-of applied) through the CLI's exporters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from test_tui_support import drive, fill, make_store, new_app, press, status, type_text

from chronicle.store import Store


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return make_store(tmp_path / "chronicle.db")


async def export(pilot, what: str, fmt: str, path: Path) -> None:
    await press(pilot, "E")
    screen = pilot.app.screen
    screen.query_one("#field-what").value = what
    screen.query_one("#field-fmt").value = fmt
    await fill(pilot, "path", str(path))
    await press(pilot, "ctrl+s")


def test_export_applies_the_filter(store_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "coups.csv"

    async def scenario(app, pilot) -> None:
        await press(pilot, "f")
        await fill(pilot, "tags", "coup")
        await press(pilot, "ctrl+s")
        await export(pilot, "timeline", "csv", out)
        assert f"exported 2 rows to {out}" in status(app)

    drive(new_app(store_file), scenario)
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["event_id"] for r in rows] == ["ev:coup1", "ev:coup2"]


def test_export_applies_as_of(store_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "past.json"

    async def scenario(app, pilot) -> None:
        await press(pilot, "at", "ctrl+u")
        await type_text(pilot, "28")
        await press(pilot, "enter")
        await export(pilot, "timeline", "json", out)

    drive(new_app(store_file), scenario)
    rows = json.loads(out.read_text(encoding="utf-8"))
    by_id = {r["event_id"]: r for r in rows}
    assert by_id["ev:ambush"]["display"] == "27 Jul 2024"  # before its correction
    assert "ev:dup" in by_id and "ev:rumour" in by_id  # before the merge and retraction


def test_export_refuses_a_combination_without_meaning(store_file: Path, tmp_path: Path) -> None:
    async def scenario(app, pilot) -> None:
        await export(pilot, "sources", "markdown", tmp_path / "x.md")
        assert "markdown writes a chronology" in str(app.screen.query_one("#form-error").render())
        await press(pilot, "escape")

    drive(new_app(store_file), scenario)
    assert not (tmp_path / "x.md").exists()


def _form_error(app) -> str:
    return str(app.screen.query_one("#form-error").render())


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_export_refuses_the_open_store(store_file: Path, suffix: str) -> None:
    target = Path(f"{store_file}{suffix}")

    async def scenario(app, pilot) -> None:
        await export(pilot, "timeline", "csv", target)
        assert "the file is the store itself" in _form_error(app)
        await press(pilot, "ctrl+s")  # asking again changes nothing
        assert "the file is the store itself" in _form_error(app)
        await press(pilot, "escape")

    drive(new_app(store_file), scenario)
    with Store.open(store_file, readonly=True) as store:
        assert store.verify().ok and store.head()[0] > 0


def test_export_refuses_another_store(store_file: Path, tmp_path: Path) -> None:
    other = make_store(tmp_path / "other.db")
    content = other.read_bytes()

    async def scenario(app, pilot) -> None:
        await export(pilot, "timeline", "csv", other)
        assert "is a chronicle store: choose another file" in _form_error(app)
        await press(pilot, "ctrl+s")
        assert "is a chronicle store" in _form_error(app)
        await press(pilot, "escape")

    drive(new_app(store_file), scenario)
    assert other.read_bytes() == content


def test_export_asks_before_replacing_a_file(store_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "notes.csv"
    out.write_text("my notes\n")

    async def scenario(app, pilot) -> None:
        await export(pilot, "timeline", "csv", out)
        assert "notes.csv exists: save again (Ctrl+S) to replace it" in _form_error(app)
        assert out.read_text() == "my notes\n"
        await press(pilot, "ctrl+s")
        assert f"to {out}" in status(app)

    drive(new_app(store_file), scenario)
    assert out.read_text(encoding="utf-8").startswith("event_id,")


def test_export_cancelled_at_the_question_keeps_the_file(store_file: Path, tmp_path: Path):
    out = tmp_path / "notes.csv"
    out.write_text("my notes\n")

    async def scenario(app, pilot) -> None:
        await export(pilot, "timeline", "csv", out)
        assert "exists" in _form_error(app)
        await press(pilot, "escape")

    drive(new_app(store_file), scenario)
    assert out.read_text() == "my notes\n"
