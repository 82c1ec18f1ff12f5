"""`jejak purge`: enforce retention now, every class or some (`jejak run-periodic` does
it every hour); `--dry-run` only counts what would go. docs/retention.md."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jejak.core import retention


class Command(BaseCommand):
    help = (
        "Delete the personal data past its retention, a line per class; --dry-run counts "
        "what would go and deletes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument(
            "--only", action="append", default=[], metavar="CLASS", help="this class only"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        known = {item.name: item for item in retention.classes()}
        unknown = sorted(set(options["only"]) - set(known))
        if unknown:
            raise CommandError(f"unknown class {', '.join(unknown)}; known: {', '.join(known)}")
        dry_run = options["dry_run"]
        now = timezone.now()
        for name, item in known.items():
            if options["only"] and name not in options["only"]:
                continue
            counts = item.purge(now=now, dry_run=dry_run)
            detail = " ".join(f"{key}={value}" for key, value in counts.items())
            period = f"{item.setting}={getattr(settings, item.setting)}"
            self.stdout.write(f"{name}: {detail} ({period})")
