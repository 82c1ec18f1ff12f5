from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.regions.imports import import_regions


class Command(BaseCommand):
    help = (
        "Create or rename regions from Kemendagri CSV files (code,name[,level,parent_code], "
        "or idn-area-data's provinces/regencies/districts/villages.csv). All files or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        report = import_regions(*options["files"])
        if not report.ok:
            for error in report.errors:
                where = f"{error.source}:" if error.source else ""
                column = f" [{error.column}]" if error.column else ""
                self.stderr.write(f"{where}line {error.line}{column} {error.code}: {error.message}")
            raise CommandError(f"{len(report.errors)} problem(s) found. Nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.rows} rows: {report.created} regions created, "
                f"{report.updated} updated, {report.unchanged} unchanged."
            )
        )
