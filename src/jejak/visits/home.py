"""The citizen's home (/saya/): what a PeduliLindungi user opened the app for. Each
person's colour, the scan button, who is inside where (one tap checks the group out),
recent visits, the vaccination certificate, test results and unread messages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from jejak.accounts.capabilities import signed_in_user
from jejak.checkins.models import ACTIVE_Q, CheckIn
from jejak.health.models import LabResult, VaccinationDose
from jejak.notifications.outbox import unread_count
from jejak.partners.service import connected
from jejak.people.access import is_visitor
from jejak.screening.models import colour_label
from jejak.screening.service import people_of, statuses_for_people
from jejak.zones.service import ZoneFigure, latest_zones

RECENT_VISITS = 5
RECENT_TESTS = dt.timedelta(days=30)


@never_cache
@login_required(login_url="visitor_login")
def home(request: HttpRequest) -> HttpResponse:
    account = signed_in_user(request)
    if not is_visitor(account):
        return redirect("dashboard")
    now = timezone.now()
    people = people_of(account=account)
    by_index = {p.nik_index: p for p in people}
    statuses = statuses_for_people(people, at=now) if people else []
    doses: dict[str, list[VaccinationDose]] = defaultdict(list)
    for dose in VaccinationDose.objects.filter(nik_index__in=by_index).order_by("given_on"):
        doses[dose.nik_index].append(dose)
    tests: dict[str, list[LabResult]] = defaultdict(list)
    for result in LabResult.objects.filter(
        nik_index__in=by_index, specimen_at__gte=now - RECENT_TESTS
    ).order_by("-specimen_at"):
        tests[result.nik_index].append(result)
    cards = [
        {
            "person": person,
            "colour": status.colour,
            "colour_label": colour_label(status.colour),
            "doses": doses.get(person.nik_index, []),
            "tests": tests.get(person.nik_index, [])[:3],
        }
        for person, status in zip(people, statuses, strict=True)
    ]
    return render(
        request,
        "visits/home.html",
        {
            "cards": cards,
            "stays": _stays(account.pk, now),
            "recent": list(
                CheckIn.objects.filter(person__account_id=account.pk)
                .select_related("venue", "person")
                .order_by("-scanned_at")[:RECENT_VISITS]
            ),
            "unread": unread_count(account),
            "zones": _zones_of_city(people[0].nik_masked if people else ""),
            # Partner apps the citizen connected, each with a button to disconnect it.
            "rows": connected(account),
        },
    )


def _zones_of_city(nik_masked: str) -> list[ZoneFigure]:
    """The risk zones of the kecamatan of the holder's city (the NIK's first four digits,
    the part a masked NIK shows), highest first."""
    if len(nik_masked) < 4 or not nik_masked[:4].isdigit():
        return []
    figures = latest_zones(within=f"{nik_masked[:2]}.{nik_masked[2:4]}")
    return sorted(figures, key=lambda z: (-(z.level or 0), z.district))


def _stays(account_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    """Who of the account is inside where now, one group per check-in request."""
    inside = (
        CheckIn.objects.filter(ACTIVE_Q, person__account_id=account_id)
        .filter(Q(planned_checkout_at__isnull=True) | Q(planned_checkout_at__gt=now))
        .select_related("venue", "person", "request")
        .order_by("checked_in_at")
    )
    groups: dict[int, dict[str, Any]] = {}
    for row in inside:
        group = groups.setdefault(
            row.request_id,
            {
                "venue": row.venue,
                "since": row.checked_in_at,
                "nonce": row.request.nonce,
                "people": [],
            },
        )
        group["people"].append(row.person)
    return list(groups.values())
