"""The registry's NIKs after a data-key rotation (`jejak reencrypt`)."""

from __future__ import annotations

from jejak.core.reencryption import reencrypt_rows
from jejak.identity.models import Resident, nik_aad


def reencrypt_residents() -> int:
    """Re-encrypt residents' NIKs not under the first JEJAK_DATA_KEYS entry."""
    residents = Resident.objects.only("nik_index", "nik_encrypted")
    return reencrypt_rows(residents, {"nik_encrypted": lambda r: nik_aad(r.nik_index)})
