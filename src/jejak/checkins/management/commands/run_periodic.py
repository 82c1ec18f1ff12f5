"""`jejak run-periodic`: the background loop (automatic check-out, black-status alerts
left un-notified, the outbox's due messages, retention of every class of personal data).
Run it under systemd, or `--once` from cron; docs/notifications.md, docs/retention.md."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from jejak.checkins import periodic
from jejak.core import shutdown


class Command(BaseCommand):
    help = (
        "Repeat the periodic work: automatic check-out, notifying black-status alerts "
        "left un-notified, sending due notifications, deleting personal data past retention "
        "(a line per class). "
        "--once runs one round and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run one round and exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=60,
            help="seconds between rounds (default 60)",
        )
        parser.add_argument(
            "--retention-every",
            type=float,
            default=3600,
            help="seconds between two retention runs (default 3600); --once always runs it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = periodic.steps(retention_every=options["retention_every"])
        if options["once"]:
            self._report(periodic.run_round(plan, force=True))
            return
        stop = shutdown.requested
        # systemd stops a service with SIGTERM: finish the step in progress (a sweep stops
        # between its batches), then exit.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        interval = max(1.0, options["interval"])
        try:
            while not stop.is_set():
                # A round that did nothing says so only at -v 2: a quiet laptop stays quiet.
                self._report(periodic.run_round(plan), quiet=options["verbosity"] < 2)
                # A long-lived loop must not keep a connection the database has dropped.
                close_old_connections()
                stop.wait(interval)
        except KeyboardInterrupt:
            pass

    def _report(self, results: dict[str, dict[str, int] | str], *, quiet: bool = False) -> None:
        for name, counts in results.items():
            if isinstance(counts, str):
                self.stderr.write(f"{name}: {counts}")
            elif quiet and not any(counts.values()):
                continue
            else:
                detail = " ".join(f"{key}={value}" for key, value in counts.items())
                self.stdout.write(f"{name}: {detail}")
        self.stdout.flush()
