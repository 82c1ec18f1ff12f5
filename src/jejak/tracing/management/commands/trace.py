"""`jejak trace CASE_ID [--format json|csv]`: search a case's contacts and print them."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jejak.core.exports import to_csv
from jejak.tracing import exports, reads, search
from jejak.tracing.errors import TracingError
from jejak.tracing.models import Case


class Command(BaseCommand):
    help = (
        "Run the contact search of a case (as the system) and print its ranked contacts with "
        "their shared visits. Audited like an officer's search and read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("case_id", type=int)
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args: Any, case_id: int, format: str, **_: Any) -> None:
        case = Case.objects.select_related("person", "searched_with").filter(pk=case_id).first()
        if case is None:
            raise CommandError(f"No case {case_id}.")
        try:
            search.search_contacts(case=case, actor=None)
        except TracingError as exc:
            raise CommandError(f"{exc.code.value}: {exc.message}") from None
        contacts = reads.read_contacts(case=case, actor=None)
        if format == "csv":
            rows = exports.export_rows(contacts)
            self.stdout.write(to_csv(exports.EXPORT_HEADERS, rows), ending="")
            return
        document = {
            "case": case.pk,
            "window_start": case.window_start.isoformat(),
            "window_end": case.window_end.isoformat(),
            # The rules that made these numbers (docs/tracing.md, "Profiles").
            "profile": case.searched_with.label if case.searched_with else None,
            "contacts": [
                {
                    "rank": c.rank,
                    "person": c.person.public_id,
                    "name": c.person.full_name,
                    "nik": c.person.nik_masked,
                    "close_contact": c.is_close,
                    "employee": c.is_employee,
                    "minutes": c.minutes,
                    "score": float(c.score),
                    "last_exposure_at": c.last_exposure_at.isoformat(),
                    "visits": c.visits,
                }
                for c in contacts
            ],
        }
        self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
