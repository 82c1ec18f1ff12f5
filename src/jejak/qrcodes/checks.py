from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def data_keys_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Secrets at rest need their own key, not one derived from SECRET_KEY."""
    if settings.JEJAK_DATA_KEYS:
        return []
    return [
        Warning(
            "JEJAK_DATA_KEYS is empty, so secrets stored in the database (QR signing keys) "
            "are encrypted with a key derived from SECRET_KEY.",
            hint="Set JEJAK_DATA_KEYS to a long random string; see docs/qr-format.md.",
            id="jejak.qrcodes.W001",
        )
    ]


@register(Tags.security, deploy=True)
def public_url_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Without it, codes and links take the address of whichever request made them: behind
    a proxy that can be an internal one, printed on posters for months."""
    if settings.JEJAK_PUBLIC_URL:
        return []
    return [
        Warning(
            "JEJAK_PUBLIC_URL is not set: QR codes and links use the address each request "
            "came to, and `jejak posters` refuses to print.",
            hint="Set JEJAK_PUBLIC_URL to the https address citizens' phones reach.",
            id="jejak.qrcodes.W002",
        )
    ]
