"""The venue console (/tempat/<short_code>/) for venue staff and managers.

Pages are server-rendered and work without JavaScript; console.js only refreshes the
live numbers and runs the camera scanner. Every view fetches the venue through
access_venue (capability, then the user's venues: another venue is a 404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jejak.accounts.capabilities import Cap, has_capability, require, signed_in_user
from jejak.checkins import checkout
from jejak.checkins.door import answer_for_pass
from jejak.checkins.errors import DECISION_COLOUR, Decision
from jejak.checkins.models import BlackStatusAlert
from jejak.console import live, service
from jejak.console.errors import ConsoleError
from jejak.console.forms import ManualCheckInForm, StaffAccountForm
from jejak.inspections.closures import closure_at
from jejak.screening.errors import PassError
from jejak.screening.models import Colour, colour_label
from jejak.screening.passes import do_verify_status_pass
from jejak.venues.access import access_venue, console_venues
from jejak.venues.workflow import Action, allowed_actions

# How often the page asks for fresh numbers; the endpoint is cheap (see live.py).
POLL_SECONDS = 5


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@login_required
def console_index(request: HttpRequest) -> HttpResponse:
    """The venues whose console this user may open; with exactly one, that console."""
    require(request.user, Cap.VENUE_CONSOLE)
    venues = list(console_venues(request.user)[:101])
    if len(venues) == 1:
        return redirect("console_venue", short_code=venues[0].short_code)
    return render(request, "console/index.html", {"venues": venues[:100]})


@never_cache
@login_required
def console_venue(request: HttpRequest, short_code: str) -> HttpResponse:
    venue = access_venue(request.user, short_code, Cap.VENUE_CONSOLE)
    state = live.live_state(venue)
    return render(
        request,
        "console/venue.html",
        {
            "venue": venue,
            "state": state,
            # A Satpol PP closure in force: every scan is refused, and the staff must know.
            "closure": closure_at(venue.pk, timezone.now()),
            "decisions": [
                (d.value, d.label, state["today"]["decision"].get(d.value, 0)) for d in Decision
            ],
            "colours": [
                (c.value, c.label, state["today"]["colour"].get(c.value, 0)) for c in Colour
            ],
            "poll_seconds": POLL_SECONDS,
            "may_manage": has_capability(request.user, Cap.MANAGE_VENUE_STAFF),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def manual_checkin(request: HttpRequest, short_code: str) -> HttpResponse:
    """Staff type a visitor's NIK, full name and birth date; the answer is the entry
    decision and the colour, nothing else."""
    venue = access_venue(request.user, short_code, Cap.CHECK_IN_VISITORS)
    entry_points = list(venue.entry_points.all())
    form = ManualCheckInForm(request.POST or None, entry_points=entry_points)
    context: dict[str, Any] = {"venue": venue, "form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry_point = next(ep for ep in entry_points if ep.pk == data["entry_point"])
        try:
            outcome = service.do_manual_checkin(
                staff=signed_in_user(request),
                entry_point=entry_point,
                nik=data["nik"],
                full_name=data["full_name"],
                birth_date=data["birth_date"],
                visitor_type=data["visitor_type"],
                nonce=data["nonce"],
                ip=_client_ip(request),
            )
        except ConsoleError as exc:
            context["refusal"] = exc
        else:
            live.forget_today_counts(venue)
            context["outcome"] = outcome
            context["decision_label"] = Decision(outcome.decision).label
            context["decision_colour"] = DECISION_COLOUR.get(outcome.decision, "merah")
            context["colour_label"] = colour_label(outcome.colour)
        # The next visitor gets an empty form with a new nonce.
        context["form"] = ManualCheckInForm(
            entry_points=entry_points,
            initial={"entry_point": entry_point.pk, "visitor_type": data["visitor_type"]},
        )
        # 200 even for a refusal: the stable code is on the page, and an error status
        # would be logged as an error in the browser's console.
        return render(request, "console/manual_checkin.html", context)
    return render(request, "console/manual_checkin.html", context)


@never_cache
@login_required
@require_POST
def door_pass(request: HttpRequest, short_code: str) -> HttpResponse:
    """The guard's pass scanner without JavaScript: the scanned text posted, the decision
    at this door shown full width (console.js asks `POST /api/v1/console/.../pass`)."""
    venue = access_venue(request.user, short_code, Cap.VENUE_CONSOLE)
    require(request.user, Cap.VERIFY_STATUS_PASS)
    context: dict[str, Any] = {"venue": venue}
    try:
        view = do_verify_status_pass(
            scanned=request.POST.get("pass", ""),
            actor=signed_in_user(request),
            ip=_client_ip(request),
        )
    except PassError as exc:
        context["refusal"] = exc
    else:
        context.update(
            found=view,
            answer=answer_for_pass(view, venue=venue),
            colour_label=colour_label(view.colour),
        )
    return render(request, "console/door_pass.html", context)


@require_POST
@login_required
def acknowledge_alert(request: HttpRequest, short_code: str, pk: int) -> HttpResponse:
    venue = access_venue(request.user, short_code, Cap.VENUE_CONSOLE)
    try:
        service.do_acknowledge_alert(venue=venue, alert_id=pk, actor=signed_in_user(request))
    except BlackStatusAlert.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Peringatan ditandai sudah ditangani."))
    return redirect("console_venue", short_code=venue.short_code)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def checkout_everyone(request: HttpRequest, short_code: str) -> HttpResponse:
    """GET asks for confirmation (the page without JavaScript); POST closes every stay."""
    venue = access_venue(request.user, short_code, Cap.CHECK_OUT_EVERYONE)
    if request.method == "POST":
        closed = checkout.check_out_everyone(venue=venue, actor=signed_in_user(request))
        messages.success(request, _("%(n)d pengunjung telah di-check-out.") % {"n": closed})
        return redirect("console_venue", short_code=venue.short_code)
    return render(
        request,
        "console/checkout_everyone.html",
        {"venue": venue, "state": live.live_state(venue)},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, short_code: str) -> HttpResponse:
    """A manager's page: links to the venue's profile, entrances, posters and code
    requests, and the venue's staff accounts."""
    user = signed_in_user(request)
    venue = access_venue(user, short_code, Cap.MANAGE_VENUE_STAFF)
    form = StaffAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service.do_add_staff(
            manager=user,
            venue=venue,
            username=data["username"],
            full_name=data["full_name"],
            phone=data["phone"].strip(),
            password=data["password"],
        )
        messages.success(
            request, _("Akun staf %(username)s dibuat.") % {"username": data["username"]}
        )
        return redirect("console_manage", short_code=venue.short_code)
    actions = [a for a in allowed_actions(venue, user) if a == Action.SUBMIT]
    return render(
        request,
        "console/manage.html",
        {
            "venue": venue,
            "form": form,
            "staff": service.manageable_staff(manager=user, venue=venue),
            "request_actions": actions,
            "entry_points": venue.entry_points.all(),
            "posters_ready": venue.status in ("issued", "installed"),
        },
    )


@require_POST
@login_required
def staff_active(request: HttpRequest, short_code: str, pk: int) -> HttpResponse:
    venue = access_venue(request.user, short_code, Cap.MANAGE_VENUE_STAFF)
    active = request.POST.get("active") == "1"
    try:
        staff = service.do_set_staff_active(
            manager=signed_in_user(request), venue=venue, staff_id=pk, active=active
        )
    except ConsoleError:
        raise Http404 from None
    if active:
        messages.success(
            request, _("Akun %(username)s aktif kembali.") % {"username": staff.username}
        )
    else:
        messages.success(
            request, _("Akun %(username)s dinonaktifkan.") % {"username": staff.username}
        )
    return redirect("console_manage", short_code=venue.short_code)
