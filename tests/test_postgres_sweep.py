"""A private PostgreSQL left running by a killed test run is stopped by the next one.

The tests' server is removed when the session ends; a run killed outright (SIGKILL,
a closed terminal) never gets there, and its postmaster would hold memory and a
socket until the machine restarts. The next start sweeps such servers: those whose
owning process is gone, and only those.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from postgres import FOLDER_PREFIX, server_programs, sweep_abandoned
from support import process_ended

HERE = Path(__file__).parent
STARTER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from postgres import PgServer, server_programs
server = PgServer()
server.start_private(server_programs())
print(server.folder, flush=True)
time.sleep(600)
"""


def _postmaster_pid(folder: Path) -> int:
    return int((folder / "data" / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture
def scratch() -> Path:
    """A temporary folder the server's system user may enter (pytest's are private)."""
    folder = Path(tempfile.mkdtemp(prefix="chronicle-sweep-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_server_whose_run_was_killed_is_swept_and_a_live_ones_kept(
    scratch: Path, pg_server
) -> None:
    tmp_path = scratch
    programs = server_programs()
    if programs is None or not pg_server.private:
        pytest.skip("needs the tests' own PostgreSQL programs")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(HERE)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        folder = Path(run.stdout.readline().strip())
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    assert folder.name.startswith(FOLDER_PREFIX) and folder.parent == tmp_path
    postmaster = _postmaster_pid(folder)
    assert not process_ended(postmaster), "the killed run's server outlives it"
    # The live session's own server, in the real temporary folder, is not touched.
    assert sweep_abandoned(programs, tmp_path) == [folder]
    deadline = time.monotonic() + 10
    while not process_ended(postmaster) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_ended(postmaster) and not folder.exists()
    assert pg_server.admin().execute("SELECT 1").fetchone() == (1,)
    assert sweep_abandoned(programs, pg_server.folder.parent).count(pg_server.folder) == 0
