"""A PostgreSQL cluster of the restore drill's own, made under a temporary folder and
always removed with it.

It holds a whole copy of the personal data, so it listens on no TCP port: it answers
only on a Unix socket in a folder that only its owner may enter, and trusts whoever
reaches that socket. Its settings are the drill's, given on the server's command line,
which outranks anything a copied data directory brings (`postgresql.auto.conf`): no WAL
archiving into the real archive, no TLS files or preloaded libraries it may not have,
no fsync (nothing in it is kept).

PostgreSQL's server programs refuse to run as root; when the drill runs as root (a CI
machine), they run as the `postgres` user.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

START_SECONDS = 3600  # a copy's recovery replays the WAL written while it was taken

_SETTINGS = {
    "listen_addresses": "''",
    "unix_socket_permissions": "0700",
    "archive_mode": "off",
    "ssl": "off",
    "shared_preload_libraries": "''",
    "logging_collector": "off",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_wal_size": "4GB",
}


class ClusterError(Exception):
    """A PostgreSQL program is missing or failed; the message says which and why."""


def find_tool(name: str, major: int) -> str:
    """`name` of PostgreSQL `major` (Debian keeps each version's programs apart), else the
    one on PATH."""
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ClusterError(
            f"{name} of PostgreSQL {major} not found (Debian: apt install postgresql-{major})"
        )
    return found


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *command]


def run(command: list[str], *, env: Mapping[str, str] | None = None, server: bool = False) -> str:
    """Run a PostgreSQL program to its end (as the server's user when `server`); its
    output, or ClusterError with what it printed."""
    done = subprocess.run(  # noqa: S603 (programs found by find_tool, no shell)
        _as_server_user(command) if server else command,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ClusterError(
            f"{Path(command[0]).name} failed ({done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    return done.stdout


def server_major(program: str) -> int:
    """The major version of a PostgreSQL program (`initdb --version`)."""
    words = run([program, "--version"]).split()
    return int(words[-1].split(".")[0]) if words else 0


class ScratchCluster:
    """`with ScratchCluster(major, workdir) as cluster:` a folder under `workdir` for its
    data (and a backup), a short one in the system's temporary folder for its socket
    (a socket's path is limited to about 100 characters); on leaving, the server is
    stopped and both folders are removed, whatever happened."""

    port = 5432  # names the socket's file only: nothing listens on TCP

    def __init__(self, major: int, workdir: Path | None = None) -> None:
        self.major = major
        self.workdir = workdir
        self.initdb = find_tool("initdb", major)
        self.pg_ctl = find_tool("pg_ctl", major)
        for program in (self.initdb, self.pg_ctl):
            if server_major(program) != major:
                raise ClusterError(f"{program} is not PostgreSQL {major}'s")
        self.folder = Path()
        self.socket = Path()
        self.started = False

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def __enter__(self) -> ScratchCluster:
        self.folder = Path(tempfile.mkdtemp(prefix="jejak-drill-", dir=self.workdir))
        self.socket = Path(tempfile.mkdtemp(prefix="jejak-drill-socket-"))
        if os.geteuid() == 0:
            for path in (self.folder, self.socket):
                shutil.chown(path, user="postgres", group="postgres")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            shutil.rmtree(self.socket, ignore_errors=True)

    def init(self, superuser: str) -> None:
        """An empty cluster whose superuser is `superuser` (the name the app connects as,
        so that a restored database's objects belong to the same name)."""
        options = ["-U", superuser, "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"]
        run([self.initdb, "-D", str(self.data), *options], server=True)

    def take_over_configuration(self) -> None:
        """Replace the configuration files a data directory holds (a base backup's copy
        of the source's) with the drill's: one socket, trusted, nothing else."""
        (self.data / "postgresql.conf").write_text("# jejak restore-drill: see the command line\n")
        (self.data / "pg_hba.conf").write_text("local all all trust\n")
        (self.data / "pg_ident.conf").write_text("")
        if os.geteuid() == 0:
            for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
                shutil.chown(self.data / name, user="postgres", group="postgres")

    def start(self) -> None:
        """Start the server and wait until it answers (after any recovery)."""
        self.take_over_configuration()
        settings = {
            **_SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": shlex.quote(str(self.socket)),
            "hba_file": shlex.quote(str(self.data / "pg_hba.conf")),
            "ident_file": shlex.quote(str(self.data / "pg_ident.conf")),
        }
        # pg_ctl hands these to a shell; the paths are quoted above.
        options = " ".join(f"-c {name}={value}" for name, value in settings.items())
        self.started = True
        start = [self.pg_ctl, "start", "-D", str(self.data), "-l", str(self.log), "-w"]
        run([*start, "-t", str(START_SECONDS), "-o", options], server=True)

    def stop(self) -> None:
        """Stop the server if it was started ("immediate": its data is thrown away)."""
        if self.started and (self.data / "postmaster.pid").exists():
            run([self.pg_ctl, "stop", "-D", str(self.data), "-m", "immediate", "-w"], server=True)
        self.started = False

    def database(self, source: Mapping[str, Any], name: str) -> dict[str, Any]:
        """Django settings for database `name` of this cluster, otherwise `source`'s: the
        same user (trusted on the socket), no password."""
        where = {"HOST": str(self.socket), "PORT": str(self.port), "PASSWORD": ""}
        return {**source, "NAME": name, **where}
