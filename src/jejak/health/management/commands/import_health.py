from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.accounts.capabilities import Cap, has_capability
from jejak.health.report import NOTHING_IMPORTED, RecordType
from jejak.health.service import import_health_file


class Command(BaseCommand):
    help = (
        "Import health records from a FHIR R4 Bundle (JSON) or a CSV sheet: the whole file "
        "or nothing. Records already present are left unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.json|FILE.csv")
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="Import as this user, recorded in the audit log (default: the system).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['actor']!r}.")
            if not has_capability(actor, Cap.IMPORT_HEALTH_RECORDS):
                raise CommandError(f"{actor.username} may not import health records.")

        report = import_health_file(path, actor=actor)
        if not report.ok:
            for problem in report.problems:
                value = f" ({problem.value!r})" if problem.value else ""
                self.stderr.write(f"{problem.where()} {problem.code}: {problem.message}{value}")
            raise CommandError(
                f"{len(report.problems)} problem(s) in {report.filename}. {NOTHING_IMPORTED}"
            )
        lines = [
            f"{t.value}: {report.created[t.value]} created, "
            f"{report.unchanged[t.value]} already present"
            for t in RecordType
            if report.created[t.value] or report.unchanged[t.value]
        ]
        lines += [f"ignored {reason}: {count}" for reason, count in sorted(report.ignored.items())]
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"{sum(report.created.values())} record(s) created, "
                f"{sum(report.unchanged.values())} already present, for {report.people} "
                f"NIK(s), from {report.filename} ({report.format})."
            )
        )
