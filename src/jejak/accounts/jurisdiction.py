"""Which regions a user may act in: the jurisdiction half of every permission check.

An unknown role or a missing region answers "nothing", so a forgotten case fails closed.
Venues narrow the same way in `venues.models.VenueQuerySet.visible_to`, from these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from jejak.accounts.roles import REGIONAL_ROLES, Role

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser, User
    from jejak.regions.models import Region


def is_national(user: RequestUser | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role == Role.ISSUER)
    )


def region_checker(user: User | None) -> Callable[[Region], bool]:
    """A test for "may this user register things in that region?" (None: the system)."""
    if user is None or is_national(user):
        return lambda region: True
    home = user.region if getattr(user, "role", None) in REGIONAL_ROLES else None
    if home is None:
        return lambda region: False
    return home.contains


def region_code_visible_to(user: RequestUser, code: str) -> bool:
    """Whether a regional officer's region holds the region with this Kemendagri code
    (e.g. a NIK's district, "36.71.01"); national users hold every region."""
    if is_national(user):
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    home = user.region if user.role in REGIONAL_ROLES else None
    if home is None or not code:
        return False
    return bool(code == home.code or code.startswith(home.code + "."))
