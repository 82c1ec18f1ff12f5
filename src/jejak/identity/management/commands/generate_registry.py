from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.identity.synthetic import residents, write_csv


class Command(BaseCommand):
    help = (
        "Write a synthetic registry extract of Kota Tangerang (made-up families on shared "
        "KK numbers, valid NIKs) for `jejak import-registry`, tests and benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("n", type=int, metavar="N", help="how many residents")
        parser.add_argument("--out", required=True, metavar="FILE.csv")
        parser.add_argument("--seed", type=int, default=2021, help="same seed, same rows")

    def handle(self, *args: Any, n: int, out: str, seed: int, **options: Any) -> None:
        if n < 1:
            raise CommandError("N must be at least 1.")
        with Path(out).open("w", encoding="utf-8", newline="") as file:
            count = write_csv(residents(n, seed=seed), file)
        self.stdout.write(f"{count} residents written to {out} (seed {seed}).")
