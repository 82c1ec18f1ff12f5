"""The `registry_file` backend: the imported resident table (identity.Resident)."""

from __future__ import annotations

import datetime as dt

from jejak.core.crypto import blind_index
from jejak.identity.models import Resident
from jejak.identity.names import names_match
from jejak.identity.port import Outcome, Verification


class RegistryFileBackend:
    name = "registry_file"

    def verify(self, *, nik: str, full_name: str, birth_date: dt.date) -> Verification:
        resident = Resident.objects.filter(nik_index=blind_index(nik, purpose="nik")).first()
        if resident is None:
            return Verification(Outcome.NOT_FOUND, self.name)
        if resident.died_on is not None:
            return Verification(Outcome.DECEASED, self.name)
        if resident.birth_date != birth_date:
            return Verification(Outcome.BIRTH_DATE_MISMATCH, self.name)
        if not names_match(full_name, resident.full_name):
            return Verification(Outcome.NAME_MISMATCH, self.name)
        return Verification(
            Outcome.MATCH,
            self.name,
            family_card_index=resident.family_card_index,
            region_code=resident.region_code,
        )
