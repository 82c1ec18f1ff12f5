"""Which regions a user may act in: the jurisdiction half of every permission check.

An unknown role or a missing region answers "nothing", so a forgotten case fails closed.
Venues narrow the same way in `venues.models.VenueQuerySet.visible_to`, from these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jejak.accounts.roles import REGIONAL_ROLES, Role

if TYPE_CHECKING:
    from jejak.regions.models import Region


def is_national(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or user.role == Role.ISSUER)
    )


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
