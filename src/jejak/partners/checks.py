"""Deployment checks of the partner apps (`jejak check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def pairwise_key_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Without its own key, the identifiers partners know people by hang on SECRET_KEY:
    rotating the secret key would rename everyone for every partner."""
    if settings.JEJAK_PAIRWISE_KEY:
        return []
    return [
        Warning(
            "JEJAK_PAIRWISE_KEY is not set, so the pairwise identifiers partners know "
            "people by are derived from SECRET_KEY; rotating SECRET_KEY would change them all.",
            hint="Set JEJAK_PAIRWISE_KEY to a long random string once, before the first "
            "partner connects (docs/partners.md).",
            id="jejak.partners.W001",
        )
    ]
