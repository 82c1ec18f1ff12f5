"""Fetching one venue for a user: the capability, then the jurisdiction, in one step.

Every page and API operation that names a venue by its short code goes through
`access_venue`; which venues a user may see at all is `Venue.objects.visible_to`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from django.utils.translation import gettext as _

from jejak.accounts.capabilities import Cap, require
from jejak.venues.models import Venue, VenueQuerySet

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser


class VenueNotFound(Http404):
    """No such venue among the user's venues. A venue that exists outside them gets the
    same answer, so nobody learns which venues exist elsewhere. Pages answer 404; the
    API answers 404 `venue_not_found` (jejak/api.py)."""

    code = "venue_not_found"


def console_venues(user: RequestUser) -> VenueQuerySet:
    """The venues whose console `user` may open (venue roles: their own venues)."""
    return Venue.objects.visible_to(user).order_by("short_code")


def access_venue(user: RequestUser, short_code: str, cap: Cap | None = None) -> Venue:
    """The venue with this short code, if `user` holds `cap` (PermissionDenied without
    it; no check when None) and may see the venue (VenueNotFound otherwise)."""
    if cap is not None:
        require(user, cap)
    venue = (
        Venue.objects.visible_to(user)
        .select_related("sector", "region")
        .filter(short_code=str(short_code)[:32].upper())
        .first()
    )
    if venue is None:
        raise VenueNotFound(_("Tempat tidak ditemukan."))
    return venue
