"""Closing one's account (/saya/tutup-akun/) and the issuer's list of erasure requests
with their deadlines (/pelindungan-data/penghapusan/)."""

from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jejak.accounts.capabilities import Cap, capability_required
from jejak.erasure import labels, service
from jejak.erasure.models import ErasureRequest
from jejak.people.access import visitor_required


@visitor_required
def close_account(request: HttpRequest) -> HttpResponse:
    account = request.user
    error = False
    if request.method == "POST":
        if request.POST.get("confirm") == "yes":
            done = service.request_closure(account, ip=request.META.get("REMOTE_ADDR"))  # type: ignore[arg-type]
            logout(request)
            return render(
                request,
                "erasure/closed.html",
                {"req": done, "held": labels.labelled_holds(done.holds)},
            )
        error = True
    found = service.preview(account)  # type: ignore[arg-type]
    return render(
        request,
        "erasure/close.html",
        {
            "erase_now": labels.labelled_counts(found["erase_now"]),
            "held": labels.labelled_holds(found["held"]),
            "error": error,
        },
        status=400 if error else 200,
    )


@capability_required(Cap.MANAGE_BREACHES)
def request_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        (r, r.overdue(now), labels.labelled_holds(r.holds))
        for r in ErasureRequest.objects.all()[:500]
    ]
    return render(
        request,
        "erasure/list.html",
        {"rows": rows, "overdue": sum(1 for _r, late, _holds in rows if late)},
    )
