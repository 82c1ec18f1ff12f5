from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jejak.accounts.capabilities import Cap, capability_required, has_capability, signed_in_user
from jejak.followups import service
from jejak.followups.errors import FollowUpError
from jejak.followups.forms import FollowUpForm, FollowUpUpdateForm
from jejak.sectors.models import Sector
from jejak.venues.access import access_venue


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value or default)))
    except ValueError:
        return default


@capability_required(Cap.VIEW_FOLLOWUPS)
def followup_home(request: HttpRequest) -> HttpResponse:
    """Lagging venues of the user's sectors, and the overdue follow-ups on top."""
    days = _int(request.GET.get("days"), service.LOW_USAGE_DAYS, 1, 90)
    lag = request.GET.get("lag") or None
    sector = request.GET.get("sector") or None
    rows = service.lagging_venues(user=request.user, days=days, lag=lag, sector_slug=sector)
    # An agency officer's filter offers its own sectors; others get every sector.
    user = signed_in_user(request)
    sectors = user.sectors.filter(parent__isnull=True)
    if not sectors.exists():
        sectors = Sector.objects.filter(parent__isnull=True)
    return render(
        request,
        "followups/home.html",
        {
            "rows": rows,
            "overdue": service.overdue_followups(user=request.user)[:200],
            "days": days,
            "lags": list(service.LAG_LABELS.items()),
            "sectors": sectors,
            "min_checkins": service.LOW_USAGE_MIN_CHECKINS,
            "can_record": has_capability(request.user, Cap.RECORD_FOLLOWUPS),
        },
    )


@capability_required(Cap.VIEW_FOLLOWUPS)
def venue_followups(request: HttpRequest, short_code: str) -> HttpResponse:
    venue = access_venue(request.user, short_code)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST":
        if not has_capability(request.user, Cap.RECORD_FOLLOWUPS):
            raise Http404
        if form.is_valid():
            try:
                service.do_record_followup(actor=request.user, venue=venue, **form.cleaned_data)
            except FollowUpError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Tindak lanjut dicatat."))
                return redirect("venue_followups", venue.short_code)
    return render(
        request,
        "followups/venue.html",
        {
            "venue": venue,
            "followups": venue.followups.select_related("officer").order_by("-created_at"),
            "form": form,
            "today": timezone.localdate(),
            "can_record": has_capability(request.user, Cap.RECORD_FOLLOWUPS),
        },
    )


@require_POST
@capability_required(Cap.RECORD_FOLLOWUPS)
def followup_update(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        followup = service.access_followup(request.user, pk)
    except FollowUpError:
        raise Http404 from None
    form = FollowUpUpdateForm(request.POST)
    if form.is_valid():
        try:
            service.do_update_followup(
                actor=signed_in_user(request), followup=followup, **form.cleaned_data
            )
        except FollowUpError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Tindak lanjut diperbarui."))
    else:
        messages.error(request, _("Periksa isian tindak lanjut."))
    return redirect("venue_followups", followup.venue.short_code)
