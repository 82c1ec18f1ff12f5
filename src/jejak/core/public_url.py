"""The address citizens' phones reach this site at: printed in QR codes and messages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

# Where `jejak serve` listens by default: the last resort of a laptop with no setting and
# no request to ask (a message sent by the periodic runner).
DEVELOPMENT_URL = "http://127.0.0.1:8000"


def public_base_url(request: HttpRequest | None = None) -> str:
    """JEJAK_PUBLIC_URL when set (production sets it); else the address this request came
    to, so that a poster printed from `make run PORT=8123` opens where the site is."""
    if settings.JEJAK_PUBLIC_URL:
        return str(settings.JEJAK_PUBLIC_URL)
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return DEVELOPMENT_URL
