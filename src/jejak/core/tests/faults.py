"""A PostgreSQL cluster and a Redis server of a test's own, to stop and start at will.

The fault-injection gate (test_fault_outages.py) takes the database and the cache away
from a running server. It never touches the machine's shared services: each is started
here under a temporary folder, on a free loopback port, and stopped by its own data
directory or process id.

initdb and pg_ctl refuse to run as root, and CI runs as root: then they run as the
`postgres` user (runuser), in a folder that user owns.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from jejak.core.tests.serving import free_port
from jejak.core.tests.tools import require_tool

START_SECONDS = 60  # a busy two-core machine


def as_postgres(command: list[str]) -> list[str]:
    """`command` as the postgres user when this process is root (PostgreSQL's tools
    refuse to run as root), else as it is."""
    if os.geteuid() != 0:
        return command
    return [require_tool("runuser"), "-u", "postgres", "--", *command]


def own_folder(path: Path) -> None:
    """Hand `path` to the postgres user when PostgreSQL's tools will run as it."""
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


class PostgresCluster:
    """A cluster in `root`/pgdata on a free loopback port, its socket in `root`, no
    fsync (a test's data is thrown away), trust authentication for `postgres`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "pgdata"
        self.log = root / "postgres.log"
        self.port = free_port()
        self.initdb = require_tool("initdb", hint="Debian's postgresql package")
        self.pg_ctl = require_tool("pg_ctl", hint="Debian's postgresql package")
        self.psql_bin = require_tool("psql", hint="Debian's postgresql-client package")

    def _run(self, command: list[str], timeout: float = START_SECONDS) -> str:
        done = subprocess.run(
            as_postgres(command),
            cwd=self.root,  # the postgres user may not enter this process's folder
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{command[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                f"{self.log.read_text() if self.log.exists() else ''}"
            )
        return done.stdout

    def init(self) -> None:
        own_folder(self.root)
        options = ["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"]
        self._run([self.initdb, "-D", str(self.data), *options])

    def start(self) -> None:
        settings = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c log_lock_waits=on"
        )
        wait = ["-w", "-t", str(START_SECONDS)]
        self._run(
            [self.pg_ctl, "start", "-D", str(self.data), "-l", str(self.log), *wait, "-o", settings]
        )

    def stop(self, mode: str = "fast", timeout: float = START_SECONDS) -> None:
        """Stop the cluster (`fast`: its connections are cut, open transactions roll
        back), and wait until it is down (its shutdown checkpoint written)."""
        wait = ["-w", "-t", str(int(timeout))]
        self._run([self.pg_ctl, "stop", "-D", str(self.data), "-m", mode, *wait], timeout + 5)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """The rows of `sql`, one a line, columns separated by `|`."""
        command = [self.psql_bin, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        done = subprocess.run(
            [*command, "-d", database, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr}")
        return done.stdout


class RedisServer:
    """redis-server on a free loopback port with no persistence; stopped by its pid and
    started again on the same port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.binary = require_tool("redis-server", hint="Debian's redis-server package")
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.starts += 1
        log = self.root / f"redis-{self.starts}.log"
        # No snapshots, no append-only file: a cache that comes back empty.
        options = ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        where = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root)]
        self.process = subprocess.Popen(
            [self.binary, *where, *options, "--logfile", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_SECONDS
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{log.read_text()}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM to its own process, then wait for it to go (killed after 10 s)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
