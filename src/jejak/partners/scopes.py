"""What a partner may ask a citizen for: the scopes, their sentences on the consent page,
and the library's scopes backend that offers each partner only the scopes the issuer
allowed it (OAUTH2_PROVIDER["SCOPES_BACKEND_CLASS"])."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

CHECKIN = "checkin"
STATUS_READ = "status:read"
STATUS_REASONS = "status:reasons"
HISTORY_READ = "history:read"

# What the citizen reads on the consent page and on their list of connected partners.
SCOPES: Mapping[str, Promise] = {
    CHECKIN: _(
        "Melakukan check-in dan check-out untuk Anda dan anggota keluarga Anda, dan melihat "
        "tempat sebelum check-in"
    ),
    STATUS_READ: _(
        "Melihat warna status kesehatan Anda dan anggota keluarga Anda (tanpa rinciannya)"
    ),
    STATUS_REASONS: _(
        "Melihat alasan warna status (misalnya hasil tes atau vaksinasi yang menentukannya)"
    ),
    HISTORY_READ: _("Melihat riwayat check-in Anda dan keluarga Anda selama 14 hari terakhir"),
}


def valid(names: str | list[str]) -> list[str]:
    """The known scopes among `names` (a space-separated string or a list), in order."""
    listed = names.split() if isinstance(names, str) else names
    return [name for name in SCOPES if name in listed]


def described(names: str | list[str]) -> list[tuple[str, str]]:
    """(scope, sentence in the active language) of each known scope among `names`."""
    return [(name, str(SCOPES[name])) for name in valid(names)]


class PartnerScopes(BaseScopes):
    """Every scope is known; an application may be granted only its partner's allowed
    ones, and none when it has no partner. No default: a partner names what it asks."""

    def get_all_scopes(self) -> dict[str, str]:
        return {name: str(label) for name, label in SCOPES.items()}

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        if application is None:
            # The server metadata document lists every scope.
            return list(SCOPES)
        partner = getattr(application, "partner", None)
        return valid(partner.allowed_scopes) if partner is not None else []

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []
