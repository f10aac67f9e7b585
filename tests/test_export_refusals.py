"""An export never overwrites the store it reads, and another store only when forced.

``--output`` naming the store (or its -wal, -shm or -journal file, through a link
or not) once destroyed it: the export was renamed over it. Each refusal is one
line, exit 1, and nothing is written anywhere.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fixtures.rel_support import log_rows, mini_store, run_cli
from test_bad_input import assert_one_clear_line

from chronicle.store import STORE_COMPANIONS

FORMATS = ["csv", "ndjson", "sqlite", "markdown"]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = mini_store(tmp_path / "store.db")
    assert run_cli(path, "verify").code == 0
    return path


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _refused(store_path: Path, output: Path | str, fmt: str, message: str, *more: str) -> None:
    folder = store_path.parent
    before, log = _listing(folder), log_rows(store_path)
    outcome = run_cli(store_path, "export", "timeline", "--format", fmt, "--output", str(output),
                      *more)  # fmt: skip
    assert outcome.code == 1
    assert_one_clear_line(outcome.err, message)
    assert _listing(folder) == before  # the store, its companions, everything unchanged
    assert log_rows(store_path) == log
    assert run_cli(store_path, "verify").code == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("suffix", ["", *STORE_COMPANIONS])
def test_the_store_and_its_companions_are_refused(store_path: Path, fmt: str, suffix: str):
    target = Path(f"{store_path}{suffix}")
    _refused(store_path, target, fmt, "--output is the store itself")
    _refused(store_path, target, fmt, "--output is the store itself", "--force")


@pytest.mark.parametrize("fmt", FORMATS)
def test_links_to_the_store_are_refused(store_path: Path, tmp_path: Path, fmt: str) -> None:
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    (elsewhere / "symlink.db").symlink_to(store_path)
    os.link(store_path, tmp_path / "hardlink.db")
    (elsewhere / "wal-link").symlink_to(f"{store_path}-wal")
    relative = os.path.relpath(store_path, Path.cwd())
    for target in (elsewhere / "symlink.db", tmp_path / "hardlink.db", elsewhere / "wal-link",
                   elsewhere / ".." / "store.db", relative):  # fmt: skip
        _refused(store_path, target, fmt, "--output is the store itself")


def test_the_sqlite_formats_metadata_file_cannot_be_the_store(tmp_path: Path) -> None:
    """``-o X.db`` also writes X.metadata.json: a store named so is refused as well."""
    store_path = mini_store(tmp_path / "mali.metadata.json")
    assert run_cli(store_path, "verify").code == 0  # its -wal and -shm made, as a read makes them
    _refused(store_path, tmp_path / "mali.db", "sqlite", "--output is the store itself")


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_store_needs_force(store_path: Path, tmp_path: Path, fmt: str) -> None:
    other = tmp_path / "other.db"
    shutil.copy(store_path, other)
    _refused(store_path, other, fmt, r"--output .*other.db is a chronicle store: --force to "
             "overwrite it")  # fmt: skip
    outcome = run_cli(store_path, "export", "timeline", "--format", fmt, "-o", str(other),
                      "--force")  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert other.read_bytes() != store_path.read_bytes()


def test_an_ordinary_file_is_replaced_without_force(store_path: Path, tmp_path: Path) -> None:
    plain = tmp_path / "old.csv"
    plain.write_text("an old export\n")
    outcome = run_cli(store_path, "export", "timeline", "--format", "csv", "-o", str(plain))
    assert outcome.code == 0, outcome.err
    assert plain.read_text().startswith("event_id,")
