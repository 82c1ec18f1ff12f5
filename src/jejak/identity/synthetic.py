"""Synthetic residents of Kota Tangerang, in the civil-registry extract's shape.

For the demo, the tests and the benchmarks: households on one family card (KK) each,
with valid NIKs. Every name and number is made up; the same seed gives the same rows on
any day, because ages are counted from a fixed date (`REFERENCE_DATE`), not from today.

The numbers follow the registry's layout:

- NIK: district (6 digits) + birth date as DDMMYY, women's day + 40 + a serial that is
  unique per district and birth date (0001, 0002, ...), see people/nik.py;
- KK: district (6 digits) + issue date as DDMMYY + a serial unique per district and
  issue date.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

CITY = "36.71"
DISTRICTS = tuple(f"{CITY}.{n:02d}" for n in range(1, 14))  # the 13 kecamatan
# The day of the founding article: the generated city is the city of that day.
REFERENCE_DATE = dt.date(2021, 10, 28)
COLUMNS = ("nik", "full_name", "birth_date", "sex", "family_card", "region_code", "died_on")

MALE_NAMES = (
    "Agus", "Ahmad", "Andi", "Arif", "Bambang", "Budi", "Dedi", "Eko", "Fajar", "Hendra",
    "Imam", "Joko", "Kurniawan", "Muhammad", "Nur", "Rizki", "Rudi", "Slamet", "Teguh",
    "Wahyu", "Yusuf", "Asep", "Dadang", "Ujang", "Iwan", "Hadi", "Rahmat", "Dimas",
    "Bayu", "Gilang",
)  # fmt: skip
FEMALE_NAMES = (
    "Ani", "Dewi", "Fitri", "Indah", "Lestari", "Nurul", "Putri", "Rina", "Sari", "Siti",
    "Sri", "Wulan", "Yuni", "Ratna", "Ayu", "Dian", "Eka", "Intan", "Maya", "Nabila",
    "Nia", "Rika", "Tuti", "Euis", "Neng", "Aisyah", "Kartika", "Melati", "Anisa", "Citra",
)  # fmt: skip
# Second names; many Indonesians have none, and children often take their father's.
SECOND_NAMES = (
    "Santoso", "Hidayat", "Saputra", "Wijaya", "Setiawan", "Kusuma", "Pratama", "Nugroho",
    "Rahayu", "Susanto", "Hermawan", "Permana", "Gunawan", "Firmansyah", "Ramadhan",
    "Suryadi", "Sulistyo", "Maulana", "Hakim", "Lubis", "Siregar", "Sihombing", "Nasution",
    "Wibowo", "Purnomo",
)  # fmt: skip
FEMALE_SECOND_NAMES = ("Rahayu", "Lestari", "Wulandari", "Purnamasari", "Anggraini", "Safitri")


@dataclass(frozen=True)
class ResidentRow:
    """One row of a registry extract (the CSV columns of `jejak import-registry`)."""

    nik: str
    full_name: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    family_card: str
    region_code: str  # the kecamatan, e.g. "36.71.05"
    died_on: dt.date | None = None


def make_nik(district: str, born: dt.date, sex: str, serial: int) -> str:
    day = born.day + (40 if sex == "F" else 0)
    return f"{district.replace('.', '')}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def make_family_card(district: str, issued: dt.date, serial: int) -> str:
    return f"{district.replace('.', '')}{issued:%d%m%y}{serial:04d}"


class _Serials:
    """The next free serial per district and date, stepping over numbers already taken."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)
        self.last: defaultdict[str, int] = defaultdict(int)

    def next(self, prefix: str) -> str:
        serial = self.last[prefix]
        while True:
            serial += 1
            number = f"{prefix}{serial:04d}"
            if number not in self.taken:
                break
        if serial > 9999:
            raise ValueError(f"no serial left after {prefix}")
        self.last[prefix] = serial
        self.taken.add(number)
        return number


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _born_aged(rng: random.Random, youngest: int, oldest: int) -> dt.date:
    return _day_between(
        rng,
        REFERENCE_DATE - dt.timedelta(days=round((oldest + 1) * 365.25) - 1),
        REFERENCE_DATE - dt.timedelta(days=round(youngest * 365.25)),
    )


def _name(rng: random.Random, sex: str, second: str | None) -> str:
    given = rng.choice(MALE_NAMES if sex == "M" else FEMALE_NAMES)
    if second is None:
        return given.upper()
    # The registry writes names in capitals.
    return f"{given} {second}".upper()


def residents(n: int, *, seed: int, reserved: Iterable[ResidentRow] = ()) -> Iterator[ResidentRow]:
    """`n` residents of Kota Tangerang in households sharing a KK (the last may be cut
    short). The NIKs and KK numbers of `reserved` rows are never used."""
    rng = random.Random(seed)  # noqa: S311 (made-up people)
    reserved = list(reserved)
    niks = _Serials(r.nik for r in reserved)
    cards = _Serials(r.family_card for r in reserved)
    made = 0
    while made < n:
        for row in _household(rng, niks, cards):
            if made == n:
                return
            yield row
            made += 1


def _household(rng: random.Random, niks: _Serials, cards: _Serials) -> list[ResidentRow]:
    district = rng.choice(DISTRICTS)
    code = district.replace(".", "")
    family = rng.choice((*SECOND_NAMES, None, None))
    # (birth date, sex, name, died_on) of each member, the head of the family first.
    members: list[tuple[dt.date, str, str, dt.date | None]] = []
    kind = rng.random()
    if kind < 0.12:  # one person living alone
        sex = rng.choice("MF")
        members.append((_born_aged(rng, 19, 85), sex, _name(rng, sex, family), None))
    else:
        head = _born_aged(rng, 23, 70)
        members.append((head, "M", _name(rng, "M", family), None))
        wife_second = rng.choice((*FEMALE_SECOND_NAMES, None, None))
        wife = _day_between(rng, head - dt.timedelta(days=365), head + dt.timedelta(days=8 * 365))
        wife = min(wife, REFERENCE_DATE - dt.timedelta(days=19 * 365))
        members.append((wife, "F", _name(rng, "F", wife_second), None))
        first = wife + dt.timedelta(days=20 * 365)
        last = min(wife + dt.timedelta(days=42 * 365), REFERENCE_DATE)
        if first < last and kind < 0.9:
            for born in sorted(_day_between(rng, first, last) for _ in range(rng.randint(1, 4))):
                sex = rng.choice("MF")
                # Sons take the father's second name when he has one; daughters sometimes.
                second = family if sex == "M" or rng.random() < 0.4 else None
                members.append((born, sex, _name(rng, sex, second), None))
        if rng.random() < 0.08:  # a widowed grandparent on the same card
            died = rng.random() < 0.3
            members.append(
                (
                    _born_aged(rng, 65, 95),
                    "F",
                    _name(rng, "F", None),
                    _day_between(rng, dt.date(2019, 1, 1), REFERENCE_DATE) if died else None,
                )
            )
    youngest = max(born for born, *_ in members)
    issued = _day_between(rng, max(youngest, dt.date(2004, 1, 1)), REFERENCE_DATE)
    card = cards.next(f"{code}{issued:%d%m%y}")
    rows = []
    for born, sex, name, died_on in members:
        day = born.day + (40 if sex == "F" else 0)
        nik = niks.next(f"{code}{day:02d}{born:%m%y}")
        rows.append(ResidentRow(nik, name, born, sex, card, district, died_on))
    return rows


def write_csv(rows: Iterable[ResidentRow], file: TextIO) -> int:
    """Write rows as the extract `jejak import-registry` reads; returns the row count."""
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for r in rows:
        born, died = r.birth_date.isoformat(), r.died_on.isoformat() if r.died_on else ""
        writer.writerow((r.nik, r.full_name, born, r.sex, r.family_card, r.region_code, died))
        count += 1
    return count
