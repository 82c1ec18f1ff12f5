"""`jejak check`: catch SMS settings under which sign-in codes would never reach a phone."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def sms_backend_known(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A typo in JEJAK_SMS_BACKEND would otherwise only show up as log lines at sign-in."""
    from jejak.notifications.sms import BACKENDS

    backend = settings.JEJAK_SMS_BACKEND
    if backend not in BACKENDS:
        return [
            Error(
                f"JEJAK_SMS_BACKEND is {backend!r}; expected one of {', '.join(BACKENDS)}.",
                id="jejak.notifications.E001",
            )
        ]
    if backend == "http" and not settings.JEJAK_SMS_HTTP_URL.startswith(("https://", "http://")):
        return [
            Error(
                "JEJAK_SMS_BACKEND is http but JEJAK_SMS_HTTP_URL is not an http(s) URL.",
                id="jejak.notifications.E002",
            )
        ]
    return []


@register(deploy=True)
def sms_backend_reaches_phones(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The console and file backends are for laptops and tests."""
    if settings.JEJAK_SMS_BACKEND == "http":
        return []
    return [
        Warning(
            f"JEJAK_SMS_BACKEND is {settings.JEJAK_SMS_BACKEND!r}: sign-in codes never reach "
            "a phone.",
            hint="Set JEJAK_SMS_BACKEND=http and JEJAK_SMS_HTTP_URL; see docs/configuration.md.",
            id="jejak.notifications.W001",
        )
    ]
