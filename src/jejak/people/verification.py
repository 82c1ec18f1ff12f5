"""Asking the civil registry about a NIK that a visitor sets, and recording its refusals.

The visitor hears one refusal whatever the registry found (`identity_not_verified`):
telling "no such NIK" apart from "wrong name" would turn the form into a way to learn
who exists and what they are called. The exact outcome goes to `IdentityRefusal` and the
audit log, where officers see it; each account may be refused a few times a day only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from jejak.audit import service as audit
from jejak.identity import port
from jejak.identity.port import IdentityServiceUnavailable, Verification
from jejak.people.errors import PeopleError, Reason
from jejak.people.masking import mask_nik
from jejak.people.models import IdentityRefusal, Person
from jejak.people.nik import nik_index

if TYPE_CHECKING:
    from jejak.accounts.models import User

MAX_REFUSED_PER_DAY = 5


def district_of(nik: str) -> str:
    """The Kemendagri district code a NIK starts with ("36.71.01")."""
    return f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}"


def _ask(*, actor: User, nik: str, full_name: str, birth_date: dt.date) -> Verification:
    try:
        return port.verify(nik=nik, full_name=full_name, birth_date=birth_date)
    except IdentityServiceUnavailable:
        audit.record(
            actor=actor,
            action="people.identity_unavailable",
            nik_masked=mask_nik(nik),
            backend=port.backend().name,
        )
        raise PeopleError(Reason.IDENTITY_SERVICE_UNAVAILABLE) from None


def check_identity(
    *, account: User, nik: str, full_name: str, birth_date: dt.date, purpose: str
) -> Verification:
    """The registry's match for what a visitor typed, or PeopleError.

    Refusals: identity_not_verified (whatever did not match, recorded with the exact
    outcome), too_many_identity_attempts, identity_service_unavailable.
    """
    since = timezone.now() - dt.timedelta(days=1)
    if IdentityRefusal.objects.filter(account=account, at__gte=since).count() >= (
        MAX_REFUSED_PER_DAY
    ):
        raise PeopleError(Reason.TOO_MANY_IDENTITY_ATTEMPTS)
    found = _ask(actor=account, nik=nik, full_name=full_name, birth_date=birth_date)
    if found.matched:
        return found
    # Outside any write's transaction, so the record survives the refusal.
    with transaction.atomic():
        IdentityRefusal.objects.create(
            account=account,
            nik_index=nik_index(nik),
            nik_masked=mask_nik(nik),
            outcome=found.outcome.value,
            backend=found.backend,
            purpose=purpose,
        )
        audit.record(
            actor=account,
            action="people.identity_refused",
            nik_masked=mask_nik(nik),
            outcome=found.outcome.value,
            backend=found.backend,
            purpose=purpose,
        )
    raise PeopleError(Reason.IDENTITY_NOT_VERIFIED)


def check_identity_for_officer(
    *, officer: User, nik: str, full_name: str, birth_date: dt.date
) -> Verification:
    """As check_identity, for an officer's correction: no daily cap, and the refusal's
    message names the registry's exact outcome, which officers may know."""
    found = _ask(actor=officer, nik=nik, full_name=full_name, birth_date=birth_date)
    if not found.matched:
        audit.record(
            actor=officer,
            action="people.identity_refused",
            nik_masked=mask_nik(nik),
            outcome=found.outcome.value,
            backend=found.backend,
            purpose="correction",
        )
        error = PeopleError(Reason.IDENTITY_NOT_VERIFIED)
        raise PeopleError(Reason.IDENTITY_NOT_VERIFIED, f"{error.message} ({found.outcome})")
    return found


def mark_verified(person: Person, found: Verification) -> None:
    """Set the person's verification from the registry's match (the caller saves)."""
    person.identity_verified_at = timezone.now()
    person.identity_backend = found.backend
    person.family_card_index = found.family_card_index


def is_verified(person: Person | None) -> bool:
    return person is not None and person.identity_verified_at is not None
