"""`jejak status NIK`: an operator's look-up of one person's screening status (audited)."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.people.masking import mask_nik
from jejak.people.nik import nik_index
from jejak.screening.errors import ScreeningError
from jejak.screening.service import status_for_nik


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return ""


class Command(BaseCommand):
    help = (
        "The screening colour of a NIK (registered or not) now or at --at, with its reasons "
        "and rule set. Every use is written to the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("nik", help="16-digit NIK")
        parser.add_argument(
            "--at", help="ISO date-time (naive means Asia/Jakarta); default: now", default=None
        )
        parser.add_argument("--format", choices=["text", "json"], default="text", dest="fmt")

    def handle(self, *args: Any, nik: str, at: str | None, fmt: str, **_: Any) -> None:
        moment = timezone.now()
        if at:
            try:
                moment = dt.datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at: not an ISO date-time: {at!r}") from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, timezone.get_default_timezone())
        detail: dict[str, Any] = {
            "nik_masked": mask_nik(nik.strip()),
            "at": moment.isoformat(),
            "operator": _operator(),
        }
        # An operator's read of the NIK holder's status: named by the NIK's index.
        number = nik.strip()
        read: dict[str, Any] = {
            "actor": None,
            "action": "screening.status_cli",
            "purpose": Purpose.STATUS_CHECK,
            "subjects": [nik_index(number)] if len(number) == 16 and number.isdigit() else [],
        }
        try:
            found = status_for_nik(nik, at=moment)
        except ScreeningError as exc:
            audit.record_read(**read, error=exc.code.value, **detail)
            raise CommandError(f"{exc.code.value}: {exc.message}") from exc
        audit.record_read(
            **read,
            colour=found.colour,
            rule_set=found.rule_set,
            **detail,
        )
        if fmt == "json":
            self.stdout.write(json.dumps(found.as_json(), ensure_ascii=False))
            return
        self.stdout.write(f"colour:   {found.colour}")
        self.stdout.write(f"reasons:  {', '.join(found.reasons)}")
        self.stdout.write(f"rule set: {found.rule_set}")
        self.stdout.write(f"at:       {timezone.localtime(moment).isoformat(timespec='seconds')}")
