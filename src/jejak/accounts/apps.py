from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jejak.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested

        reencrypt_requested.connect(_reencrypt, dispatch_uid="accounts.phones")
        # The staff session clock starts at sign-in (its receiver lives with the rest of it).
        from jejak.accounts import checks, middleware  # noqa: F401


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.accounts.reencryption import reencrypt_phones

    return "phones", reencrypt_phones()
