"""The staff roster page of the venue console (/tempat/<short_code>/karyawan/), for the
venue's managers: the entries, adding and ending one, importing a CSV.

Every view fetches the venue through the console's access helper with the
MANAGE_VENUE_STAFF capability: another venue is a 404, a role without it a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jejak.accounts.capabilities import Cap, signed_in_user
from jejak.rosters import service
from jejak.rosters.errors import Reason, RosterError
from jejak.rosters.forms import RosterEntryForm, RosterImportForm
from jejak.venues.access import access_venue
from jejak.venues.models import Venue

# Which form field a refusal belongs to; others are shown above the form.
_FIELD_OF = {
    Reason.PHONE_INVALID: "phone",
    Reason.NIK_INVALID: "nik",
    Reason.ROLE_INVALID: "role",
    Reason.PERIOD_INVALID: "valid_until",
}
# A page of a venue's roster: longer lists are a sign of a mistaken import.
SHOWN = 500


def _page(request: HttpRequest, venue: Venue, **context: Any) -> HttpResponse:
    now = timezone.now()
    entries = service.read_entries(
        actor=signed_in_user(request),
        venue=venue,
        limit=SHOWN,
        ip=request.META.get("REMOTE_ADDR") or None,
    )
    rows = [
        {
            "entry": e,
            "state": "ended"
            if e.ended_at is not None
            or (e.valid_until is not None and e.valid_until < timezone.localdate(now))
            else ("current" if e.valid_at(now) else "upcoming"),
        }
        for e in entries
    ]
    context.setdefault("form", RosterEntryForm())
    context.setdefault("import_form", RosterImportForm())
    return render(request, "rosters/roster.html", {"venue": venue, "rows": rows, **context})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def roster(request: HttpRequest, short_code: str) -> HttpResponse:
    """The roster, and adding one entry (POST)."""
    venue = access_venue(request.user, short_code, Cap.MANAGE_VENUE_STAFF)
    if request.method != "POST":
        return _page(request, venue)
    form = RosterEntryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = service.add_entry(
                actor=signed_in_user(request),
                venue=venue,
                phone=data["phone"],
                nik=data["nik"],
                role=data["role"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
            )
        except RosterError as exc:
            form.add_error(_FIELD_OF.get(exc.code), exc.message)
        else:
            messages.success(
                request, _("%(masked)s ditambahkan ke daftar karyawan.") % {"masked": entry.masked}
            )
            return redirect("roster", short_code=venue.short_code)
    return _page(request, venue, form=form)


@never_cache
@login_required
@require_POST
def roster_import(request: HttpRequest, short_code: str) -> HttpResponse:
    """A CSV of entries: all of them, or none and the errors line by line."""
    venue = access_venue(request.user, short_code, Cap.MANAGE_VENUE_STAFF)
    form = RosterImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, venue, import_form=form)
    result = service.import_csv(
        actor=signed_in_user(request), venue=venue, data=form.cleaned_data["file"]
    )
    if result.errors:
        # 200 with the report: the manager fixes the file and uploads it again.
        return _page(request, venue, import_form=form, import_errors=result.errors)
    messages.success(
        request,
        ngettext(
            "%(n)d entri ditambahkan ke daftar karyawan.",
            "%(n)d entri ditambahkan ke daftar karyawan.",
            len(result.created),
        )
        % {"n": len(result.created)},
    )
    return redirect("roster", short_code=venue.short_code)


@login_required
@require_POST
def roster_end(request: HttpRequest, short_code: str, pk: int) -> HttpResponse:
    """End an entry now: the person no longer checks in here as an employee."""
    venue = access_venue(request.user, short_code, Cap.MANAGE_VENUE_STAFF)
    try:
        entry = service.end_entry(actor=signed_in_user(request), venue=venue, entry_id=pk)
    except RosterError:
        raise Http404 from None
    messages.success(request, _("Entri %(masked)s diakhiri.") % {"masked": entry.masked})
    return redirect("roster", short_code=venue.short_code)
