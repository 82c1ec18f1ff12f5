"""Every NIK set on a profile or a dependant is matched with the civil registry first."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.identity import port
from jejak.identity.tests.factories import register_resident
from jejak.people import service, verification
from jejak.people.errors import Reason
from jejak.people.models import IdentityRefusal, NikClaimAttempt, Person
from jejak.people.nik import nik_index
from jejak.people.tests.factories import (
    BUDI,
    DEWI,
    RAFI,
    SITI,
    SRI,
    make_nik,
    own,
    unverified_person,
)

NOT_VERIFIED = {
    "code": "identity_not_verified",
    "message": str(Reason.IDENTITY_NOT_VERIFIED.label),
}


def send(client: Client, method: str, url: str, data: dict):
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def audit_rows(**filters) -> list[tuple[str, dict]]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", "detail"))


JOKO_BORN = dt.date(1988, 2, 2)
JOKO = {  # his NIK says 2 February; the registry's record says 3 February
    "nik": make_nik(born=JOKO_BORN, serial=7),
    "full_name": "Joko Widodo",
    "birth_date": JOKO_BORN,
    "sex": "M",
}
ALM_BORN = dt.date(1950, 6, 1)
ALMARHUM = {  # in the registry, deceased
    "nik": make_nik(born=ALM_BORN, serial=8),
    "full_name": "Slamet Riyadi",
    "birth_date": ALM_BORN,
    "sex": "M",
}


@pytest.fixture
def more_residents(registry):
    register_resident(**{**JOKO, "birth_date": dt.date(1988, 2, 3)})
    register_resident(**ALMARHUM, died_on=dt.date(2021, 7, 10))


UNREGISTERED = {**BUDI, "nik": "3671011205900008"}  # a well-formed NIK nobody holds
REFUSED_PROFILES = [
    pytest.param(UNREGISTERED, "not_found", id="not_found"),
    pytest.param({**BUDI, "full_name": "Budi Santosa"}, "name_mismatch", id="name_mismatch"),
    pytest.param(JOKO, "birth_date_mismatch", id="birth_date_mismatch"),
    pytest.param(ALMARHUM, "deceased", id="deceased"),
]


@pytest.mark.usefixtures("more_residents")
@pytest.mark.parametrize(("typed", "outcome"), REFUSED_PROFILES)
def test_profile_refusal_is_one_code_whatever_differed(visitor_client, visitor, typed, outcome):
    response = send(visitor_client, "put", "/api/v1/me/profile", typed)

    assert response.status_code == 400
    assert response.json() == NOT_VERIFIED
    assert not Person.objects.exists()
    masked = typed["nik"][:4] + "********" + typed["nik"][-4:]
    refusal = IdentityRefusal.objects.get()
    assert (
        refusal.account,
        refusal.nik_index,
        refusal.nik_masked,
        refusal.outcome,
        refusal.backend,
        refusal.purpose,
    ) == (visitor, nik_index(typed["nik"]), masked, outcome, "registry_file", "profile")
    assert audit_rows() == [
        (
            "people.identity_refused",
            {
                "nik_masked": masked,
                "outcome": outcome,
                "backend": "registry_file",
                "purpose": "profile",
            },
        )
    ]
    assert AuditEvent.objects.get().actor == visitor


@pytest.mark.usefixtures("more_residents")
@pytest.mark.parametrize(("typed", "outcome"), REFUSED_PROFILES)
def test_dependant_refusal_is_one_code_whatever_differed(
    visitor_client, visitor, holder, typed, outcome
):
    AuditEvent.objects.all().delete()
    response = send(visitor_client, "post", "/api/v1/me/dependants", {**typed, "relation": "other"})

    assert response.status_code == 400
    assert response.json() == NOT_VERIFIED
    assert list(Person.objects.all()) == [holder]
    assert list(IdentityRefusal.objects.values_list("outcome", "purpose")) == [
        (outcome, "dependant")
    ]
    assert [action for action, _ in audit_rows()] == ["people.identity_refused"]


def test_a_verified_profile_s_new_name_is_checked_again(visitor_client, visitor, holder):
    response = send(
        visitor_client, "put", "/api/v1/me/profile", {**BUDI, "full_name": "Budi Santosa"}
    )
    assert (response.status_code, response.json()) == (400, NOT_VERIFIED)
    holder.refresh_from_db()
    assert (holder.full_name, holder.identity_verified_at is not None) == ("Budi Santoso", True)
    assert IdentityRefusal.objects.get().outcome == "name_mismatch"


def test_a_verified_dependant_s_new_name_is_checked_again(visitor_client, visitor, holder):
    siti = service.add_dependant(account=visitor, **SITI)
    url = f"/api/v1/me/dependants/{siti.public_id}"
    response = send(visitor_client, "patch", url, {"full_name": "Siti Rahaya"})
    assert (response.status_code, response.json()) == (400, NOT_VERIFIED)
    siti.refresh_from_db()
    assert siti.full_name == "Siti Rahayu"
    assert IdentityRefusal.objects.get().outcome == "name_mismatch"


def test_identity_refusals_are_capped_per_account_per_day(
    visitor_client, visitor, other_client, other_visitor
):
    for serial in range(10, 10 + verification.MAX_REFUSED_PER_DAY):
        typed = {**BUDI, "nik": make_nik(born=BUDI["birth_date"], serial=serial)}
        assert send(visitor_client, "put", "/api/v1/me/profile", typed).status_code == 400

    # Now even the right identity is refused, so the form cannot be used to guess.
    capped = send(visitor_client, "put", "/api/v1/me/profile", BUDI)
    assert (capped.status_code, capped.json()["code"]) == (429, "too_many_identity_attempts")
    assert not Person.objects.filter(account=visitor).exists()
    assert IdentityRefusal.objects.count() == verification.MAX_REFUSED_PER_DAY
    assert [action for action, _ in audit_rows()] == ["people.identity_refused"] * (
        verification.MAX_REFUSED_PER_DAY
    )

    # The cap is the account's own.
    assert send(other_client, "put", "/api/v1/me/profile", own(DEWI)).status_code == 200

    IdentityRefusal.objects.update(at=timezone.now() - dt.timedelta(days=1, minutes=1))
    assert send(visitor_client, "put", "/api/v1/me/profile", BUDI).status_code == 200


def _outage(**_kwargs):
    raise port.IdentityServiceUnavailable("timed out")


def test_registry_unavailable_is_503_and_stores_nothing(visitor_client, visitor, monkeypatch):
    monkeypatch.setattr(port, "verify", _outage)

    response = send(visitor_client, "put", "/api/v1/me/profile", BUDI)

    assert (response.status_code, response.json()["code"]) == (503, "identity_service_unavailable")
    assert not Person.objects.exists()
    assert not IdentityRefusal.objects.exists()
    assert audit_rows() == [
        (
            "people.identity_unavailable",
            {"nik_masked": "3671********0001", "backend": "registry_file"},
        )
    ]


def test_registry_unavailable_adds_no_dependant_and_changes_no_name(
    visitor_client, visitor, holder, monkeypatch
):
    siti = service.add_dependant(account=visitor, **SITI)
    AuditEvent.objects.all().delete()
    monkeypatch.setattr(port, "verify", _outage)

    added = send(visitor_client, "post", "/api/v1/me/dependants", RAFI)
    renamed = send(
        visitor_client,
        "patch",
        f"/api/v1/me/dependants/{siti.public_id}",
        {"full_name": "SITI RAHAYU"},
    )

    for response in (added, renamed):
        assert (response.status_code, response.json()["code"]) == (
            503,
            "identity_service_unavailable",
        )
    assert set(Person.objects.values_list("full_name", flat=True)) == {
        "Budi Santoso",
        "Siti Rahayu",
    }
    assert not IdentityRefusal.objects.exists()
    assert [action for action, _ in audit_rows()] == ["people.identity_unavailable"] * 2


def test_a_verified_profile_nik_is_locked(visitor_client, visitor, holder):
    AuditEvent.objects.all().delete()
    # Locked before the registry is asked: even a NIK nobody holds is not tried.
    for typed in (own(DEWI), UNREGISTERED):
        response = send(visitor_client, "put", "/api/v1/me/profile", typed)
        assert (response.status_code, response.json()["code"]) == (409, "identity_locked")
    holder.refresh_from_db()
    assert service.decrypt_nik(holder) == BUDI["nik"]
    assert not IdentityRefusal.objects.exists()
    assert (
        audit_rows()
        == [
            ("people.identity_change_refused", {"nik_masked": "3671********0001"}),
        ]
        * 2
    )
    assert {e.object_id for e in AuditEvent.objects.all()} == {str(holder.pk)}


def test_a_verified_dependant_nik_is_locked(visitor_client, visitor, holder):
    rafi = service.add_dependant(account=visitor, **RAFI)
    AuditEvent.objects.all().delete()
    url = f"/api/v1/me/dependants/{rafi.public_id}"

    response = send(visitor_client, "patch", url, {"nik": "3671022001150007"})

    assert (response.status_code, response.json()["code"]) == (409, "identity_locked")
    rafi.refresh_from_db()
    assert service.decrypt_nik(rafi) == RAFI["nik"]
    assert audit_rows() == [("people.identity_change_refused", {"nik_masked": "3671********0003"})]
    # Removing a verified dependant is still the visitor's own choice.
    assert visitor_client.delete(url).status_code == 204
    assert [action for action, _ in audit_rows()] == [
        "people.identity_change_refused",
        "people.dependant_remove",
    ]


def test_dependants_need_a_verified_holder(visitor_client, visitor):
    no_profile = send(visitor_client, "post", "/api/v1/me/dependants", SITI)
    assert (no_profile.status_code, no_profile.json()["code"]) == (409, "holder_not_verified")

    # A profile saved before the registry check is not verified either.
    unverified_person(visitor, **BUDI)
    unverified = send(visitor_client, "post", "/api/v1/me/dependants", SITI)
    assert (unverified.status_code, unverified.json()["code"]) == (409, "holder_not_verified")

    assert list(Person.objects.values_list("relation", flat=True)) == ["self"]
    # The registry was not asked.
    assert not IdentityRefusal.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_dependant_off_the_family_card_is_refused_and_audited(visitor_client, visitor, holder):
    AuditEvent.objects.all().delete()

    response = send(visitor_client, "post", "/api/v1/me/dependants", SRI)

    assert (response.status_code, response.json()["code"]) == (409, "not_on_family_card")
    assert list(Person.objects.all()) == [holder]
    # The registry matched her: no refusal counts against the daily cap.
    assert not IdentityRefusal.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id, event.detail) == (
        "people.dependant_not_on_family_card",
        visitor,
        str(holder.pk),
        {"nik_masked": "3671********0005"},
    )


def test_nik_claimed_is_answered_only_after_a_registry_match(
    visitor, holder, other_client, other_visitor, other_holder
):
    service.add_dependant(account=visitor, **SITI)
    AuditEvent.objects.all().delete()

    guessed = send(
        other_client, "post", "/api/v1/me/dependants", {**SITI, "full_name": "Orang Lain"}
    )

    # Someone who has only the NIK learns nothing about whether it is registered.
    assert (guessed.status_code, guessed.json()) == (400, NOT_VERIFIED)
    assert not NikClaimAttempt.objects.exists()
    assert service.claim_attempts_for(visitor) == []
    assert list(IdentityRefusal.objects.values_list("account", "outcome")) == [
        (other_visitor.pk, "name_mismatch")
    ]
    assert [action for action, _ in audit_rows()] == ["people.identity_refused"]

    known = send(other_client, "post", "/api/v1/me/dependants", SITI)
    assert (known.status_code, known.json()["code"]) == (409, "nik_claimed")
    assert NikClaimAttempt.objects.count() == 1
