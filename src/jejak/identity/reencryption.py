"""The registry's NIKs after a data-key rotation (`jejak reencrypt`)."""

from __future__ import annotations

from django.db import transaction

from jejak.core.crypto import decrypt, encrypt, needs_reencryption
from jejak.identity.models import Resident, nik_aad


def reencrypt_residents() -> int:
    """Re-encrypt residents' NIKs not under the first JEJAK_DATA_KEYS entry."""
    count = 0
    with transaction.atomic():
        for resident in Resident.objects.select_for_update().only("nik_index", "nik_encrypted"):
            if needs_reencryption(resident.nik_encrypted):
                nik = decrypt(resident.nik_encrypted, aad=nik_aad(resident.nik_index))
                Resident.objects.filter(pk=resident.pk).update(
                    nik_encrypted=encrypt(nik, aad=nik_aad(resident.nik_index))
                )
                count += 1
    return count
