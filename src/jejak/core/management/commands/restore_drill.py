import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from jejak.audit import service as audit
from jejak.core.restore_drill import METHODS, DrillError, run_drill
from jejak.core.scratch_cluster import ClusterError


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, or pg_basebackup with --method base), restore it "
        "into a PostgreSQL cluster of the drill's own, and check that every table has the "
        "source's row count and that a sample of the encrypted NIKs, phone numbers, "
        "addresses and signing keys decrypts with this process's keys to the source's "
        "values. The cluster is removed afterwards. Exits non-zero on any mismatch "
        "(docs/operations.md, 'Backups and restore')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--method", choices=METHODS, default="dump")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the alias of the source database"
        )
        parser.add_argument(
            "--sample", type=int, default=20, help="values decrypted per encrypted column"
        )
        parser.add_argument(
            "--workdir",
            type=Path,
            help="where the backup and the copy go (room for the database twice); "
            "default: the system's temporary folder",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = connections[options["database"]].settings_dict
        try:
            with _leaving_on_sigterm():
                report = run_drill(
                    source=source,
                    method=options["method"],
                    sample=options["sample"],
                    workdir=options["workdir"],
                    progress=lambda line: self.stderr.write(line),
                )
        except (DrillError, ClusterError, DatabaseError) as exc:
            # A missing program, a refused connection, a copy without the app's tables.
            raise CommandError(f"restore drill could not run: {exc}") from exc
        audit.record(
            actor=None,
            action="backups.restore_drill",
            method=report.method,
            ok=report.ok,
            tables=report.tables,
            rows=report.rows,
            secrets=sum(report.secrets.values()),
            problems=len(report.problems),
        )
        self.stdout.write("\n".join(report.lines()))
        if not report.ok:
            raise CommandError(f"restore drill failed: {len(report.problems)} mismatches")


@contextmanager
def _leaving_on_sigterm() -> Iterator[None]:
    """systemd stops a unit with SIGTERM, which would end Python without unwinding:
    leave through SystemExit instead, so the drill's cluster is stopped and removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
