"""Output to a pipe whose reader leaves early (``| head -1``) ends quietly, for every command.

Quietly: status 1, and nothing on stderr (no "Exception ignored", no traceback,
no "Broken pipe"). The store is large enough that each output is many times a
pipe's buffer, so the reader really leaves while the command is still writing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import generated_store

READS = [
    ("timeline",), ("timeline", "--format", "csv"), ("timeline", "--format", "json"),
    ("log",), ("log", "--format", "csv"), ("log", "--ndjson"),
    ("disputes", "--all"), ("disputes", "--all", "--format", "json"),
    ("query", "SELECT * FROM log"), ("query", "SELECT * FROM log", "--format", "csv"),
    ("show", "ev:0000001"), ("schema",),
    *(("export", "timeline", "--format", fmt)
      for fmt in ("csv", "json", "ndjson", "markdown", "html", "timelinejs", "timelinejs-csv",
                  "acled-csv", "ucdp-csv")),
    ("export", "log", "--format", "ndjson"), ("export", "events", "--format", "csv"),
]  # fmt: skip


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_store(tmp_path_factory.mktemp("pipe") / "store.db", 3000)


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_reader_that_leaves_early(big_store: Path, args: tuple[str, ...]) -> None:
    command = [sys.executable, "-m", "chronicle", "--store", str(big_store), *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader leaves
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert first
    assert err == ""
    assert code in (0, 1)
