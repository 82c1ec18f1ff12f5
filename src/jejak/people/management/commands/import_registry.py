from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.people.registry_import import import_registry


class Command(BaseCommand):
    help = (
        "Create or update residents from a civil-registry extract (CSV: nik,full_name,"
        "birth_date,sex,family_card,region_code,died_on). All rows or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        report = import_registry(file, actor=None)
        if not report.ok:
            for error in report.errors:
                column = f" [{error.column}]" if error.column else ""
                self.stderr.write(f"line {error.line}{column} {error.code}: {error.message}")
            raise CommandError(f"{len(report.errors)} problem(s) found. Nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.rows} residents: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged."
            )
        )
