"""The clusters `jejak bench-national` measures on: a primary and a streaming standby of
its own, under a folder it removes, on free loopback ports (never the machine's shared
server, which refuses replication, and whose settings are not ours to change).

They are the tests' clusters (core/tests/faults.py, replication.py) started with a
production's durability instead of a test's: fsync, synchronous commit and full-page
writes on, WAL for a standby, room for a bulk load's WAL between checkpoints.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from jejak.core.tests.faults import START_SECONDS, PostgresCluster

TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "psql")

SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "wal_level": "replica",
    "max_wal_senders": "4",
    "max_wal_size": "2GB",
    "checkpoint_timeout": "15min",
    "shared_buffers": "2GB",
    "maintenance_work_mem": "512MB",
    "max_connections": "200",
    "hot_standby_feedback": "on",
}


def missing_tools() -> list[str]:
    """The PostgreSQL programs not found (as the tests look for them)."""
    from jejak.core.tests.tools import require_tool

    missing = []
    for tool in TOOLS:
        try:
            require_tool(tool)
        except BaseException:  # pytest's skip, outside a test: "not found"
            missing.append(tool)
    return missing


def start(cluster: PostgresCluster) -> None:
    """Start `cluster` (initialised, or a base backup) with SETTINGS."""
    options = " ".join(f"-c {name}={value}" for name, value in SETTINGS.items())
    wait = ["-w", "-t", str(START_SECONDS * 5)]
    command = [cluster.pg_ctl, "start", "-D", str(cluster.data), "-l", str(cluster.log), *wait]
    cluster._run([*command, "-o", f"-p {cluster.port} -k {cluster.root} {options}"])


def cpu_seconds(data: Path) -> float:
    """CPU (user and system) the server's processes have used so far: the postmaster,
    the children that ended, and those alive (backends, the WAL sender or receiver, the
    standby's startup process replaying WAL)."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    listed = subprocess.run(  # noqa: S603 (ps, fixed arguments)
        [shutil.which("ps") or "ps", "-o", "pid=", "--ppid", str(postmaster)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    ticks = 0
    for pid in [postmaster, *map(int, listed)]:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a backend that ended meanwhile
        # utime, stime; and the postmaster's cutime, cstime: its children that ended.
        ticks += int(fields[11]) + int(fields[12])
        if pid == postmaster:
            ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")
