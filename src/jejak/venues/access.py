"""Fetching a venue for its console: the capability, then the jurisdiction, in one step."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from jejak.accounts.capabilities import Cap, require
from jejak.venues.models import Venue


def console_venues(user: Any) -> Any:
    """The venues whose console `user` may open (venue roles: their own venues)."""
    return Venue.objects.visible_to(user).order_by("short_code")


def access_console_venue(user: Any, short_code: str, cap: Cap = Cap.VENUE_CONSOLE) -> Venue:
    """The venue, if `user` holds `cap` and may see the venue. PermissionDenied without
    the capability; Http404 for a venue outside the user's venues (never a leak)."""
    require(user, cap)
    venue = (
        console_venues(user)
        .select_related("sector", "region")
        .filter(short_code=str(short_code)[:32].upper())
        .first()
    )
    if venue is None:
        raise Http404(_("Tempat tidak ditemukan."))
    return venue
