"""`jejak partitions`: the check-ins' day partitions on PostgreSQL (docs/partitions.md).

Creates the days ahead (what `jejak run-periodic` does every hour), lists them, or drops
the days past retention before a date (the rows a hold keeps are copied into the held
table first). SQLite has one table and row deletes: the command says so and stops.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jejak.checkins import partitions, retention


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Create the check-ins' day partitions ahead (PostgreSQL), list them (--list), or "
        "drop the days past retention before a date (--drop-before)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ahead",
            type=int,
            default=partitions.AHEAD,
            help=f"days after today to create (default {partitions.AHEAD})",
        )
        parser.add_argument(
            "--list", action="store_true", help="list the partitions, rows and sizes"
        )
        parser.add_argument(
            "--count", action="store_true", help="with --list: count rows (slow on big days)"
        )
        parser.add_argument(
            "--drop-before",
            type=_date,
            metavar="DATE",
            help="drop the days before DATE that are past retention (JEJAK_CHECKIN_RETENTION_DAYS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not partitions.active():
            self.stdout.write(
                "check-ins are not partitioned here (SQLite, or a table built without "
                "checkins 0010): retention deletes them row by row"
            )
            return
        if options["ahead"] < 0:
            raise CommandError("--ahead must be 0 or more")
        if options["list"]:
            for row in partitions.listing(count=options["count"]):
                label = row.day.isoformat() if row.day else "-"
                left = " detached (the next retention run drops it)" if row.detached else ""
                self.stdout.write(f"{row.name} {label} rows={row.rows} bytes={row.bytes}{left}")
            return
        if options["drop_before"] is not None:
            done = retention.drop_expired_days(until=options["drop_before"])
        else:
            done = partitions.ensure(timezone.now(), ahead=options["ahead"])
        self.stdout.write(" ".join(f"{key}={value}" for key, value in done.items()))
