from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.accounts.capabilities import Cap, has_capability
from jejak.venues.imports import import_venues

SUFFIXES = (".csv", ".xlsx")


class Command(BaseCommand):
    help = "Register venues and their entrances from a CSV or XLSX sheet: every row or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv|FILE.xlsx")
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="Import as this user: their region limits where venues may be "
            "(default: the system, any region).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if path.suffix.lower() not in SUFFIXES:
            raise CommandError(f"{path.name}: only .csv and .xlsx files can be imported.")
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['actor']!r}.")
            if not has_capability(actor, Cap.IMPORT_VENUES):
                raise CommandError(f"{actor.username} may not import venues.")

        report = import_venues(path, actor=actor)
        if not report.ok:
            for error in report.errors:
                column = f" [{error.column}]" if error.column else ""
                value = f" ({error.value!r})" if error.value else ""
                self.stderr.write(f"line {error.line}{column} {error.code}: {error.message}{value}")
            raise CommandError(
                f"{len(report.errors)} problem(s) in {report.filename}. Nothing was imported."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.created} venues with {report.entry_points} entrances imported "
                f"from {report.filename}."
            )
        )
