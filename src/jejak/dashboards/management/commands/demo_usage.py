from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jejak.dashboards.demo_usage import build_usage


class Command(BaseCommand):
    help = "Demo only: add a few weeks of generated check-ins to the demo's issued venues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=21, help="days of history (default 21)")
        parser.add_argument("--seed", type=int, default=2021, help="random seed")

    def handle(self, *args: Any, days: int, seed: int, **options: Any) -> None:
        result = build_usage(days=max(1, min(days, 90)), seed=seed)
        if not result["venues"]:
            self.stdout.write("Nothing to do: run `jejak demo` first.")
            return
        self.stdout.write(
            f"{result['checkins']} check-ins generated at {result['venues']} venues; "
            "see /dasbor/penggunaan/."
        )
