"""`jejak load-tracing-profile FILE.json`: validate a tracing profile and store it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.tracing import profiles


class Command(BaseCommand):
    help = (
        "Validate a tracing profile (format jejak-tracing/1, see docs/tracing.md) and store it "
        "as a new version. A stored slug and version never change: the same document again "
        "is a no-op, a different one is refused. --list shows the stored profiles."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the profile JSON file")
        parser.add_argument("--check", action="store_true", help="validate only; store nothing")
        parser.add_argument("--list", action="store_true", help="list the stored profiles")

    def handle(self, *args: Any, file: str | None, check: bool, list: bool, **_: Any) -> None:
        if list:
            self._list()
            return
        if not file:
            raise CommandError("Give a profile file (or --list).")
        try:
            document = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        if check:
            problems = profiles.validate_document(document)
            if problems:
                raise CommandError(_problems(file, problems))
            self.stdout.write(f"{file}: valid ({document['slug']} v{document['version']})")
            return
        try:
            row, created = profiles.load(document)
        except profiles.ProfileRefused as exc:
            raise CommandError(_problems(file, exc.problems)) from exc
        state = "stored" if created else "already stored, unchanged"
        self.stdout.write(f"{row.label} ({row.name}): {state}")

    def _list(self) -> None:
        from django.conf import settings

        from jejak.tracing.models import TracingProfile

        default = profiles.latest(settings.JEJAK_TRACE_PROFILE)
        for row in TracingProfile.objects.order_by("slug", "-version"):
            mark = "  (default)" if default is not None and row.pk == default.pk else ""
            self.stdout.write(f"{row.label:<20} {row.name} [{row.pathogen}]{mark}")


def _problems(file: str, problems: list[str]) -> str:
    return f"{file} is not a usable tracing profile:\n" + "\n".join(f"  {p}" for p in problems)
