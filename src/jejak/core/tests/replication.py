"""A streaming standby of a test's own PostgreSQL cluster (faults.PostgresCluster), for
the read-replica test (test_replicas.py): `pg_basebackup -R -X stream` from the running
primary, started on a port of its own. Never the machine's shared server."""

from __future__ import annotations

from pathlib import Path

from jejak.core.tests.faults import START_SECONDS, PostgresCluster, own_folder
from jejak.core.tests.tools import require_tool


class StandbyCluster(PostgresCluster):
    """A hot standby of `primary` in `root`/pgdata, streaming from it over loopback."""

    def __init__(self, root: Path, primary: PostgresCluster) -> None:
        super().__init__(root)
        self.primary = primary
        # The one beside initdb: Debian's /usr/bin/pg_basebackup is a wrapper that picks
        # a version by the clusters it knows of, which these are not.
        beside = Path(self.initdb).resolve().parent / "pg_basebackup"
        self.basebackup = str(beside) if beside.exists() else require_tool("pg_basebackup")

    def init(self, timeout: float = START_SECONDS) -> None:
        """Copy the primary (a fast checkpoint rather than a spread one) and write the
        standby's connection to it (-R: primary_conninfo and standby.signal). `timeout`:
        a test's small cluster copies in seconds, a benchmark's 35 GB in minutes."""
        own_folder(self.root)
        source = ["-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"]
        options = ["-X", "stream", "-R", "--checkpoint=fast", "--no-sync"]
        self._run([self.basebackup, *source, "-D", str(self.data), *options], timeout)
