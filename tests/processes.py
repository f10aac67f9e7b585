"""Child processes for the concurrency and fault tests: each reports what happened as JSON."""

from __future__ import annotations

import json
import multiprocessing
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

FORK = multiprocessing.get_context("fork")
HANG_LIMIT_S = 300


def report_to(path: Path, work: Callable[[], dict]) -> None:
    """Run ``work`` in this child and leave what happened in ``path`` as JSON."""
    try:
        outcome = {"ok": True, **work()}
    except BaseException as err:  # everything, so the parent can show what surfaced
        outcome = {"ok": False, "error": f"{type(err).__name__}: {err}",
                   "trace": traceback.format_exc()}  # fmt: skip
    path.write_text(json.dumps(outcome))


def outcome_of(path: Path) -> dict:
    return json.loads(path.read_text())


def start(target: Callable[[], None]) -> multiprocessing.process.BaseProcess:
    child = FORK.Process(target=target, daemon=True)
    child.start()
    return child


def finish(child: multiprocessing.process.BaseProcess) -> None:
    """Wait for a child; one that hangs is killed so the suite cannot (not a timing check)."""
    child.join(HANG_LIMIT_S)
    if child.exitcode is None:
        child.kill()
        child.join()
        pytest.fail(f"a child process did not finish in {HANG_LIMIT_S} s")
