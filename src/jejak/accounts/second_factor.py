"""Who must confirm a second factor after their password, and the factors themselves.

Staff whose role reads personal data beyond one venue (issuer, city admin, agency,
enforcement and health officers, and anyone with admin access) enrol a TOTP app
(django-otp's TOTPDevice) on their first sign-in and confirm a code from it on every
sign-in after. Ten one-time backup codes (django-otp's StaticDevice) are shown once at
enrolment for a lost phone. Wrong codes are throttled by django-otp itself (each failure
doubles the wait before the next try). Venue managers and staff join them when
JEJAK_SECOND_FACTOR_FOR_VENUE_ROLES is on. JEJAK_DEMO_SKIP_SECOND_FACTOR (the demo only)
waives the rule for everyone; `jejak check --deploy` reports it as an error.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from jejak.accounts.models import RequestUser, User
from jejak.accounts.roles import VENUE_ROLES, Role

BACKUP_CODES = 10
TOTP_NAME = "authenticator"
BACKUP_NAME = "backup"

ROLES_WITH_WIDE_ACCESS = frozenset(
    {
        Role.ISSUER,
        Role.CITY_ADMIN,
        Role.AGENCY_OFFICER,
        Role.ENFORCEMENT_OFFICER,
        Role.HEALTH_OFFICER,
    }
)


def required_for(user: RequestUser | None) -> bool:
    if not isinstance(user, User) or settings.JEJAK_DEMO_SKIP_SECOND_FACTOR:
        return False
    if user.is_staff or user.is_superuser or user.role in ROLES_WITH_WIDE_ACCESS:
        return True
    return bool(settings.JEJAK_SECOND_FACTOR_FOR_VENUE_ROLES and user.role in VENUE_ROLES)


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (made once, kept across page loads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps let one type it (base32, in groups of four)."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def confirm(device: TOTPDevice) -> list[str]:
    """Mark the device confirmed and issue fresh backup codes; returns them (shown once)."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=device.user).delete()
    backup = StaticDevice.objects.create(user=device.user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    return codes


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def reset(user: User) -> int:
    """Remove every second factor of `user` (a lost phone): they enrol again at sign-in."""
    totp, _ = TOTPDevice.objects.filter(user=user).delete()
    static, _ = StaticDevice.objects.filter(user=user).delete()
    return totp + static
