"""Demo citizens, one per screening colour, with records loaded through the health import.

Phone numbers are from a reserved-looking range and the NIKs are made up; each person's
records are dated relative to today so the colours hold whenever the demo is built.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone

from jejak.accounts import privacy
from jejak.accounts.models import PrivacyAcceptance, User
from jejak.accounts.roles import Role
from jejak.core.phone import mask_phone, phone_index, seal_phone
from jejak.health.service import import_health_file
from jejak.identity.synthetic import (
    ResidentRow,
    make_family_card,
    make_nik,
    residents,
    write_csv,
)
from jejak.people import service as people
from jejak.people.registry_import import import_registry

# phone, name, birth date, sex, colour the records give under the rule set in force
CITIZENS: list[tuple[str, str, dt.date, str, str]] = [
    ("+6281100000001", "Ahmad Hijau", dt.date(1985, 3, 14), "M", "hijau"),
    ("+6281100000002", "Dewi Kuning", dt.date(1990, 7, 2), "F", "kuning"),
    ("+6281100000003", "Rudi Merah", dt.date(1978, 11, 23), "M", "merah"),
    ("+6281100000004", "Sari Hitam", dt.date(1995, 1, 9), "F", "hitam"),
]
CHILD = ("Nabila Hijau", dt.date(2012, 6, 5), "F")
CHILD_SERIAL = 90
DISTRICT = "36.71.01"  # every demo NIK and family card is of Kecamatan Tangerang
FAMILY_CARDS_ISSUED = dt.date(2013, 2, 1)


def nik_for(born: dt.date, sex: str, serial: int) -> str:
    return make_nik(DISTRICT, born, sex, serial)


def registry_rows() -> list[ResidentRow]:
    """The civil-registry rows of the demo citizens, each family on one KK (the hijau
    citizen's child on its parent's card), so their profiles and dependants verify."""
    rows = []
    for serial, (_phone, name, born, sex, colour) in enumerate(CITIZENS, start=1):
        card = make_family_card(DISTRICT, FAMILY_CARDS_ISSUED, serial)
        # The registry writes names in capitals; the name check ignores case.
        rows.append(
            ResidentRow(nik_for(born, sex, serial), name.upper(), born, sex, card, DISTRICT)
        )
        if colour == "hijau":
            child_name, child_born, child_sex = CHILD
            child_nik = nik_for(child_born, child_sex, CHILD_SERIAL)
            rows.append(
                ResidentRow(child_nik, child_name.upper(), child_born, child_sex, card, DISTRICT)
            )
    return rows


def load_registry(*, extra_residents: int = 0, seed: int = 2021) -> list[ResidentRow]:
    """Load the demo citizens' registry rows, and as many made-up residents, through
    `jejak import-registry`'s service; before the citizens, whose NIKs it verifies.
    Returns the made-up residents (the demo's other visitors)."""
    citizens = registry_rows()
    others = list(residents(extra_residents, seed=seed, reserved=citizens))
    extract = io.StringIO()
    write_csv([*citizens, *others], extract)
    extract.seek(0)
    report = import_registry(extract, actor=None, filename="demo-registry.csv")
    if not report.ok:
        raise RuntimeError(f"demo registry refused: {report.errors[:5]}")
    return others


def _records(colour: str, nik: str, today: dt.date) -> list[str]:
    def dose(n: int, days_ago: int) -> str:
        return f"{nik},vaccination,{today - dt.timedelta(days=days_ago)},,,{n},CoronaVac,,,,,"

    if colour == "hijau":
        return [dose(1, 400), dose(2, 372), dose(3, 200)]
    if colour == "kuning":
        return [dose(1, 400), dose(2, 372)]
    if colour == "hitam":
        when = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
        return [dose(1, 400), f"{nik},lab_result,,,{when},,,,pcr,positive,Labkesda Kota Tangerang,"]
    return []  # merah: no vaccination record


def build_citizens() -> list[dict[str, Any]]:
    """Create the demo visitors and import their records; returns what to print."""
    today = timezone.localdate()
    rows = [
        "nik,record_type,date,end_date,datetime,dose_number,product,product_code,method,result,lab,reason"
    ]
    made = []
    for serial, (phone, name, born, sex, colour) in enumerate(CITIZENS, start=1):
        index = phone_index(phone)
        account = User.objects.create(
            username=f"v-demo{serial}",
            role=Role.VISITOR,
            phone_index=index,
            phone_encrypted=seal_phone(phone, index=index),
            phone_masked=mask_phone(phone),
        )
        account.set_unusable_password()
        account.save(update_fields=["password"])
        # Citizens who have used the app: they accepted the notice when they signed up.
        privacy.accept(
            user=account,
            version=privacy.current_version(),
            channel=PrivacyAcceptance.Channel.WEB,
        )
        nik = nik_for(born, sex, serial)
        people.set_own_profile(account=account, nik=nik, full_name=name, birth_date=born, sex=sex)
        rows += _records(colour, nik, today)
        made.append({"phone": phone, "name": name, "colour": colour})
        if colour == "hijau":
            child_name, child_born, child_sex = CHILD
            child_nik = nik_for(child_born, child_sex, CHILD_SERIAL)
            people.add_dependant(
                account=account,
                nik=child_nik,
                full_name=child_name,
                birth_date=child_born,
                sex=child_sex,
                relation="child",
            )
            rows += [
                f"{child_nik},vaccination,{today - dt.timedelta(days=300)},,,1,CoronaVac,,,,,",
                f"{child_nik},vaccination,{today - dt.timedelta(days=270)},,,2,CoronaVac,,,,,",
            ]
    report = import_health_file(
        io.BytesIO(("\n".join(rows) + "\n").encode()), actor=None, filename="demo-records.csv"
    )
    if not report.ok:
        raise RuntimeError(f"demo health records refused: {report.problems}")
    return made
