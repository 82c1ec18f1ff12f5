"""prometheus-client's multiprocess mode: every process of a node (the server's workers,
the task worker, the periodic runner) writes its counters and histograms to files of its
own in PROMETHEUS_MULTIPROC_DIR (`counter_<pid>.db`, ...), and a scrape, answered by any
one worker, adds them up.

The files of a process that has exited still hold its counts, which must go on counting,
so they are never simply deleted; but gunicorn replaces each worker after
`--max-requests` (jejak serve), and a file per dead worker would pile up by the thousand
and slow every scrape. So a scrape first folds the files of exited processes into one
archive file per type (`counter_archive.db`), under a lock that also keeps a concurrent
scrape from reading a file while it moves into the archive.
"""

from __future__ import annotations

import fcntl
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.metrics_core import Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

ARCHIVE = "archive"
# Types whose values from several processes add up (a gauge's depend on its mode).
ADDITIVE = frozenset({"counter", "histogram", "summary"})


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def compact(folder: Path) -> int:
    """Fold the additive files of exited processes into the archive files; returns how
    many files were folded. The caller holds the folder's lock."""
    dead: dict[str, list[Path]] = defaultdict(list)
    for file in folder.glob("*.db"):
        parts = file.stem.split("_")
        kind, pid = parts[0], parts[-1]
        if not pid.isdigit() or alive(int(pid)):
            continue
        if kind in ADDITIVE:
            dead[kind].append(file)
        else:
            # The 'live*' gauges of a dead process go, as prometheus-client prescribes.
            mark_process_dead(int(pid), str(folder))
    for kind, files in dead.items():
        archive = folder / f"{kind}_{ARCHIVE}.db"
        totals: dict[str, float] = defaultdict(float)
        for file in [archive, *files] if archive.exists() else files:
            for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(file)):
                totals[key] += value
        # Written aside (not *.db: no collector reads it), then moved over the archive.
        # A crash between the move and the deletions below would count those files twice;
        # a crash before the move loses nothing.
        partial = folder / f".{kind}_{ARCHIVE}.partial"
        partial.unlink(missing_ok=True)
        out = MmapedDict(str(partial))
        try:
            for key, value in totals.items():
                out.write_value(key, value, 0.0)
        finally:
            out.close()
        os.replace(partial, archive)
        for file in files:
            file.unlink()
    return sum(len(files) for files in dead.values())


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    with (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class FilesCollector(Collector):
    """The counters and histograms of every process that wrote to `folder`, those that
    have exited included (through the archive)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterable[Metric]:
        with locked(self.folder):
            compact(self.folder)
            files = [str(file) for file in self.folder.glob("*.db")]
            return list(MultiProcessCollector.merge(files, accumulate=True))
