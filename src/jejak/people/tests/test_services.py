"""Profile and dependant writes: encryption at rest, claims, limits and the audit trail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.core.crypto import DecryptionError, blind_index
from jejak.people import services
from jejak.people.errors import PeopleError, Reason
from jejak.people.models import NikClaimAttempt, Person
from jejak.people.tests.factories import BUDI, RAFI, SITI, child


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def refusal(call, **kwargs) -> str:
    with pytest.raises(PeopleError) as caught:
        call(**kwargs)
    return caught.value.code


def test_nik_is_encrypted_at_rest(visitor):
    person = services.set_own_profile(account=visitor, **BUDI)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [person.pk])
        row = cursor.fetchone()
    for column in row:
        raw = bytes(column) if isinstance(column, bytes | memoryview) else str(column).encode()
        assert BUDI["nik"].encode() not in raw
    assert person.nik_masked == "3671********0001"
    assert person.nik_index == blind_index(BUDI["nik"], purpose="nik")
    assert Person.objects.get(nik_index=blind_index(BUDI["nik"], purpose="nik")) == person
    assert services.decrypt_nik(Person.objects.get(pk=person.pk)) == BUDI["nik"]


def test_ciphertext_does_not_decrypt_on_another_row(visitor):
    budi = services.set_own_profile(account=visitor, **BUDI)
    siti = services.add_dependant(account=visitor, **SITI)
    siti.nik_encrypted = budi.nik_encrypted
    with pytest.raises(DecryptionError):
        services.decrypt_nik(siti)


def test_own_profile_is_created_then_updated(visitor):
    first = services.set_own_profile(account=visitor, **BUDI)
    again = services.set_own_profile(account=visitor, **{**BUDI, "full_name": "Budi  S. "})
    assert again.pk == first.pk
    assert Person.objects.get().full_name == "Budi S."
    assert actions() == ["people.profile_create", "people.profile_update"]
    update = AuditEvent.objects.get(action="people.profile_update")
    assert update.actor == visitor
    assert update.detail == {"fields": ["full_name"], "nik_masked": "3671********0001"}


def test_saving_the_same_profile_writes_nothing(visitor):
    services.set_own_profile(account=visitor, **BUDI)
    services.set_own_profile(account=visitor, **BUDI)
    assert actions() == ["people.profile_create"]


def test_own_nik_can_change_to_a_free_one(visitor):
    person = services.set_own_profile(account=visitor, **BUDI)
    new = {**BUDI, "nik": "3671011205900009"}
    services.set_own_profile(account=visitor, **new)
    person.refresh_from_db()
    assert services.decrypt_nik(person) == "3671011205900009"
    assert person.nik_masked == "3671********0009"
    assert AuditEvent.objects.get(action="people.profile_update").detail["fields"] == ["nik"]


def test_nik_is_validated_against_birth_date_and_sex(visitor):
    assert (
        refusal(services.set_own_profile, account=visitor, **{**BUDI, "sex": "F"})
        == Reason.NIK_SEX_MISMATCH
    )
    assert (
        refusal(
            services.set_own_profile,
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
        refusal(services.set_own_profile, account=visitor, **{**BUDI, "full_name": name})
        == Reason.NAME_INVALID
    )


def test_sex_and_relation_are_checked(visitor):
    assert (
        refusal(services.add_dependant, account=visitor, **{**SITI, "sex": "X"})
        == Reason.SEX_INVALID
    )
    for relation in ("self", "cousin"):
        assert (
            refusal(services.add_dependant, account=visitor, **{**SITI, "relation": relation})
            == Reason.RELATION_INVALID
        )


def test_dependants_are_added_updated_and_removed(visitor):
    siti = services.add_dependant(account=visitor, **SITI)
    rafi = services.add_dependant(account=visitor, **RAFI)
    assert services.dependants_of(account=visitor) == [siti, rafi]
    assert len(siti.public_id) == 12 and siti.public_id != rafi.public_id

    services.update_dependant(account=visitor, public_id=rafi.public_id, full_name="Rafi S.")
    rafi.refresh_from_db()
    assert rafi.full_name == "Rafi S."
    assert services.decrypt_nik(rafi) == RAFI["nik"]

    services.remove_dependant(account=visitor, public_id=siti.public_id)
    assert services.dependants_of(account=visitor) == [rafi]
    assert actions() == [
        "people.dependant_add",
        "people.dependant_add",
        "people.dependant_update",
        "people.dependant_remove",
    ]
    removed = AuditEvent.objects.get(action="people.dependant_remove")
    assert removed.detail == {"relation": "spouse", "nik_masked": "3671********0002"}


def test_update_rechecks_the_nik_against_the_new_details(visitor):
    rafi = services.add_dependant(account=visitor, **RAFI)
    assert (
        refusal(
            services.update_dependant,
            account=visitor,
            public_id=rafi.public_id,
            birth_date=dt.date(2015, 1, 21),
        )
        == Reason.NIK_BIRTH_DATE_MISMATCH
    )
    new_nik = "3671022001150007"
    services.update_dependant(account=visitor, public_id=rafi.public_id, nik=new_nik)
    rafi.refresh_from_db()
    assert (services.decrypt_nik(rafi), rafi.nik_masked) == (new_nik, "3671********0007")
    assert rafi.nik_index == blind_index(new_nik, purpose="nik")


def test_another_account_s_dependant_is_not_found(visitor, other_visitor):
    siti = services.add_dependant(account=visitor, **SITI)
    for call in (services.update_dependant, services.remove_dependant):
        assert (
            refusal(call, account=other_visitor, public_id=siti.public_id)
            == Reason.DEPENDANT_NOT_FOUND
        )
    assert Person.objects.filter(pk=siti.pk).exists()


def test_own_profile_is_not_a_dependant(visitor):
    me = services.set_own_profile(account=visitor, **BUDI)
    assert (
        refusal(services.remove_dependant, account=visitor, public_id=me.public_id)
        == Reason.DEPENDANT_NOT_FOUND
    )


def test_the_same_nik_twice_on_one_account(visitor):
    services.set_own_profile(account=visitor, **BUDI)
    services.add_dependant(account=visitor, **SITI)
    assert refusal(services.add_dependant, account=visitor, **SITI) == Reason.NIK_ALREADY_ADDED
    assert (
        refusal(services.add_dependant, account=visitor, **{**BUDI, "relation": "other"})
        == Reason.NIK_ALREADY_ADDED
    )
    assert NikClaimAttempt.objects.count() == 0


def test_own_profile_cannot_take_a_dependant_s_nik(visitor):
    services.add_dependant(account=visitor, **SITI)
    own = {k: v for k, v in SITI.items() if k != "relation"}
    assert refusal(services.set_own_profile, account=visitor, **own) == Reason.NIK_ALREADY_ADDED


def test_a_nik_held_by_another_account_is_refused_and_recorded(visitor, other_visitor):
    siti = services.add_dependant(account=visitor, **SITI)
    AuditEvent.objects.all().delete()

    assert refusal(services.add_dependant, account=other_visitor, **SITI) == Reason.NIK_CLAIMED

    attempt = NikClaimAttempt.objects.get()
    assert (attempt.nik_index, attempt.attempted_by) == (siti.nik_index, other_visitor)
    assert Person.objects.filter(account=other_visitor).count() == 0
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == (
        "people.nik_claim_refused",
        other_visitor,
        str(siti.pk),
    )
    assert event.detail == {"nik_masked": "3671********0002"}

    seen = services.claim_attempts_for(visitor)
    assert [(a.person, a.at) for a in seen] == [(siti, attempt.at)]
    assert services.claim_attempts_for(other_visitor) == []


def test_own_profile_claim_on_a_held_nik_is_refused_too(visitor, other_visitor):
    services.set_own_profile(account=visitor, **BUDI)
    assert refusal(services.set_own_profile, account=other_visitor, **BUDI) == Reason.NIK_CLAIMED
    rafi = services.add_dependant(account=other_visitor, **RAFI)
    assert (
        refusal(
            services.update_dependant,
            account=other_visitor,
            public_id=rafi.public_id,
            nik=BUDI["nik"],
            birth_date=BUDI["birth_date"],
        )
        == Reason.NIK_CLAIMED
    )
    assert len(services.claim_attempts_for(visitor)) == 2


def test_attempts_against_a_previous_holder_are_not_shown(visitor, other_visitor, make_user):
    siti = services.add_dependant(account=visitor, **SITI)
    refusal(services.add_dependant, account=other_visitor, **SITI)
    services.remove_dependant(account=visitor, public_id=siti.public_id)

    third = make_user("visitor")
    services.add_dependant(account=third, **SITI)
    assert services.claim_attempts_for(third) == []


def test_refused_claims_are_capped_per_day(visitor, other_visitor):
    services.add_dependant(account=visitor, **SITI)
    services.set_own_profile(account=other_visitor, **BUDI)
    for _ in range(services.MAX_REFUSED_CLAIMS_PER_DAY):
        assert refusal(services.add_dependant, account=other_visitor, **SITI) == Reason.NIK_CLAIMED
    # Now even a free NIK is refused, so the form cannot probe which NIKs are registered.
    assert (
        refusal(services.add_dependant, account=other_visitor, **RAFI)
        == Reason.TOO_MANY_CLAIM_ATTEMPTS
    )
    # Editing details under a NIK the account already holds probes nothing.
    services.set_own_profile(account=other_visitor, **{**BUDI, "full_name": "Budi S."})
    NikClaimAttempt.objects.update(at=timezone.now() - dt.timedelta(days=1, minutes=1))
    services.add_dependant(account=other_visitor, **RAFI)


def test_dependants_are_limited_per_account(visitor):
    for n in range(services.MAX_DEPENDANTS):
        services.add_dependant(account=visitor, **child(n))
    with pytest.raises(PeopleError) as caught:
        services.add_dependant(account=visitor, **child(99))
    assert caught.value.code == Reason.TOO_MANY_DEPENDANTS
    assert "10" in caught.value.message
    # The holder's own profile does not count against the limit.
    services.set_own_profile(account=visitor, **BUDI)


def test_no_audit_row_holds_a_nik_in_clear(visitor, other_visitor):
    services.set_own_profile(account=visitor, **BUDI)
    siti = services.add_dependant(account=visitor, **SITI)
    services.update_dependant(account=visitor, public_id=siti.public_id, nik="3671014308920005")
    claim = {**BUDI, "relation": "other"}
    assert refusal(services.add_dependant, account=other_visitor, **claim) == Reason.NIK_CLAIMED
    services.remove_dependant(account=visitor, public_id=siti.public_id)
    dumped = json.dumps(list(AuditEvent.objects.values("detail", "object_id")))
    for nik in (BUDI["nik"], SITI["nik"], "3671014308920005"):
        assert nik not in dumped
