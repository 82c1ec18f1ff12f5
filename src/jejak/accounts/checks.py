"""Deployment checks of sign-in and look-up keys (`jejak check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def index_key_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Without its own key, the NIK and phone look-up hashes hang on SECRET_KEY: rotating
    the secret key would make every stored NIK and phone number unfindable."""
    if settings.JEJAK_INDEX_KEY:
        return []
    return [
        Warning(
            "JEJAK_INDEX_KEY is not set, so the keyed hashes that find NIKs and phone "
            "numbers are derived from SECRET_KEY; rotating SECRET_KEY would break every "
            "look-up.",
            hint="Set JEJAK_INDEX_KEY to a long random string once, before real data "
            "arrives (docs/configuration.md).",
            id="jejak.accounts.W001",
        )
    ]


@register(Tags.security, deploy=True)
def second_factor_not_waived(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.JEJAK_DEMO_SKIP_SECOND_FACTOR:
        return []
    return [
        Error(
            "JEJAK_DEMO_SKIP_SECOND_FACTOR is on: staff sign in without a second factor.",
            hint="It is for the demo only; unset it in production.",
            id="jejak.accounts.E001",
        )
    ]


@register(Tags.security, deploy=True)
def data_protection_officer_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The privacy notice names the controller's data protection officer (UU 27/2022
    Art. 53); the demo's address reaches nobody."""
    if settings.JEJAK_DPO_EMAIL != "dpo@jejak.example":
        return []
    return [
        Warning(
            "JEJAK_DPO_EMAIL is the demo's address: the privacy notice names no one "
            "citizens can reach.",
            hint="Set JEJAK_CONTROLLER_NAME and JEJAK_DPO_NAME, _EMAIL and _PHONE "
            "(docs/configuration.md, docs/privacy.md).",
            id="jejak.accounts.W002",
        )
    ]
