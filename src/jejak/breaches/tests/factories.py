"""Breaches, and the visitors they touch, for the tests."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from django.utils import timezone

from jejak.accounts.models import User
from jejak.accounts.roles import Role
from jejak.breaches import service
from jejak.breaches.models import Breach
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.core.phone import mask_phone, phone_index, seal_phone
from jejak.people.masking import mask_nik
from jejak.people.models import Person
from jejak.people.nik import nik_index
from jejak.people.tests.factories import make_nik
from jejak.venues.models import Venue

_serials = itertools.count(1)


def visitor(
    *,
    phone: str | None = "+6281200000000",
    regency: str = "36.71",
    full_name: str = "Budi Santoso",
    **user: Any,
) -> Person:
    """A visitor account (with a sign-in number unless `phone` is None) and its own person,
    whose NIK was issued in `regency`."""
    n = next(_serials)
    account = User.objects.create(username=f"breach-visitor-{n}", role=Role.VISITOR, **user)
    if phone:
        number = phone[: -len(str(n))] + str(n)
        index = phone_index(number)
        account.phone_index = index
        account.phone_encrypted = seal_phone(number, index=index)
        account.phone_masked = mask_phone(number)
        account.save()
    return person(account, regency=regency, full_name=full_name)


def person(
    account: User,
    *,
    relation: str = "self",
    regency: str = "36.71",
    full_name: str = "Budi Santoso",
) -> Person:
    nik = make_nik(born=dt.date(1990, 5, 12), regency=regency, serial=next(_serials))
    return Person.objects.create(
        account=account,
        relation=relation,
        nik_index=nik_index(nik),
        nik_encrypted=b"encrypted elsewhere",
        nik_masked=mask_nik(nik),
        full_name=full_name,
        birth_date=dt.date(1990, 5, 12),
        sex="M",
        identity_verified_at=timezone.now(),
        identity_backend="registry_file",
    )


def checkin(person: Person, venue: Venue, at: dt.datetime, decision: str = "allowed") -> CheckIn:
    request = CheckInRequest.objects.create(
        account=person.account, nonce=uuid.uuid4(), received_at=at, result={}
    )
    return CheckIn.objects.create(
        request=request,
        person=person,
        account=person.account,
        venue=venue,
        entry_point=venue.entry_points.all()[0],
        visitor_type="guest",
        decision=decision,
        colour="hijau",
        rule_set="2021-09",
        scanned_at=at,
        received_at=at,
        checked_in_at=at if decision != "denied" else None,
        checked_out_at=at + dt.timedelta(hours=1) if decision != "denied" else None,
    )


def breach(**kwargs: Any) -> Breach:
    """A breach discovered an hour ago, recorded by the system."""
    facts: dict[str, Any] = {
        "title": "Cadangan basis data terbuka",
        "description": "Salinan cadangan tersimpan di penyimpanan publik.",
        "discovered_at": timezone.now() - dt.timedelta(hours=1),
        "data_classes": ["nik", "name", "checkin_history"],
        "cause": "Izin penyimpanan salah diatur.",
        "measures": "Akses ditutup; kunci diganti.",
    }
    facts.update(kwargs)
    return service.record_breach(actor=None, **facts)
