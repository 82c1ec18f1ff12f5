"""`jejak erasure process`: process the closure requests not yet completed (new ones, and
those whose held data may have come free); `jejak run-periodic` runs the same."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jejak.erasure import service


class Command(BaseCommand):
    help = "Process pending account-closure (erasure) requests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["process"])

    def handle(self, *args: Any, **options: Any) -> None:
        counts = service.process_pending()
        self.stdout.write(", ".join(f"{k}={v}" for k, v in counts.items()))
