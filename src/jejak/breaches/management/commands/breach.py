"""`jejak breach record|list|select|notify|report`: personal-data breaches from the shell,
as the system (audited with no actor). See docs/breaches.md."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from jejak.breaches import selection as select
from jejak.breaches import sending, service
from jejak.breaches.deadlines import deadline_of
from jejak.breaches.errors import BreachError
from jejak.breaches.models import Breach, BreachStatus, DataClass
from jejak.breaches.report import render_pdf, subject_counts


def _moment(value: str) -> dt.datetime:
    """ "2021-11-03 10:00" (WIB) or an ISO time with its offset."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a time: {value!r} (e.g. 2021-11-03 10:00).") from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date: {value!r} (e.g. 2021-11-03).") from None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


class Command(BaseCommand):
    help = (
        "Personal-data breaches (UU 27/2022 Art. 46): record one, list them with their "
        "deadline, choose the people affected, notify them (SMS and in-app, through the "
        "outbox) and write the report to the authority (PDF)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        record = actions.add_parser("record", help="record a breach; prints its id")
        record.add_argument("--title", required=True)
        record.add_argument("--description", required=True)
        record.add_argument("--discovered", required=True, help="e.g. '2021-11-03 10:00' (WIB)")
        record.add_argument(
            "--classes", required=True, help=f"comma-separated: {', '.join(DataClass.values)}"
        )
        record.add_argument("--occurred-from")
        record.add_argument("--occurred-to")
        record.add_argument("--cause", default="")
        record.add_argument("--measures", default="")

        actions.add_parser("list", help="breaches with their deadline and status")

        choose = actions.add_parser("select", help="choose the people affected (fixed filters)")
        choose.add_argument("breach", help="the breach's id")
        choose.add_argument("--all-accounts", action="store_true")
        choose.add_argument("--venues", help="comma-separated short codes")
        choose.add_argument("--from", dest="checkins_from", help="check-ins from this date")
        choose.add_argument("--to", dest="checkins_to", help="check-ins up to this date")
        choose.add_argument("--venue-regions", help="comma-separated Kemendagri codes")
        choose.add_argument("--residence-regions", help="comma-separated Kemendagri codes")
        choose.add_argument("--classes", help="people with data of these classes")

        notify = actions.add_parser(
            "notify", help="draft the notices (unless drafted) and send them all"
        )
        notify.add_argument("breach")
        notify.add_argument(
            "--dry-run", action="store_true", help="only count whom the selection finds"
        )

        report = actions.add_parser("report", help="write the report to the authority (PDF)")
        report.add_argument("breach")
        report.add_argument("--out", required=True)
        report.add_argument("--language", choices=["id", "en"], default="id")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except BreachError as exc:
            raise CommandError(f"{exc.code.value}: {exc.message}") from None

    def _breach(self, public_id: str) -> Breach:
        return service.access_breach(None, public_id)

    def _record(self, **o: Any) -> None:
        breach = service.record_breach(
            actor=None,
            title=o["title"],
            description=o["description"],
            discovered_at=_moment(o["discovered"]),
            data_classes=_split(o["classes"]),
            occurred_from=_moment(o["occurred_from"]) if o["occurred_from"] else None,
            occurred_to=_moment(o["occurred_to"]) if o["occurred_to"] else None,
            cause=o["cause"],
            measures=o["measures"],
        )
        due = timezone.localtime(deadline_of(breach).due)
        self.stdout.write(f"{breach.public_id}: deadline {due:%Y-%m-%d %H:%M %Z}")

    def _list(self, **_o: Any) -> None:
        now = timezone.now()
        for breach in Breach.objects.all():
            d = deadline_of(breach, now)
            row = {
                "id": breach.public_id,
                "title": breach.title,
                "status": breach.status,
                "discovered_at": breach.discovered_at.isoformat(),
                "deadline": d.due.isoformat(),
                "overdue": d.overdue,
                "notified_subjects_at": _iso(breach.notified_subjects_at),
                "reported_to_authority_at": _iso(breach.reported_to_authority_at),
            }
            self.stdout.write(json.dumps(row, ensure_ascii=False))

    def _select(self, **o: Any) -> None:
        breach = self._breach(o["breach"])
        chosen = select.Selection(
            all_accounts=o["all_accounts"],
            venues=tuple(v.upper() for v in _split(o["venues"])),
            checkins_from=_date(o["checkins_from"]) if o["checkins_from"] else None,
            checkins_to=_date(o["checkins_to"]) if o["checkins_to"] else None,
            venue_regions=_split(o["venue_regions"]),
            residence_regions=_split(o["residence_regions"]),
            data_classes=_split(o["classes"]),
        )
        service.set_selection(actor=None, breach=breach, selection=chosen)
        found = select.count(chosen)
        self.stdout.write(
            f"{breach.public_id}: {found.people} people on {found.accounts} accounts, "
            f"{found.with_phone} with a phone number"
        )

    def _notify(self, **o: Any) -> None:
        breach = self._breach(o["breach"])
        if o["dry_run"]:
            chosen = select.Selection.of(breach)
            select.validate(chosen)
            found = select.count(chosen)
            self.stdout.write(f"{breach.public_id}: would notify {found.people} people")
            return
        if breach.status == BreachStatus.OPEN and breach.drafted_at is None:
            service.draft_notices(actor=None, breach=breach)
        service.start_sending(actor=None, breach=breach)
        sent = sending.send_all(breach_id=breach.pk)
        counts = subject_counts(breach)
        self.stdout.write(
            f"{breach.public_id}: notices queued for {sent} people now, "
            f"{counts.notified} of {counts.people} in all"
        )

    def _report(self, **o: Any) -> None:
        breach = self._breach(o["breach"])
        out = Path(o["out"])
        if not out.parent.resolve().is_dir():
            raise CommandError(f"No such directory for {o['out']!r}.")
        with translation.override(o["language"]):
            pdf = render_pdf(breach)
        out.write_bytes(pdf)
        service.report_generated(actor=None, breach=breach, via="command")
        self.stdout.write(f"{breach.public_id}: report -> {out}")


def _iso(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment else ""
