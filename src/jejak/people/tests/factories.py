"""Valid NIKs built from their parts, and ready-made people for the tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jejak.people import service
from jejak.people.models import Person

BUDI = {  # the account holder
    "nik": "3671011205900001",
    "full_name": "Budi Santoso",
    "birth_date": dt.date(1990, 5, 12),
    "sex": "M",
}
SITI = {  # his wife: day 03 + 40
    "nik": "3671014308920002",
    "full_name": "Siti Rahayu",
    "birth_date": dt.date(1992, 8, 3),
    "sex": "F",
    "relation": "spouse",
}
RAFI = {  # their son
    "nik": "3671022001150003",
    "full_name": "Rafi Santoso",
    "birth_date": dt.date(2015, 1, 20),
    "sex": "M",
    "relation": "child",
}
DEWI = {  # Budi's sister, on the same family card, with an account of her own
    "nik": "3671014703950004",
    "full_name": "Dewi Santoso",
    "birth_date": dt.date(1995, 3, 7),
    "sex": "F",
}
AGUS = {  # Budi's brother, on the same family card, with an account of his own
    "nik": "3671011811970006",
    "full_name": "Agus Santoso",
    "birth_date": dt.date(1997, 11, 18),
    "sex": "M",
}
SRI = {  # Budi's mother, on another family card (she lives with her own household)
    "nik": "3671016510620005",
    "full_name": "Sri Wahyuni",
    "birth_date": dt.date(1962, 10, 25),
    "sex": "F",
    "relation": "parent",
}
SRI_FAMILY_CARD = "3671010101200002"


def own(data: dict) -> dict:
    """A person's details as their own profile takes them (no relation)."""
    return {k: v for k, v in data.items() if k != "relation"}


def make_nik(
    *,
    born: dt.date,
    sex: str = "M",
    regency: str = "36.71",
    district: int = 1,
    serial: int = 1,
) -> str:
    day = born.day + (40 if sex == "F" else 0)
    return (
        f"{regency.replace('.', '')}{district:02d}"
        f"{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    )


def child(n: int) -> dict:
    """The n-th of many children (for the dependant limit)."""
    born = dt.date(2010, 1, 1) + dt.timedelta(days=n)
    return {
        "nik": make_nik(born=born, serial=100 + n),
        "full_name": f"Anak {n}",
        "birth_date": born,
        "sex": "M",
        "relation": "child",
    }


def unverified_person(account: Any, **data: Any) -> Person:
    """A person saved before NIKs were checked with the civil registry: such rows stay in
    the database, unverified, until their owner saves them again."""
    person = Person(
        account=account,
        relation=data.get("relation", "self"),
        full_name=data["full_name"],
        birth_date=data["birth_date"],
        sex=data["sex"],
    )
    service._set_nik(person, data["nik"])
    person.save()
    return person
