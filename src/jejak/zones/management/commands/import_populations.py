"""`jejak import-populations FILE.csv`: kecamatan populations, all or nothing
(docs/zones.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.zones.populations import import_populations


class Command(BaseCommand):
    help = (
        "Create or replace kecamatan populations from a CSV file "
        "(code,name,population,year,source,is_estimate). All rows or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        report = import_populations(options["file"])
        if not report.ok:
            for error in report.errors:
                column = f" [{error.column}]" if error.column else ""
                value = f" ({error.value!r})" if error.value else ""
                self.stderr.write(f"line {error.line}{column} {error.code}: {error.message}{value}")
            raise CommandError(f"{len(report.errors)} problem(s) found. Nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.rows} rows: {report.created} populations created, "
                f"{report.updated} updated, {report.unchanged} unchanged."
            )
        )
