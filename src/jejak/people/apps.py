from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "jejak.people"
    verbose_name = _("Warga")

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested

        reencrypt_requested.connect(_reencrypt_niks, dispatch_uid="people.niks")
        reencrypt_requested.connect(_reencrypt_requests, dispatch_uid="people.requests")

        from jejak.core import retention
        from jejak.people import retention as people

        retention.register(
            "claim-attempts", setting=people.CLAIM_SETTING, purge=people.purge_claim_attempts
        )
        retention.register(
            "dependant-requests",
            setting=people.REQUEST_SETTING,
            purge=people.purge_decided_requests,
        )


# Imported when called, as in every AppConfig: the models load after this module.
def _reencrypt_niks(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.people.service import reencrypt_niks

    return "niks", reencrypt_niks()


def _reencrypt_requests(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.people.approvals import reencrypt_requests

    return "dependant_request_niks", reencrypt_requests()
