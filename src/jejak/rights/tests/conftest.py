from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.models import User
from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.core.phone import mask_phone, phone_index, seal_phone
from jejak.health.models import LabResult, Source, VaccinationDose
from jejak.people.models import Person
from jejak.people.tests.factories import BUDI, DEWI, RAFI, unverified_person

BUDI_PHONE = "+6281234567001"
OFFICER_USERNAME = "dr-hartono-dinkes"


def _visitor(username: str, phone: str) -> User:
    index = phone_index(phone)
    return User.objects.create(
        username=username,
        role=Role.VISITOR,
        phone_index=index,
        phone_encrypted=seal_phone(phone, index=index),
        phone_masked=mask_phone(phone),
    )


def _verified(account: User, data: dict[str, Any]) -> Person:
    person = unverified_person(account, **data)
    person.identity_verified_at = timezone.now()
    person.identity_backend = "registry_file"
    person.save()
    return person


@pytest.fixture
def budi(db: None) -> User:
    """Budi's account: himself and his son Rafi, each with a health record."""
    account = _visitor("budi", BUDI_PHONE)
    me = _verified(account, BUDI)
    son = _verified(account, RAFI)
    VaccinationDose.objects.create(
        nik_index=me.nik_index,
        source=Source.CSV,
        dose_number=1,
        given_on=dt.date(2021, 7, 1),
        product="CoronaVac",
    )
    LabResult.objects.create(
        nik_index=son.nik_index,
        source=Source.CSV,
        method="antigen",
        result="negative",
        specimen_at=timezone.now() - dt.timedelta(days=2),
        lab="Labkesda Tangerang",
    )
    return account


@pytest.fixture
def dewi(db: None) -> User:
    """Another account, with a dose of her own that Budi's export must not hold."""
    account = _visitor("dewi", "+6281234567002")
    me = _verified(account, DEWI)
    VaccinationDose.objects.create(
        nik_index=me.nik_index,
        source=Source.CSV,
        dose_number=1,
        given_on=dt.date(2021, 8, 9),
        product="Sinopharm-Dewi",
    )
    return account


@pytest.fixture
def officer(make_user: Any, city: Any) -> User:
    user: User = make_user(Role.HEALTH_OFFICER, username=OFFICER_USERNAME, region=city)
    return user


@pytest.fixture
def read_by_officer(budi: User, dewi: User, officer: User) -> None:
    """The officer read Budi's data (tracing) and Dewi's (a status check)."""
    me = Person.objects.get(account=budi, relation="self")
    audit.record_read(
        actor=officer, action="tracing.case_read", purpose=Purpose.TRACING, subjects=[me.nik_index]
    )
    her = Person.objects.get(account=dewi)
    audit.record_read(
        actor=officer,
        action="screening.lookup",
        purpose=Purpose.STATUS_CHECK,
        subjects=[her.nik_index],
    )


@pytest.fixture
def budi_client(budi: User) -> Client:
    client = Client()
    client.force_login(budi)
    return client
