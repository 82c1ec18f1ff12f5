from typing import Any

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jejak.notifications"

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested
        from jejak.notifications import checks  # noqa: F401 (registers the system checks)

        reencrypt_requested.connect(_reencrypt, dispatch_uid="notifications.addresses")


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.notifications.addresses import reencrypt_addresses

    return "message_addresses", reencrypt_addresses()
