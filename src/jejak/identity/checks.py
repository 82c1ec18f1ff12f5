"""`jejak check`: catch registry settings under which no NIK could ever be verified."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def identity_backend_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Otherwise a typo or a missing file shows up only as refused visitors."""
    from jejak.identity.port import BACKENDS

    backend = settings.JEJAK_IDENTITY_BACKEND
    if backend not in BACKENDS:
        return [
            Error(
                f"JEJAK_IDENTITY_BACKEND is {backend!r}; expected one of {', '.join(BACKENDS)}.",
                id="jejak.identity.E001",
            )
        ]
    if backend != "http":
        return []
    hint = "See docs/identity.md, HTTP backend."
    messages: list[CheckMessage] = []
    if not settings.JEJAK_IDENTITY_HTTP_URL.startswith("https://"):
        messages.append(
            Warning(
                "JEJAK_IDENTITY_BACKEND is http but JEJAK_IDENTITY_HTTP_URL is not an "
                "https:// URL: every verification will fail.",
                hint=hint,
                id="jejak.identity.W001",
            )
        )
    if not settings.JEJAK_IDENTITY_HTTP_CLIENT_CERT:
        messages.append(
            Warning(
                "JEJAK_IDENTITY_BACKEND is http but JEJAK_IDENTITY_HTTP_CLIENT_CERT is empty: "
                "the registry service refuses a client without a certificate.",
                hint=hint,
                id="jejak.identity.W002",
            )
        )
    elif not settings.JEJAK_IDENTITY_HTTP_CLIENT_KEY:
        messages.append(
            Warning(
                "JEJAK_IDENTITY_HTTP_CLIENT_KEY is empty, so the private key must be in the "
                "JEJAK_IDENTITY_HTTP_CLIENT_CERT file.",
                hint=hint,
                id="jejak.identity.W002",
            )
        )
    for name in (
        "JEJAK_IDENTITY_HTTP_CLIENT_CERT",
        "JEJAK_IDENTITY_HTTP_CLIENT_KEY",
        "JEJAK_IDENTITY_HTTP_CA",
    ):
        path = getattr(settings, name)
        if path and not os.path.isfile(path):
            messages.append(
                Warning(
                    f"{name} is {path!r}, which is not a file.", hint=hint, id="jejak.identity.W003"
                )
            )
    return messages
