"""`jejak load-ruleset FILE.json`: validate a rule-set file and store it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.screening import ruleset
from jejak.screening.service import RuleSetRefused, load_rule_set


class Command(BaseCommand):
    help = (
        "Validate a screening rule-set file (format jejak-rules/1, see docs/screening.md) and "
        "store it. Refuses invalid documents, listing every problem, and ranges that overlap "
        "a stored set unless --close-previous ends the set in force at the new start."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the rule-set JSON file")
        parser.add_argument("--slug", help="store under this slug instead of the file's")
        parser.add_argument(
            "--effective-from",
            help="ISO date or date-time (naive means Asia/Jakarta) instead of the file's",
        )
        parser.add_argument(
            "--close-previous",
            action="store_true",
            help="end the earlier set still in force at the new start where this one begins",
        )
        parser.add_argument("--check", action="store_true", help="validate only; store nothing")

    def handle(
        self,
        *args: Any,
        file: str,
        slug: str | None,
        effective_from: str | None,
        close_previous: bool,
        check: bool,
        **_: Any,
    ) -> None:
        try:
            document = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        start = None
        if effective_from:
            try:
                start = ruleset.parse_moment(effective_from)
            except ValueError:
                raise CommandError(
                    f"--effective-from: not an ISO date: {effective_from!r}"
                ) from None
        if check:
            problems = ruleset.validate_document(document)
            if problems:
                raise CommandError(_problems(file, problems))
            self.stdout.write(f"{file}: valid")
            return
        try:
            stored, created = load_rule_set(
                document=document, slug=slug, effective_from=start, close_previous=close_previous
            )
        except RuleSetRefused as exc:
            raise CommandError(_problems(file, exc.problems)) from exc
        verb = "loaded" if created else "already loaded, unchanged"
        self.stdout.write(f"{stored.slug}: {verb}")


def _problems(file: str, problems: list[str]) -> str:
    return f"{file} refused:\n" + "\n".join(f"  - {problem}" for problem in problems)
