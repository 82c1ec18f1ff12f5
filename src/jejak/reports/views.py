from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jejak.accounts.capabilities import Cap, capability_required, signed_in_user
from jejak.accounts.jurisdiction import is_national
from jejak.audit import service as audit
from jejak.core import replicas
from jejak.regions.models import Region
from jejak.reports.errors import ReportError
from jejak.reports.render import render_pdf, render_xlsx
from jejak.reports.weekly import Week, build_weekly, parse_week

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _recent_weeks(today: dt.date, n: int = 12) -> list[Week]:
    return [Week.of(today - dt.timedelta(weeks=k)) for k in range(n)]


@capability_required(Cap.DOWNLOAD_REPORTS)
def report_page(request: HttpRequest) -> HttpResponse:
    """Pick a week (and, nationally, a region); download the PDF or the XLSX data. The
    numbers cover what the user may see: an agency officer gets its sectors only."""
    today = timezone.localdate()
    error = ""
    fmt = request.GET.get("format")
    if fmt in ("pdf", "xlsx") and "week" in request.GET:
        region = None
        try:
            week = parse_week(request.GET["week"])
            if (code := request.GET.get("region")) and is_national(request.user):
                region = Region.objects.filter(code=code).first()
                if region is None:
                    raise ReportError("unknown_region")
        except ReportError as exc:
            error = exc.message
        else:
            user = signed_in_user(request)
            with replicas.reading():
                report = build_weekly(
                    week=week, user=user, region=region, language=get_language() or "id"
                )
            audit.record(
                actor=request.user,
                action="reports.weekly_downloaded",
                week=week.label,
                format=fmt,
                region=region.code if region else "",
            )
            name = f"jejak-laporan-{week.label}"
            if fmt == "pdf":
                response = HttpResponse(render_pdf(report), content_type="application/pdf")
                response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            else:
                response = HttpResponse(render_xlsx(report), content_type=XLSX)
                response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
    regions = (
        Region.objects.filter(level__in=["province", "regency"])[:600]
        if is_national(request.user)
        else []
    )
    return render(
        request,
        "reports/page.html",
        {
            "weeks": _recent_weeks(today),
            "regions": regions,
            "error": error,
            "hint": _("Minggu ISO, Senin sampai Minggu (WIB)."),
        },
        status=400 if error else 200,
    )
