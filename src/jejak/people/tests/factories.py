"""Valid NIKs built from their parts, and ready-made people for the tests."""

from __future__ import annotations

import datetime as dt

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
