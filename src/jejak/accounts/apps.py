from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jejak.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested

        reencrypt_requested.connect(_reencrypt, dispatch_uid="accounts.phones")


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.accounts.reencryption import reencrypt_phones

    return "phones", reencrypt_phones()
