"""Health records and people for the screening tests, built relative to a moment `at`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.people.masking import mask_nik
from jejak.people.models import Person
from jejak.people.nik import nik_index
from jejak.people.tests.factories import make_nik

JKT = ZoneInfo("Asia/Jakarta")

# A record builder: given a NIK index and the moment of evaluation, write one record.
Builder = Callable[[str, dt.datetime], Any]


def local(moment: dt.datetime) -> dt.date:
    return moment.astimezone(JKT).date()


def dose(number: int, *, days_ago: int | None = None, single: bool = False) -> Builder:
    def build(index: str, at: dt.datetime) -> Any:
        ago = days_ago if days_ago is not None else 200 - 30 * number
        return VaccinationDose.objects.create(
            nik_index=index,
            source="manual",
            dose_number=number,
            given_on=local(at) - dt.timedelta(days=ago),
            product="Janssen" if single else "CoronaVac",
            single_dose_product=single,
        )

    return build


def doses(count: int) -> list[Builder]:
    return [dose(n) for n in range(1, count + 1)]


def lab(method: str, result: str, *, hours_ago: float = 0, days_ago: int = 0) -> Builder:
    def build(index: str, at: dt.datetime) -> Any:
        return LabResult.objects.create(
            nik_index=index,
            source="manual",
            method=method,
            result=result,
            specimen_at=at - dt.timedelta(days=days_ago, hours=hours_ago),
        )

    return build


def lab_at(method: str, result: str, moment: dt.datetime) -> Builder:
    def build(index: str, at: dt.datetime) -> Any:
        return LabResult.objects.create(
            nik_index=index, source="manual", method=method, result=result, specimen_at=moment
        )

    return build


def designation(
    kind: str, *, days_ago: int, ended_hours_ago: float | None = None, days: int | None = None
) -> Builder:
    def build(index: str, at: dt.datetime) -> Any:
        ended = at - dt.timedelta(hours=ended_hours_ago) if ended_hours_ago is not None else None
        return Designation.objects.create(
            nik_index=index,
            source="tracing",
            kind=kind,
            starts_at=at - dt.timedelta(days=days_ago),
            ended_at=ended,
            days=days,
        )

    return build


def contact(days_ago: int, **kwargs: Any) -> Builder:
    return designation("close_contact", days_ago=days_ago, **kwargs)


def quarantine(*, started_days_ago: int, ends_in_days: int) -> Builder:
    def build(index: str, at: dt.datetime) -> Any:
        today = local(at)
        return TravelQuarantine.objects.create(
            nik_index=index,
            source="manual",
            starts_on=today - dt.timedelta(days=started_days_ago),
            ends_on=today + dt.timedelta(days=ends_in_days),
        )

    return build


def exemption() -> Builder:
    def build(index: str, at: dt.datetime) -> Any:
        return VaccinationExemption.objects.create(
            nik_index=index, source="manual", starts_on=local(at) - dt.timedelta(days=30)
        )

    return build


def born_years_before(at: dt.datetime, years: int, *, days_later: int = 0) -> dt.date:
    """Born exactly `years` before `at`'s date (so that many years old), `days_later` after."""
    today = local(at)
    return today.replace(year=today.year - years) + dt.timedelta(days=days_later)


def make_person(
    account: Any,
    *,
    born: dt.date = dt.date(1990, 5, 12),
    relation: str = "self",
    full_name: str = "Budi Santoso",
    serial: int = 1,
    sex: str = "M",
    unverified: bool = False,
) -> Person:
    """A person whose identity the registry has verified (unless `unverified`)."""
    nik = make_nik(born=born, sex=sex, serial=serial)
    return Person.objects.create(
        account=account,
        relation=relation,
        nik_index=nik_index(nik),
        nik_encrypted=b"encrypted elsewhere",
        nik_masked=mask_nik(nik),
        full_name=full_name,
        birth_date=born,
        sex=sex,
        identity_verified_at=None if unverified else timezone.now(),
        identity_backend="" if unverified else "registry_file",
    )


def antigen_negative(*, hours_ago: float) -> Builder:
    return lab("antigen", "negative", hours_ago=hours_ago)


def pcr_negative(*, hours_ago: float = 0, days_ago: int = 0) -> Builder:
    return lab("pcr", "negative", hours_ago=hours_ago, days_ago=days_ago)


def positive(*, days_ago: int = 0, hours_ago: float = 0) -> Builder:
    return lab("pcr", "positive", days_ago=days_ago, hours_ago=hours_ago)
