from typing import Any

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "jejak.identity"
    verbose_name = "Identity (civil registry)"

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested
        from jejak.identity import checks  # noqa: F401 (registers the system checks)

        reencrypt_requested.connect(_reencrypt, dispatch_uid="identity.residents")


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.identity.reencryption import reencrypt_residents

    return "registry_niks", reencrypt_residents()
