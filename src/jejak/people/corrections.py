"""An officer corrects a verified identity: the one way a bound NIK changes.

A visitor cannot change a verified NIK (service.py), so a real mistake (two family
members' NIKs swapped, a typo the registry also matched) is corrected by a health
officer of the person's region, with the person's KTP in front of them. The new NIK,
name and birth date must match the registry too; the old and the new masked NIK and the
reason are audited, and the owner is told in the app and by SMS, so a correction nobody
asked for does not go unnoticed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from jejak.accounts.capabilities import Cap, has_capability
from jejak.accounts.jurisdiction import region_code_visible_to
from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.notifications import outbox
from jejak.people import service, verification
from jejak.people.approvals import clean_reason
from jejak.people.errors import PeopleError, Reason
from jejak.people.masking import mask_nik
from jejak.people.models import IdentityRefusal, Person
from jejak.people.nik import nik_index, parse_nik

if TYPE_CHECKING:
    from jejak.accounts.models import User


def _access(officer: User, nik: str, *, action: str) -> Person:
    """The person holding `nik`, if the officer may correct people of its region; the
    same refusal (person_not_found) whether it is unregistered or out of reach."""
    parse_nik(nik)
    person = None
    if has_capability(officer, Cap.CORRECT_IDENTITY) and region_code_visible_to(
        officer, verification.district_of(nik)
    ):
        person = Person.objects.filter(nik_index=nik_index(nik)).first()
    if person is None:
        # Named by the NIK's index: its holder sees the attempt, in reach or not.
        audit.record_read(
            actor=officer,
            action=action,
            purpose=Purpose.IDENTITY,
            subjects=[nik_index(nik)],
            outcome="refused",
            nik_masked=mask_nik(nik),
        )
        raise PeopleError(Reason.PERSON_NOT_FOUND)
    return person


def correct_identity(
    *,
    officer: User,
    current_nik: str,
    nik: str,
    full_name: str,
    birth_date: dt.date,
    sex: str,
    reason: str,
) -> Person:
    """Replace the identity of the person holding `current_nik` with one the registry
    matches. Raises PeopleError (person_not_found, identity_not_verified with the
    registry's outcome, nik_claimed, reason_required, nik_* format codes)."""
    text = clean_reason(reason)
    name = service._clean_name(full_name)
    service._check_sex(sex)
    parse_nik(nik, birth_date=birth_date, sex=sex)
    person = _access(officer, current_nik, action="people.identity_correction_refused")
    found = verification.check_identity_for_officer(
        officer=officer, nik=nik, full_name=name, birth_date=birth_date
    )
    index = nik_index(nik)
    with transaction.atomic():
        service._lock_account(person.account)
        person = Person.objects.select_for_update().get(pk=person.pk)
        holder = Person.objects.filter(nik_index=index).exclude(pk=person.pk).first()
        if holder is not None:
            raise PeopleError(Reason.NIK_CLAIMED)
        old, old_index = person.nik_masked, person.nik_index
        person.full_name, person.birth_date, person.sex = name, birth_date, sex
        if person.nik_index != index:
            service._set_nik(person, nik)
        verification.mark_verified(person, found)
        person.save()
        audit.record_read(
            actor=officer,
            action="people.identity_corrected",
            purpose=Purpose.IDENTITY,
            # Known by both NIKs: the one corrected and the one it became.
            subjects=[old_index, person.nik_index],
            obj=person,
            old_nik_masked=old,
            new_nik_masked=person.nik_masked,
            reason=text,
            identity_backend=found.backend,
        )
        outbox.enqueue(
            template="identity_corrected",
            context={
                "name": person.full_name,
                "old_nik": old,
                "new_nik": person.nik_masked,
                "reason": text,
            },
            channels=["inapp", "sms"],
            to_user=person.account,
            ref=f"people.identity_corrected:{person.pk}",
        )
    return person


def refusals_for(*, officer: User, nik: str) -> list[IdentityRefusal]:
    """The registry's exact refusals of this NIK (audited read, officers of its region)."""
    parse_nik(nik)
    if not (
        has_capability(officer, Cap.CORRECT_IDENTITY)
        and region_code_visible_to(officer, verification.district_of(nik))
    ):
        audit.record_read(
            actor=officer,
            action="people.identity_refusals_read",
            purpose=Purpose.IDENTITY,
            subjects=[nik_index(nik)],
            outcome="refused",
            nik_masked=mask_nik(nik),
        )
        raise PeopleError(Reason.PERSON_NOT_FOUND)
    found = list(IdentityRefusal.objects.filter(nik_index=nik_index(nik))[:100])
    audit.record_read(
        actor=officer,
        action="people.identity_refusals_read",
        purpose=Purpose.IDENTITY,
        subjects=[nik_index(nik)],
        nik_masked=mask_nik(nik),
        count=len(found),
    )
    return found
