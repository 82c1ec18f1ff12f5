"""jejak verify-identities: ask the registry about people stored before it was asked."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.identity.port import IdentityServiceUnavailable
from jejak.people.reverify import verify_unverified


class Command(BaseCommand):
    help = "Verify unverified profiles and dependants against the civil registry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="at most this many people")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = verify_unverified(limit=options["limit"])
        except IdentityServiceUnavailable as exc:
            raise CommandError(f"the identity registry cannot be reached: {exc}") from None
        if not counts:
            self.stdout.write("Nothing to verify.")
            return
        for outcome, count in sorted(counts.items()):
            self.stdout.write(f"{outcome}: {count}")
