from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "jejak.notifications"
    verbose_name = _("Notifikasi")

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested
        from jejak.notifications import checks  # noqa: F401 (registers the system checks)

        reencrypt_requested.connect(_reencrypt, dispatch_uid="notifications.addresses")

        from jejak.core import retention
        from jejak.notifications import delivery

        retention.register(
            "messages", setting="JEJAK_MESSAGE_RETENTION_DAYS", purge=delivery.purge_finished
        )

        from jejak.notifications import metrics

        # The outbox's backlog on /metrics (docs/operations.md).
        metrics.register()


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.notifications.addresses import reencrypt_addresses

    return "message_addresses", reencrypt_addresses()
