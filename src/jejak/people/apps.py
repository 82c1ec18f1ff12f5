from typing import Any

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "jejak.people"

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested

        reencrypt_requested.connect(_reencrypt_niks, dispatch_uid="people.niks")
        reencrypt_requested.connect(_reencrypt_requests, dispatch_uid="people.requests")


# Imported when called, as in every AppConfig: the models load after this module.
def _reencrypt_niks(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.people.service import reencrypt_niks

    return "niks", reencrypt_niks()


def _reencrypt_requests(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.people.approvals import reencrypt_requests

    return "dependant_request_niks", reencrypt_requests()
