"""The structure of a NIK (Nomor Induk Kependudukan), Indonesia's 16-digit resident number.

    PP KK CC DDMMYY SSSS
    |  |  |  |      serial within the district and birth date (0001-9999)
    |  |  |  birth date; women add 40 to the day (a woman born on the 12th has 52)
    |  |  district (kecamatan)
    |  regency or city (kabupaten/kota)
    province

The first three pairs are the Kemendagri region code (`36.71.01`). The year has two
digits, so the century is the one that makes the person 0 to 110 years old today; when
a birth date is given, it settles the century for the rare NIK where both fit.

Screening derives the birth date of an unregistered NIK through `parse_nik` as well, so
its name and signature are shared API.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass

from django.utils import timezone

from jejak.core.crypto import blind_index
from jejak.people.errors import PeopleError, Reason
from jejak.people.models import Sex
from jejak.regions.models import Region

MAX_AGE_YEARS = 110
WOMEN_DAY_OFFSET = 40
# Only ASCII digits: str.isdigit() would also accept "²" or Arabic-Indic digits.
_NIK = re.compile(r"[0-9]{16}")


class NikError(PeopleError):
    """A NIK that cannot be right, with a stable `code` (one of the nik_* reasons)."""


@dataclass(frozen=True)
class NikInfo:
    province_code: str  # "36"
    regency_code: str  # "36.71"
    district_code: str  # "36.71.01"
    birth_date: dt.date
    sex: Sex
    serial: str  # "0001"


def nik_index(nik: str) -> str:
    """The keyed hash that Person and the health records are looked up by."""
    return blind_index(nik, purpose="nik")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _birth_dates(day: int, month: int, yy: int, today: dt.date) -> list[dt.date] | None:
    """Dates with these digits in the last 110 years, newest first; None if no such date."""
    earliest = _years_before(today, MAX_AGE_YEARS)
    found = []
    for century in range(today.year // 100 * 100, earliest.year // 100 * 100 - 1, -100):
        try:
            candidate = dt.date(century + yy, month, day)
        except ValueError:
            continue
        if earliest <= candidate <= today:
            found.append(candidate)
    # A real date outside the window is as impossible as 31 February: either way the
    # digits cannot be this person's birth date.
    return found or None


def known_region_codes() -> frozenset[str]:
    """Every province and regency code, for bulk callers of parse_nik (one query)."""
    return frozenset(
        Region.objects.filter(code__regex=r"^[0-9]{2}(\.[0-9]{2})?$").values_list("code", flat=True)
    )


def parse_nik(
    nik: str,
    *,
    birth_date: dt.date | None = None,
    sex: str | None = None,
    regions: Collection[str] | None = None,
) -> NikInfo:
    """The parts of a valid NIK, checked against the region table and, if given, against
    the person's birth date and sex. Raises NikError and nothing else.

    `regions` (from known_region_codes) saves an import of many rows a query per row."""
    if not isinstance(nik, str) or not _NIK.fullmatch(nik):
        raise NikError(Reason.NIK_FORMAT)
    province, regency = nik[:2], f"{nik[:2]}.{nik[2:4]}"
    if regions is None:
        regions = set(
            Region.objects.filter(code__in=[province, regency]).values_list("code", flat=True)
        )
    if province not in regions or regency not in regions:
        raise NikError(Reason.NIK_REGION_UNKNOWN)

    raw_day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    derived_sex = Sex.FEMALE if raw_day > WOMEN_DAY_OFFSET else Sex.MALE
    day = raw_day - WOMEN_DAY_OFFSET if derived_sex == Sex.FEMALE else raw_day
    candidates = _birth_dates(day, month, yy, timezone.localdate())
    if candidates is None:
        raise NikError(Reason.NIK_BIRTH_DATE_INVALID)
    if nik[12:] == "0000":
        raise NikError(Reason.NIK_SERIAL_INVALID)
    if sex is not None and sex != derived_sex:
        raise NikError(Reason.NIK_SEX_MISMATCH)
    born = candidates[0]
    if birth_date is not None:
        if birth_date not in candidates:
            raise NikError(Reason.NIK_BIRTH_DATE_MISMATCH)
        born = birth_date
    return NikInfo(
        province_code=province,
        regency_code=regency,
        district_code=f"{regency}.{nik[4:6]}",
        birth_date=born,
        sex=derived_sex,
        serial=nik[12:],
    )
