"""Officers' identity corrections, the one way a verified NIK changes, and their reads of
the registry's refusals."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.identity.tests.factories import register_resident
from jejak.notifications.models import Message
from jejak.people import service
from jejak.people.models import IdentityRefusal, Person
from jejak.people.tests.factories import BUDI, DEWI

URL = "/api/v1/people/identity-corrections"
REFUSALS = "/api/v1/people/identity-refusals"
REASON = "NIK ganda; Dukcapil menerbitkan NIK baru (KTP diperiksa)."
# Budi's NIK as the registry re-issued it (a duplicate NIK corrected by Dukcapil).
NEW_NIK = "3671011205900009"


def send(client: Client, data: dict):
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def correction(**changes) -> dict:
    return {"current_nik": BUDI["nik"], **BUDI, "nik": NEW_NIK, "reason": REASON, **changes}


def audit_rows(**filters) -> list[tuple[str, dict]]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", "detail"))


@pytest.fixture
def reissued(registry) -> None:
    register_resident(**{**BUDI, "nik": NEW_NIK})


@pytest.mark.usefixtures("reissued")
def test_an_officer_corrects_a_verified_nik_audited_and_the_owner_told(
    officer_client, officer, visitor, holder
):
    response = send(officer_client, correction())

    assert response.status_code == 200
    holder.refresh_from_db()
    assert response.json()["public_id"] == holder.public_id
    assert response.json()["nik_masked"] == "3671********0009"
    assert service.decrypt_nik(holder) == NEW_NIK
    assert holder.identity_verified_at is not None
    assert audit_rows(actor=officer) == [
        (
            "people.identity_corrected",
            {
                "old_nik_masked": "3671********0001",
                "new_nik_masked": "3671********0009",
                "reason": REASON,
                "identity_backend": "registry_file",
            },
        )
    ]
    assert AuditEvent.objects.get(actor=officer).object_id == str(holder.pk)
    messages = Message.objects.filter(to_user=visitor).order_by("channel")
    assert [(m.channel, m.template, m.ref) for m in messages] == [
        ("inapp", "identity_corrected", f"people.identity_corrected:{holder.pk}"),
        ("sms", "identity_corrected", f"people.identity_corrected:{holder.pk}"),
    ]
    for message in messages:
        assert "3671********0001" in message.body and "3671********0009" in message.body
        assert BUDI["nik"] not in message.body and NEW_NIK not in message.body
    assert REASON in messages[0].body
    # The visitor sees the corrected NIK, and it is bound again.
    assert service.own_profile(account=visitor).nik_masked == "3671********0009"


def test_an_officer_of_another_region_gets_404_audited(
    other_officer_client, other_officer, holder, reissued
):
    response = send(other_officer_client, correction())

    assert (response.status_code, response.json()["code"]) == (404, "person_not_found")
    holder.refresh_from_db()
    assert service.decrypt_nik(holder) == BUDI["nik"]
    assert audit_rows(actor=other_officer) == [
        (
            "people.identity_correction_refused",
            {"outcome": "refused", "nik_masked": "3671********0001"},
        )
    ]
    assert not Message.objects.exists()


def test_an_unregistered_person_is_404_like_one_out_of_reach(officer_client, officer, reissued):
    response = send(officer_client, correction())
    assert (response.status_code, response.json()["code"]) == (404, "person_not_found")
    assert [action for action, _ in audit_rows(actor=officer)] == [
        "people.identity_correction_refused"
    ]


def test_a_new_identity_the_registry_does_not_know_is_refused(officer_client, officer, holder):
    response = send(officer_client, correction())  # NEW_NIK is not in the registry here

    assert (response.status_code, response.json()["code"]) == (400, "identity_not_verified")
    # Officers are told what the registry found.
    assert "(not_found)" in response.json()["message"]
    holder.refresh_from_db()
    assert service.decrypt_nik(holder) == BUDI["nik"]
    assert audit_rows(actor=officer) == [
        (
            "people.identity_refused",
            {
                "nik_masked": "3671********0009",
                "outcome": "not_found",
                "backend": "registry_file",
                "purpose": "correction",
            },
        )
    ]
    assert not Message.objects.exists()


def test_a_nik_held_by_another_account_is_refused(officer_client, officer, holder, other_holder):
    response = send(officer_client, correction(**DEWI))

    assert (response.status_code, response.json()["code"]) == (409, "nik_claimed")
    holder.refresh_from_db()
    other_holder.refresh_from_db()
    assert service.decrypt_nik(holder) == BUDI["nik"]
    assert service.decrypt_nik(other_holder) == DEWI["nik"]
    assert not audit_rows(actor=officer, action="people.identity_corrected")
    assert not Message.objects.exists()


@pytest.mark.usefixtures("reissued")
def test_a_correction_needs_a_reason(officer_client, holder):
    response = send(officer_client, correction(reason=""))
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")
    holder.refresh_from_db()
    assert service.decrypt_nik(holder) == BUDI["nik"]


@pytest.mark.parametrize("role", [Role.VISITOR, Role.CITY_ADMIN, Role.VENUE_STAFF])
def test_other_roles_get_403(client_for, city, holder, reissued, role):
    client = client_for(role, region=city)
    response = send(client, correction())
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert client.get(REFUSALS, {"nik": BUDI["nik"]}).status_code == 403
    holder.refresh_from_db()
    assert service.decrypt_nik(holder) == BUDI["nik"]


def test_the_issuer_corrects_anywhere(issuer, holder, reissued):
    client = Client()
    client.force_login(issuer)
    assert send(client, correction()).status_code == 200


def test_officers_read_the_registry_s_exact_refusals_audited(
    officer_client, officer, visitor, visitor_client
):
    wrong = {**BUDI, "full_name": "Budi Santosa", "birth_date": BUDI["birth_date"].isoformat()}
    visitor_client.put(
        "/api/v1/me/profile", data=json.dumps(wrong), content_type="application/json"
    )
    assert IdentityRefusal.objects.count() == 1

    response = officer_client.get(REFUSALS, {"nik": BUDI["nik"]})

    assert response.status_code == 200
    (row,) = response.json()
    assert {k: v for k, v in row.items() if k != "at"} == {
        "nik_masked": "3671********0001",
        "outcome": "name_mismatch",
        "backend": "registry_file",
        "purpose": "profile",
    }
    assert audit_rows(actor=officer) == [
        ("people.identity_refusals_read", {"nik_masked": "3671********0001", "count": 1})
    ]


def test_refusals_of_another_region_are_404_audited(other_officer_client, other_officer, city):
    response = other_officer_client.get(REFUSALS, {"nik": BUDI["nik"]})
    assert (response.status_code, response.json()["code"]) == (404, "person_not_found")
    assert audit_rows(actor=other_officer) == [
        (
            "people.identity_refusals_read",
            {"outcome": "refused", "nik_masked": "3671********0001"},
        )
    ]
    assert not Person.objects.exists()
