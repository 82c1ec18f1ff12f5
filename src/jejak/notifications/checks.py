"""`jejak check`: catch SMS settings under which sign-in codes would never reach a phone,
an outbox send rate that cannot be read, and sends that would run inside requests."""

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


@register()
def notify_rates_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A bad JEJAK_NOTIFY_RATES would otherwise stop every send at its first message."""
    from jejak.notifications.rates import parse_rates

    try:
        parse_rates(settings.JEJAK_NOTIFY_RATES)
    except ValueError as error:
        return [
            Error(
                f"JEJAK_NOTIFY_RATES is {settings.JEJAK_NOTIFY_RATES!r}: {error}.",
                hint="Write channel=count/s or channel=count/m, comma-separated, e.g. "
                "sms=50/s,email=600/m,inapp=unlimited; see docs/notifications.md.",
                id="jejak.notifications.E003",
            )
        ]
    return []


@register(deploy=True)
def tasks_run_in_a_worker(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """With the inline backend every send runs in the request that queued it: a slow SMS
    gateway slows sign-ins and officers' actions, and a mass tracing run fills a request."""
    from django_tasks import task_backends
    from django_tasks.backends.immediate import ImmediateBackend

    if settings.DEBUG or not isinstance(task_backends["default"], ImmediateBackend):
        return []
    return [
        Warning(
            "JEJAK_TASK_BACKEND is the ImmediateBackend: messages are sent, and mass tracing "
            "runs, inside the requests that queue them.",
            hint="Set JEJAK_TASK_BACKEND=django_tasks_db.DatabaseBackend and run "
            "`jejak db_worker` (docs/deployment.md).",
            id="jejak.notifications.W002",
        )
    ]
