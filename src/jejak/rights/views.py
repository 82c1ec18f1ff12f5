"""The citizen's pages of their data rights: /saya/data/ (ask for a copy, follow its
progress, download it until the link expires) and /saya/data/dibaca/ (who read it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jejak.accounts.capabilities import signed_in_user
from jejak.people.access import is_visitor, visitor_required
from jejak.rights import reads, service
from jejak.rights.errors import ExportError, Reason
from jejak.rights.models import ExportFormat, ExportStatus
from jejak.screening.service import people_of

READS_PER_PAGE = 50


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@never_cache
@visitor_required
def data(request: HttpRequest) -> HttpResponse:
    account = signed_in_user(request)
    assert is_visitor(account)
    exports = service.exports_of(account)
    building = any(e.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for e in exports)
    rows = [
        {"export": e, "expired": service.expired(e), "ready": e.status == ExportStatus.READY}
        for e in exports
    ]
    return render(
        request,
        "rights/data.html",
        {
            "rows": rows,
            "building": building,
            "people": people_of(account=account),
            "formats": ExportFormat,
        },
    )


@require_POST
@visitor_required
def request_export(request: HttpRequest) -> HttpResponse:
    account = signed_in_user(request)
    assert is_visitor(account)
    fmt = request.POST.get("format", "")
    if fmt not in ExportFormat.values:
        messages.error(request, _("Pilih JSON atau PDF."))
        return redirect("rights_data")
    if service.pending_export(account=account, fmt=fmt) is None:
        service.request_export(account=account, fmt=fmt, ip=_ip(request))
    messages.success(request, _("Salinan data Anda sedang disiapkan."))
    return redirect("rights_data")


@never_cache
@visitor_required
def download(request: HttpRequest, public_id: str) -> HttpResponse:
    account = signed_in_user(request)
    assert is_visitor(account)
    try:
        found = service.download(account=account, public_id=public_id, ip=_ip(request))
    except ExportError as exc:
        status = exc.http_status
        if exc.code == Reason.NOT_READY:
            messages.info(request, exc.message)
            return redirect("rights_data")
        return render(request, "rights/gone.html", {"message": exc.message}, status=status)
    response = HttpResponse(found.body, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


@never_cache
@visitor_required
def who_read(request: HttpRequest) -> HttpResponse:
    account = signed_in_user(request)
    assert is_visitor(account)
    people = people_of(account=account)
    chosen_id = request.GET.get("orang", "")
    chosen = [p for p in people if p.public_id == chosen_id] or people
    by_index = {p.nik_index: p for p in people}
    page = Paginator(reads.reads_for(account, chosen), READS_PER_PAGE).get_page(
        request.GET.get("halaman")
    )
    return render(
        request,
        "rights/reads.html",
        {
            "people": people,
            "chosen": chosen_id if len(chosen) == 1 and chosen_id else "",
            "page": page,
            "rows": [reads.describe(row, by_index.get(row.nik_index)) for row in page],
        },
    )
