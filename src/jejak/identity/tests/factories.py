"""Residents of the civil registry for tests: what `jejak import-registry` would store."""

from __future__ import annotations

import datetime as dt

from jejak.core.crypto import blind_index, encrypt
from jejak.identity.models import Resident, nik_aad
from jejak.identity.port import family_card_index

FAMILY_CARD = "3671010101200001"


def register_resident(
    *,
    nik: str,
    full_name: str,
    birth_date: dt.date,
    sex: str = "M",
    family_card: str = FAMILY_CARD,
    region_code: str = "36.71.01",
    died_on: dt.date | None = None,
    **_ignored: object,
) -> Resident:
    """Put one person in the registry (extra keys, such as `relation`, are ignored)."""
    index = blind_index(nik, purpose="nik")
    resident, _created = Resident.objects.update_or_create(
        nik_index=index,
        defaults={
            "nik_encrypted": encrypt(nik.encode("ascii"), aad=nik_aad(index)),
            "full_name": full_name,
            "birth_date": birth_date,
            "sex": sex,
            "family_card_index": family_card_index(family_card),
            "region_code": region_code,
            "died_on": died_on,
        },
    )
    return resident
