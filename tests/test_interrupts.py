"""Ctrl-C: exit status 130 and ``error: interrupted: nothing was written``, whenever it comes.

Each case is a real ``python -m chronicle`` process sent a real SIGINT: while it is
still loading its libraries, and in the middle of an import, after which the log
must be exactly as it was.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures.rel_support import log_rows, mini_store

from chronicle import interrupts

LINE = "error: interrupted: nothing was written"
pytestmark = pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")


def _start(store: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "chronicle", "--store", str(store), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_until(process: subprocess.Popen, ready: Callable[[int], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not ready(process.pid):
        assert process.poll() is None, "the process ended before the moment came"
        assert time.monotonic() < deadline, "the moment never came"
        time.sleep(0.0005)


def _loading_pydantic(pid: int) -> bool:
    """The CLI's libraries are half loaded: pydantic's core is mapped, the vocabulary not built."""
    try:
        return "_pydantic_core" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _interrupted(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    return process.returncode, err


def _big_import(path: Path, events: int) -> Path:
    """Events citing the fixture's source: each is projected, indexed and searched for."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(events):
            data = {
                "event_id": f"ev:big-{n}",
                "title": f"Clash number {n}",
                "when": "2024-07",
                "actors": [],
                "tags": ["big"],
                "summary": f"A summary of clash {n}. " * 8,
                "citations": [{"source": "src:a", "quote": f"clash {n}"}],
            }
            out.write(json.dumps({"id": f"big-{n}", "type": "event.asserted", "author": "t",
                                  "data": data}) + "\n")  # fmt: skip
    return path


def test_ctrl_c_while_the_libraries_load(tmp_path: Path) -> None:
    store = mini_store(tmp_path / "store.db")
    before = log_rows(store)
    process = _start(store, "import", str(_big_import(tmp_path / "big.ndjson", 2000)))
    _wait_until(process, _loading_pydantic, limit=30)
    code, err = _interrupted(process)
    assert (code, err.splitlines()) == (interrupts.EXIT_STATUS, [LINE]), err
    assert log_rows(store) == before


def test_ctrl_c_in_the_middle_of_an_import(tmp_path: Path) -> None:
    store = mini_store(tmp_path / "store.db")
    before = log_rows(store)
    process = _start(store, "import", str(_big_import(tmp_path / "big.ndjson", 40_000)))
    # Start-up takes a fraction of a second of CPU; the import, several seconds.
    _wait_until(process, lambda pid: _cpu_seconds(pid) >= 1.0, limit=120)
    code, err = _interrupted(process)
    assert (code, err.splitlines()) == (interrupts.EXIT_STATUS, [LINE]), err
    assert log_rows(store) == before
    done = subprocess.run([sys.executable, "-m", "chronicle", "--store", str(store), "verify"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_commit_and_its_note_are_one_step() -> None:
    """A Ctrl-C during a COMMIT is raised after it, and the message then admits the write."""
    interrupts.install()
    try:
        with pytest.raises(interrupts.Interrupted), interrupts.committing(appends=True):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, and only notes it
            assert not interrupts.wrote()
        assert interrupts.wrote()
        assert interrupts.message() == "interrupted after the write was committed: it stays"
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        interrupts._state["written"] = False
