"""Profile and dependant writes: encryption at rest, claims, limits and the audit trail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.core.crypto import DecryptionError, blind_index
from jejak.people import service
from jejak.people.errors import PeopleError, Reason
from jejak.people.models import NikClaimAttempt, Person
from jejak.people.tests.factories import AGUS, BUDI, DEWI, RAFI, SITI, child, own, unverified_person


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def refusal(call, **kwargs) -> str:
    with pytest.raises(PeopleError) as caught:
        call(**kwargs)
    return caught.value.code


def test_nik_is_encrypted_at_rest(visitor):
    person = service.set_own_profile(account=visitor, **BUDI)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [person.pk])
        row = cursor.fetchone()
    for column in row:
        raw = bytes(column) if isinstance(column, bytes | memoryview) else str(column).encode()
        assert BUDI["nik"].encode() not in raw
    assert person.nik_masked == "3671********0001"
    assert person.nik_index == blind_index(BUDI["nik"], purpose="nik")
    assert Person.objects.get(nik_index=blind_index(BUDI["nik"], purpose="nik")) == person
    assert service.decrypt_nik(Person.objects.get(pk=person.pk)) == BUDI["nik"]


def test_ciphertext_does_not_decrypt_on_another_row(visitor):
    budi = service.set_own_profile(account=visitor, **BUDI)
    siti = service.add_dependant(account=visitor, **SITI)
    siti.nik_encrypted = budi.nik_encrypted
    with pytest.raises(DecryptionError):
        service.decrypt_nik(siti)


def test_own_profile_is_created_then_updated(visitor):
    first = service.set_own_profile(account=visitor, **BUDI)
    # Still the registry's name (case and spacing aside), so it is verified again.
    again = service.set_own_profile(account=visitor, **{**BUDI, "full_name": " budi  SANTOSO "})
    assert again.pk == first.pk
    assert Person.objects.get().full_name == "budi SANTOSO"
    assert actions() == ["people.profile_create", "people.profile_update"]
    update = AuditEvent.objects.get(action="people.profile_update")
    assert update.actor == visitor
    assert update.detail == {
        "fields": ["full_name"],
        "nik_masked": "3671********0001",
        "previous_nik_masked": "3671********0001",
        "identity_backend": "registry_file",
    }


def test_saving_the_same_profile_writes_nothing(visitor):
    service.set_own_profile(account=visitor, **BUDI)
    service.set_own_profile(account=visitor, **BUDI)
    assert actions() == ["people.profile_create"]


def test_an_unverified_own_nik_can_change_to_a_free_registered_one(visitor):
    # A profile saved before the registry check, with a typo in the NIK.
    person = unverified_person(visitor, **{**BUDI, "nik": "3671011205900009"})
    service.set_own_profile(account=visitor, **BUDI)
    person.refresh_from_db()
    assert service.decrypt_nik(person) == BUDI["nik"]
    assert person.nik_masked == "3671********0001"
    assert person.identity_verified_at is not None
    update = AuditEvent.objects.get(action="people.profile_update")
    assert update.detail == {
        "fields": ["nik"],
        "nik_masked": "3671********0001",
        "previous_nik_masked": "3671********0009",
        "identity_backend": "registry_file",
    }


def test_a_verified_own_nik_cannot_change(visitor, holder):
    AuditEvent.objects.all().delete()
    assert refusal(service.set_own_profile, account=visitor, **own(DEWI)) == Reason.IDENTITY_LOCKED
    holder.refresh_from_db()
    assert service.decrypt_nik(holder) == BUDI["nik"]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == (
        "people.identity_change_refused",
        visitor,
        str(holder.pk),
    )
    assert event.detail == {"nik_masked": "3671********0001"}


def test_nik_is_validated_against_birth_date_and_sex(visitor):
    assert (
        refusal(service.set_own_profile, account=visitor, **{**BUDI, "sex": "F"})
        == Reason.NIK_SEX_MISMATCH
    )
    assert (
        refusal(
            service.set_own_profile,
            account=visitor,
            **{**BUDI, "birth_date": dt.date(1990, 5, 13)},
        )
        == Reason.NIK_BIRTH_DATE_MISMATCH
    )
    assert not Person.objects.exists()
    assert actions() == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 151, "Budi\x00"])
def test_name_must_be_present_and_printable(visitor, name):
    assert (
        refusal(service.set_own_profile, account=visitor, **{**BUDI, "full_name": name})
        == Reason.NAME_INVALID
    )


def test_sex_and_relation_are_checked(visitor):
    assert (
        refusal(service.add_dependant, account=visitor, **{**SITI, "sex": "X"})
        == Reason.SEX_INVALID
    )
    for relation in ("self", "cousin"):
        assert (
            refusal(service.add_dependant, account=visitor, **{**SITI, "relation": relation})
            == Reason.RELATION_INVALID
        )


def test_dependants_are_added_updated_and_removed(visitor, holder):
    siti = service.add_dependant(account=visitor, **SITI)
    rafi = service.add_dependant(account=visitor, **RAFI)
    assert service.dependants_of(account=visitor) == [siti, rafi]
    assert len(siti.public_id) == 12 and siti.public_id != rafi.public_id

    service.update_dependant(account=visitor, public_id=rafi.public_id, full_name="RAFI SANTOSO")
    rafi.refresh_from_db()
    assert rafi.full_name == "RAFI SANTOSO"
    assert service.decrypt_nik(rafi) == RAFI["nik"]

    service.remove_dependant(account=visitor, public_id=siti.public_id)
    assert service.dependants_of(account=visitor) == [rafi]
    assert actions() == [
        "people.profile_create",
        "people.dependant_add",
        "people.dependant_add",
        "people.dependant_update",
        "people.dependant_remove",
    ]
    removed = AuditEvent.objects.get(action="people.dependant_remove")
    assert removed.detail == {"relation": "spouse", "nik_masked": "3671********0002"}


def test_update_rechecks_the_nik_against_the_new_details(visitor, holder):
    rafi = service.add_dependant(account=visitor, **RAFI)
    assert (
        refusal(
            service.update_dependant,
            account=visitor,
            public_id=rafi.public_id,
            birth_date=dt.date(2015, 1, 21),
        )
        == Reason.NIK_BIRTH_DATE_MISMATCH
    )


def test_an_unverified_dependant_s_nik_can_change_to_a_registered_one(visitor, holder):
    # Added before the registry check, with a typo in the NIK.
    rafi = unverified_person(visitor, **{**RAFI, "nik": "3671022001150007"})
    new_nik = RAFI["nik"]
    service.update_dependant(account=visitor, public_id=rafi.public_id, nik=new_nik)
    rafi.refresh_from_db()
    assert (service.decrypt_nik(rafi), rafi.nik_masked) == (new_nik, "3671********0003")
    assert rafi.nik_index == blind_index(new_nik, purpose="nik")
    assert rafi.identity_verified_at is not None
    assert rafi.family_card_index == holder.family_card_index
    update = AuditEvent.objects.get(action="people.dependant_update")
    assert update.detail == {
        "fields": ["nik", "identity_verified_at"],
        "nik_masked": "3671********0003",
        "previous_nik_masked": "3671********0007",
    }


def test_a_verified_dependant_s_nik_cannot_change(visitor, holder):
    rafi = service.add_dependant(account=visitor, **RAFI)
    AuditEvent.objects.all().delete()
    assert (
        refusal(
            service.update_dependant,
            account=visitor,
            public_id=rafi.public_id,
            nik="3671022001150007",
        )
        == Reason.IDENTITY_LOCKED
    )
    rafi.refresh_from_db()
    assert service.decrypt_nik(rafi) == RAFI["nik"]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == (
        "people.identity_change_refused",
        visitor,
        str(rafi.pk),
    )
    assert event.detail == {"nik_masked": "3671********0003"}
    # A verified dependant can still be removed.
    service.remove_dependant(account=visitor, public_id=rafi.public_id)
    assert actions() == ["people.identity_change_refused", "people.dependant_remove"]


def test_another_account_s_dependant_is_not_found(visitor, holder, other_visitor):
    siti = service.add_dependant(account=visitor, **SITI)
    for call in (service.update_dependant, service.remove_dependant):
        assert (
            refusal(call, account=other_visitor, public_id=siti.public_id)
            == Reason.DEPENDANT_NOT_FOUND
        )
    assert Person.objects.filter(pk=siti.pk).exists()


def test_own_profile_is_not_a_dependant(visitor):
    me = service.set_own_profile(account=visitor, **BUDI)
    assert (
        refusal(service.remove_dependant, account=visitor, public_id=me.public_id)
        == Reason.DEPENDANT_NOT_FOUND
    )


def test_the_same_nik_twice_on_one_account(visitor):
    service.set_own_profile(account=visitor, **BUDI)
    service.add_dependant(account=visitor, **SITI)
    assert refusal(service.add_dependant, account=visitor, **SITI) == Reason.NIK_ALREADY_ADDED
    assert (
        refusal(service.add_dependant, account=visitor, **{**BUDI, "relation": "other"})
        == Reason.NIK_ALREADY_ADDED
    )
    assert NikClaimAttempt.objects.count() == 0


def test_own_profile_cannot_take_a_dependant_s_nik(visitor):
    # Only an unverified profile's NIK can change at all (a verified one is locked).
    unverified_person(visitor, **{**BUDI, "nik": "3671011205900009"})
    unverified_person(visitor, **SITI)
    assert (
        refusal(service.set_own_profile, account=visitor, **own(SITI)) == Reason.NIK_ALREADY_ADDED
    )


def test_a_nik_held_by_another_account_is_refused_and_recorded(
    visitor, holder, other_visitor, other_holder
):
    siti = service.add_dependant(account=visitor, **SITI)
    AuditEvent.objects.all().delete()

    assert refusal(service.add_dependant, account=other_visitor, **SITI) == Reason.NIK_CLAIMED

    attempt = NikClaimAttempt.objects.get()
    assert (attempt.nik_index, attempt.attempted_by) == (siti.nik_index, other_visitor)
    assert list(Person.objects.filter(account=other_visitor)) == [other_holder]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == (
        "people.nik_claim_refused",
        other_visitor,
        str(siti.pk),
    )
    assert event.detail == {"nik_masked": "3671********0002"}

    seen = service.claim_attempts_for(visitor)
    assert [(a.person, a.at) for a in seen] == [(siti, attempt.at)]
    assert service.claim_attempts_for(other_visitor) == []


def test_own_profile_claim_on_a_held_nik_is_refused_too(visitor, holder, other_visitor):
    assert refusal(service.set_own_profile, account=other_visitor, **BUDI) == Reason.NIK_CLAIMED
    service.set_own_profile(account=other_visitor, **own(DEWI))
    # Only an unverified dependant's NIK can change at all (a verified one is locked).
    rafi = unverified_person(other_visitor, **RAFI)
    assert (
        refusal(
            service.update_dependant,
            account=other_visitor,
            public_id=rafi.public_id,
            nik=BUDI["nik"],
            full_name=BUDI["full_name"],
            birth_date=BUDI["birth_date"],
        )
        == Reason.NIK_CLAIMED
    )
    assert len(service.claim_attempts_for(visitor)) == 2


def test_attempts_against_a_previous_holder_are_not_shown(
    visitor, holder, other_visitor, other_holder, make_holder
):
    siti = service.add_dependant(account=visitor, **SITI)
    assert refusal(service.add_dependant, account=other_visitor, **SITI) == Reason.NIK_CLAIMED
    service.remove_dependant(account=visitor, public_id=siti.public_id)

    third = make_holder(AGUS)
    service.add_dependant(account=third, **SITI)
    assert service.claim_attempts_for(third) == []


def test_refused_claims_are_capped_per_day(visitor, holder, other_visitor, other_holder):
    service.add_dependant(account=visitor, **SITI)
    for _ in range(service.MAX_REFUSED_CLAIMS_PER_DAY):
        assert refusal(service.add_dependant, account=other_visitor, **SITI) == Reason.NIK_CLAIMED
    # Now even a free NIK is refused, so the form cannot probe which NIKs are registered.
    assert (
        refusal(service.add_dependant, account=other_visitor, **RAFI)
        == Reason.TOO_MANY_CLAIM_ATTEMPTS
    )
    # Editing details under a NIK the account already holds probes nothing.
    service.set_own_profile(account=other_visitor, **{**own(DEWI), "full_name": "DEWI SANTOSO"})
    NikClaimAttempt.objects.update(at=timezone.now() - dt.timedelta(days=1, minutes=1))
    service.add_dependant(account=other_visitor, **RAFI)


def test_dependants_are_limited_per_account(visitor, holder):
    # The holder's own profile does not count against the limit.
    for n in range(service.MAX_DEPENDANTS):
        service.add_dependant(account=visitor, **child(n))
    with pytest.raises(PeopleError) as caught:
        # A child the registry knows, so the limit is what refuses it.
        service.add_dependant(account=visitor, **child(service.MAX_DEPENDANTS))
    assert caught.value.code == Reason.TOO_MANY_DEPENDANTS
    assert "10" in caught.value.message
    assert Person.objects.filter(account=visitor).count() == service.MAX_DEPENDANTS + 1


def test_no_audit_row_holds_a_nik_in_clear(visitor, holder, other_visitor, other_holder):
    siti = unverified_person(visitor, **{**SITI, "nik": "3671014308920005"})
    service.update_dependant(account=visitor, public_id=siti.public_id, nik=SITI["nik"])
    claim = {**BUDI, "relation": "other"}
    assert refusal(service.add_dependant, account=other_visitor, **claim) == Reason.NIK_CLAIMED
    unknown = {**RAFI, "full_name": "Orang Lain"}
    assert refusal(service.add_dependant, account=other_visitor, **unknown) == (
        Reason.IDENTITY_NOT_VERIFIED
    )
    assert refusal(service.set_own_profile, account=visitor, **own(AGUS)) == (
        Reason.IDENTITY_LOCKED
    )
    service.remove_dependant(account=visitor, public_id=siti.public_id)
    assert set(actions()) >= {
        "people.dependant_update",
        "people.nik_claim_refused",
        "people.identity_refused",
        "people.identity_change_refused",
        "people.dependant_remove",
    }
    dumped = json.dumps(list(AuditEvent.objects.values("detail", "object_id")))
    for nik in (BUDI["nik"], SITI["nik"], "3671014308920005", RAFI["nik"], AGUS["nik"]):
        assert nik not in dumped
