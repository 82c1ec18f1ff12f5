from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QrcodesConfig(AppConfig):
    name = "jejak.qrcodes"
    verbose_name = _("Kode QR")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested
        from jejak.qrcodes import checks  # noqa: F401  (registers the deploy check)
        from jejak.venues import signals as venue

        reencrypt_requested.connect(_reencrypt, dispatch_uid="qrcodes.signing_keys")
        venue.codes_issued.connect(_issue, dispatch_uid="qrcodes.issue")
        venue.codes_revoked.connect(_revoke, dispatch_uid="qrcodes.revoke")
        venue.entry_point_added.connect(_issue_one, dispatch_uid="qrcodes.issue_one")


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.qrcodes.keys import reencrypt_private_keys

    return "signing_keys", reencrypt_private_keys()


def _issue(sender: Any, *, venue: Any, **kwargs: Any) -> None:
    from jejak.qrcodes.service import issue_codes

    issue_codes(venue=venue)


def _revoke(sender: Any, *, venue: Any, **kwargs: Any) -> None:
    from jejak.qrcodes.service import revoke_codes

    revoke_codes(venue=venue)


def _issue_one(sender: Any, *, entry_point: Any, **kwargs: Any) -> None:
    from jejak.qrcodes.service import issue_code_for_entry_point

    issue_code_for_entry_point(entry_point=entry_point)
