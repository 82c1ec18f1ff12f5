"""Which objects a user may see: the jurisdiction half of every permission check.

Each function narrows a queryset; an unknown role or a missing region narrows it to
nothing, so a forgotten case fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from jejak.accounts.roles import REGIONAL_ROLES, VENUE_ROLES, Role

if TYPE_CHECKING:
    from jejak.regions.models import Region
    from jejak.venues.models import VenueQuerySet


def is_national(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or user.role == Role.ISSUER)
    )


def venues_visible_to(user: Any, queryset: VenueQuerySet | None = None) -> VenueQuerySet:
    from jejak.venues.models import Venue

    qs = Venue.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_national(user):
        return qs
    if user.role in REGIONAL_ROLES:
        if user.region is None:
            return qs.none()
        qs = qs.filter(user.region.subtree_q("region"))
        if user.role == Role.AGENCY_OFFICER:
            sector_ids = list(user.sectors.values_list("id", flat=True))
            qs = qs.filter(Q(sector_id__in=sector_ids) | Q(sector__parent_id__in=sector_ids))
        return qs
    if user.role in VENUE_ROLES:
        return qs.filter(staff=user)
    return qs.none()


def region_checker(user: Any) -> Callable[[Region], bool]:
    """A test for "may this user register things in that region?" (None: the system)."""
    if user is None or is_national(user):
        return lambda region: True
    home = user.region if getattr(user, "role", None) in REGIONAL_ROLES else None
    if home is None:
        return lambda region: False
    return home.contains


def region_code_visible_to(user: Any, code: str) -> bool:
    """Whether a regional officer's region holds the region with this Kemendagri code
    (e.g. a NIK's district, "36.71.01"); national users hold every region."""
    if is_national(user):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    home = user.region if user.role in REGIONAL_ROLES else None
    if home is None or not code:
        return False
    return bool(code == home.code or code.startswith(home.code + "."))
