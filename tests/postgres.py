"""A private PostgreSQL server for the team-log tests, and the benchmark's.

``initdb`` into a fresh directory (as the ``postgres`` system user when running as
root, since initdb refuses root), listening only on a Unix socket in that directory,
stopped and removed at the end; one left behind by a run that was killed (so its
cleanup never ran) is stopped and removed by the next run's start.
``CHRONICLE_TEST_POSTGRES_URL`` names a server to use
instead. Without PostgreSQL's server programs the tests skip, except under CI=true.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)
OVERRIDE = "CHRONICLE_TEST_POSTGRES_URL"
SUPERUSER = "postgres"
FOLDER_PREFIX = "chronicle-pg-"
OWNER_FILE = "owner.pid"  # the process whose run started the server
_databases = itertools.count(1)


def server_programs() -> Path | None:
    """Where initdb and pg_ctl are, or None."""
    for folder in (*BIN_DIRS, *(os.environ.get("PATH", "").split(os.pathsep))):
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    return None


def sweep_abandoned(programs: Path, folder: Path | None = None) -> list[Path]:
    """Stop and remove the private servers whose owning process is gone (a test run or
    a benchmark killed before its cleanup); returns their folders.

    Only folders this module made (its prefix and an owner file) are touched, and
    only when no process has the owner's pid: a live run's server is never stopped.
    """
    swept = []
    for candidate in Path(folder or tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = int((candidate / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        abandoned = PgServer()
        abandoned.programs, abandoned.folder = programs, candidate
        abandoned.remove()
        swept.append(candidate)
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


class PgServer:
    """One server: a database per test, roles, and stop/start for the fault tests."""

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url
        self.folder: Path | None = None
        self.programs: Path | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start_private(self, programs: Path, settings: dict[str, str] | None = None) -> None:
        self.programs = programs
        sweep_abandoned(programs)
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        (self.folder / OWNER_FILE).write_text(str(os.getpid()))
        self._as_owner()
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")  # fmt: skip
        (self.data / "pg_hba.conf").write_text(
            f"local all {SUPERUSER} trust\nlocal all all scram-sha-256\n"
        )
        options = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.folder}'",
            "fsync": "off",
            "max_connections": "60",
            **(settings or {}),
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in options.items())
        self.start()

    @property
    def data(self) -> Path:
        assert self.folder is not None
        return self.folder / "data"

    @property
    def private(self) -> bool:
        return self.folder is not None

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        if self.folder is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _as_owner(self) -> None:
        assert self.folder is not None
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SUPERUSER)
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        assert self.programs is not None
        command = [str(self.programs / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder)

    # --- addresses -------------------------------------------------------------------------

    def url(self, database: str, user: str = SUPERUSER) -> str:
        if self.base_url is not None:
            params = conninfo_to_dict(self.base_url)
            params.pop("password", None)
            return make_conninfo(**{**params, "dbname": database, "user": user})
        return f"postgresql://{user}@/{database}?host={self.folder}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        """A superuser connection (autocommit), for setting up and for tampering."""
        if self.base_url is not None:
            return psycopg.connect(make_conninfo(self.base_url, dbname=database), autocommit=True)
        return psycopg.connect(self.url(database), autocommit=True)

    def new_database(self) -> str:
        name = f"chronicle_test_{os.getpid()}_{next(_databases)}"
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def add_role(self, database: str, name: str, password: str, *, writer: bool) -> str:
        """A new login role with the grants README gives a writer or a read-only member.

        Roles belong to the whole server, so each gets a name of its own: returned.
        """
        role = f"{name}_{os.getpid()}_{next(_databases)}"
        with self.admin(database) as conn:
            conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
            conn.execute(f'GRANT USAGE ON SCHEMA chronicle TO "{role}"')
            conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA chronicle TO "{role}"')
            if writer:
                conn.execute(f'GRANT INSERT ON chronicle.log TO "{role}"')
                conn.execute(f'GRANT UPDATE ON chronicle.head TO "{role}"')
        return role
