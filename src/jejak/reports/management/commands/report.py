from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from jejak.core import replicas
from jejak.regions.models import Region
from jejak.reports.errors import ReportError
from jejak.reports.render import render_pdf, render_xlsx
from jejak.reports.weekly import build_weekly, parse_week


class Command(BaseCommand):
    help = "The weekly city report: rollout, usage, refusals, least compliant venues, "
    help += "inspections and sanctions, open follow-ups (PDF, and XLSX data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", required=True, help="ISO week, e.g. 2021-W44")
        parser.add_argument("--out", required=True, help="the PDF to write")
        parser.add_argument("--xlsx", help="also write the tables to this XLSX file")
        parser.add_argument("--region", help="Kemendagri code, e.g. 36.71 (default: everything)")
        parser.add_argument("--language", choices=["id", "en"], default="id")

    def handle(
        self,
        *args: Any,
        week: str,
        out: str,
        xlsx: str | None,
        region: str | None,
        language: str,
        **_: Any,
    ) -> None:
        try:
            chosen = parse_week(week)
        except ReportError as exc:
            raise CommandError(f"{exc.message} ({week!r})") from None
        area = None
        if region:
            area = Region.objects.filter(code=region).first()
            if area is None:
                raise CommandError(f"Unknown region code {region!r}.")
        for target in (out, xlsx):
            if target and not Path(target).parent.resolve().is_dir():
                raise CommandError(f"No such directory for {target!r}.")
        # The week's numbers may come from a read replica (core/replicas.py).
        with translation.override(language), replicas.reading():
            report = build_weekly(week=chosen, region=area, language=language)
            pdf = render_pdf(report)
            data = render_xlsx(report) if xlsx else None
        Path(out).write_bytes(pdf)
        if xlsx and data is not None:
            Path(xlsx).write_bytes(data)
        self.stdout.write(
            f"{chosen.label}: {report.usage_total.total} check-ins, "
            f"{len(report.inspections)} inspections, {len(report.open_followups)} open "
            f"follow-ups -> {out}" + (f", {xlsx}" if xlsx else "")
        )
