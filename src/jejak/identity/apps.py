from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "jejak.identity"
    verbose_name = _("Data kependudukan")

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested
        from jejak.identity import checks  # noqa: F401 (registers the system checks)

        reencrypt_requested.connect(_reencrypt, dispatch_uid="identity.residents")


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.identity.reencryption import reencrypt_residents

    return "registry_niks", reencrypt_residents()
