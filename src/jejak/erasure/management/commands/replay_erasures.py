"""`jejak replay-erasures [--log FILE]`: after restoring a backup, erase again everything
the erasure log says was erased (idempotent), before the restored system serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jejak.erasure import service


class Command(BaseCommand):
    help = "Re-apply every logged erasure to a restored database (run before serving)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--log", type=Path, default=None, help="JEJAK_ERASURE_LOG by default")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = service.replay_all(options["log"])
        self.stdout.write(", ".join(f"{k}={v}" for k, v in counts.items()))
