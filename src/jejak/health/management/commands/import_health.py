from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO, cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.accounts.capabilities import Cap, has_capability
from jejak.core.progress import ProgressLine
from jejak.health.report import NOTHING_IMPORTED, RecordType
from jejak.health.service import import_health_file
from jejak.health.signals import follow_up_now


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
        parser.add_argument(
            "--trace",
            action="store_true",
            help="Trace the new positive results now, whatever their number: open, search, "
            "designate by the tracing profile's policy and notify (a mass run), with a "
            "progress line on stderr.",
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

        if options["trace"]:
            # The stream itself: Django's wrapper ends every write with a newline.
            bar = ProgressLine(cast(TextIO, self.stderr._out), "cases")
            with follow_up_now(progress=bar.update) as follow:
                report = import_health_file(path, actor=actor)
            if follow.reports:
                bar.finish(bar.done, bar.total)
        else:
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
        if options["trace"]:
            for text in follow.reports or ["No new positive result to trace."]:
                self.stdout.write(text)
            if follow.failed:
                raise CommandError("The records were imported; tracing them did not finish.")
