"""The PPKM staff page (/ppkm/): the level of each region in the user's jurisdiction with
its history, a form to schedule a level change, and the sector rules of each level
(read-only here; the issuer edits them in Django admin)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, TypeGuard

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jejak.accounts.capabilities import Cap, has_capability
from jejak.accounts.jurisdiction import is_national
from jejak.ppkm import service
from jejak.ppkm.errors import PpkmError
from jejak.ppkm.forms import LevelChangeForm
from jejak.ppkm.models import Level, LevelAssignment, SectorRule
from jejak.regions.models import Region, RegionLevel
from jejak.screening.models import Colour

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser, User


def _may_use_page(user: RequestUser) -> TypeGuard[User]:
    return has_capability(user, Cap.ASSIGN_PPKM_LEVELS) and (
        is_national(user) or user.region_id is not None
    )


def _regions_of(user: User) -> list[Region]:
    # Levels are set for provinces, cities and kecamatan; villages inherit them.
    levels = [RegionLevel.PROVINCE, RegionLevel.REGENCY, RegionLevel.DISTRICT]
    regions = Region.objects.filter(level__in=levels)
    if not is_national(user):
        home = user.region
        assert home is not None, "_may_use_page lets in national or regional users only"
        regions = regions.filter(home.subtree_q(""))
    else:
        # Nationally: provinces, cities and any region that has a level of its own.
        regions = regions.filter(
            Q(level__in=[RegionLevel.PROVINCE, RegionLevel.REGENCY]) | Q(ppkm_levels__isnull=False)
        ).distinct()
    return list(regions.order_by("code")[:1000])


def _colours(codes: list[str]) -> str:
    return ", ".join(str(Colour(c).label) if c in Colour.values else c for c in codes) or "-"


def _rule_row(rule: SectorRule) -> dict[str, Any]:
    if rule.opens_at is None and rule.closes_at is None:
        hours = _("sepanjang hari")
    else:
        opens = rule.opens_at.strftime("%H.%M") if rule.opens_at else "00.00"
        closes = rule.closes_at.strftime("%H.%M") if rule.closes_at else "24.00"
        hours = f"{opens}-{closes}"
    return {
        "rule": rule,
        "sector": rule.sector,
        "parent": rule.sector.parent,
        "hours": hours,
        "guests": _colours(rule.guest_colours),
        "staff_check": _colours(rule.staff_check_colours),
        "employees": _colours(rule.employee_colours),
    }


@login_required
@require_http_methods(["GET", "POST"])
def levels(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _may_use_page(user):
        raise PermissionDenied("ppkm")
    form = LevelChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment = service.assign_level(
                region=data["region"],
                level=data["level"],
                effective_from=data["effective_from"],
                actor=user,
                reason=data["reason"],
            )
        except PpkmError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(region)s: Level %(level)s mulai %(date)s dijadwalkan.")
                % {
                    "region": assignment.region.name,
                    "level": assignment.level,
                    "date": assignment.effective_from.strftime("%d-%m-%Y"),
                },
            )
            return redirect("ppkm_levels")

    today = timezone.localdate()
    regions = _regions_of(user)
    current = service.current_levels(regions=regions, on=today)
    history: dict[int, list[LevelAssignment]] = defaultdict(list)
    for assignment in LevelAssignment.objects.filter(region__in=regions).select_related("set_by"):
        history[assignment.region_id].append(assignment)
    rows = [
        {
            "region": region,
            "level": current[region.pk],
            "history": history.get(region.pk, []),
        }
        for region in regions
    ]
    rules_by_level: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for rule in SectorRule.objects.select_related("sector", "sector__parent").order_by(
        "level", "sector__position", "sector__slug"
    ):
        rules_by_level[rule.level].append(_rule_row(rule))
    return render(
        request,
        "ppkm/levels.html",
        {
            "form": form,
            "rows": rows,
            "today": today,
            "rule_levels": [(level, rules_by_level.get(level.value, [])) for level in Level],
        },
    )
