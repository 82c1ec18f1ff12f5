"""`jejak prewarm`: load the contact search's indexes into a PostgreSQL server's memory
(checkins/prewarm.py; docs/operations.md, "Warming a replica")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.checkins import prewarm
from jejak.core import replicas


class Command(BaseCommand):
    help = (
        "Read the contact search's indexes into the memory of each replica (or of the "
        "database given), with PostgreSQL's pg_prewarm: run it after a replica starts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            action="append",
            metavar="ALIAS",
            help="a database alias (default, replica1...); default: every replica, "
            "else the primary",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        aliases = options["database"] or replicas.replica_aliases() or ["default"]
        unknown = [a for a in aliases if a not in settings.DATABASES]
        if unknown:
            raise CommandError(
                f"unknown database alias: {', '.join(unknown)} "
                f"(known: {', '.join(settings.DATABASES)})"
            )
        for alias in aliases:
            try:
                warmed = prewarm.warm(alias)
            except prewarm.PrewarmError as exc:
                raise CommandError(f"{alias}: {exc}") from exc
            self.stdout.write(
                f"{alias}: {warmed.relations} indexes, {warmed.bytes / 2**20:.0f} MB "
                f"in {warmed.seconds:.1f} s"
            )
