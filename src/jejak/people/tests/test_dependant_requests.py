"""Dependants off the family card: the visitor asks, a health officer of the region decides."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.identity.port import family_card_index
from jejak.notifications.models import Message
from jejak.people import service
from jejak.people.models import DependantRequest, IdentityRefusal, Person, RequestStatus
from jejak.people.tests.factories import SRI, SRI_FAMILY_CARD

REASON = "Ibu saya tinggal bersama kami sejak ayah meninggal."
MINE = "/api/v1/me/dependant-requests"
QUEUE = "/api/v1/people/dependant-requests"


def send(client: Client, method: str, url: str, data: dict):
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def decide(client: Client, public_id: str, verb: str, reason: str = "KK dan KTP diperiksa."):
    return send(client, "post", f"{QUEUE}/{public_id}/{verb}", {"reason": reason})


def audit_rows(**filters) -> list[tuple[str, dict]]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", "detail"))


@pytest.fixture
def filed(visitor_client, holder) -> DependantRequest:
    """Budi asks for his mother Sri, who is on another family card."""
    response = send(visitor_client, "post", MINE, {**SRI, "reason": REASON})
    assert response.status_code == 202
    return DependantRequest.objects.get(public_id=response.json()["public_id"])


def test_a_request_is_filed_pending_with_its_reason(visitor_client, visitor, holder):
    AuditEvent.objects.all().delete()

    response = send(visitor_client, "post", MINE, {**SRI, "reason": REASON})

    assert response.status_code == 202
    body = response.json()
    request = DependantRequest.objects.get()
    assert {k: v for k, v in body.items() if k != "requested_at"} == {
        "public_id": request.public_id,
        "nik_masked": "3671********0005",
        "full_name": "Sri Wahyuni",
        "relation": "parent",
        "status": "pending",
        "reason": REASON,
        "decided_at": None,
        "decision_reason": "",
        "person": None,
    }
    assert (request.account, request.region_code) == (visitor, "36.71.01")
    assert request.family_card_index == family_card_index(SRI_FAMILY_CARD)
    assert SRI["nik"].encode() not in bytes(request.nik_encrypted)
    assert list(Person.objects.all()) == [holder]
    assert audit_rows() == [
        ("people.dependant_requested", {"nik_masked": "3671********0005", "relation": "parent"})
    ]
    assert [r["public_id"] for r in visitor_client.get(MINE).json()] == [request.public_id]


def test_a_request_needs_a_reason_and_a_registry_match(visitor_client, visitor, holder):
    no_reason = send(visitor_client, "post", MINE, {**SRI, "reason": "  "})
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "reason_required")

    wrong_name = send(
        visitor_client, "post", MINE, {**SRI, "full_name": "Sri Wahyu", "reason": REASON}
    )
    assert (wrong_name.status_code, wrong_name.json()["code"]) == (400, "identity_not_verified")
    assert list(IdentityRefusal.objects.values_list("outcome", "purpose")) == [
        ("name_mismatch", "dependant_request")
    ]
    assert not DependantRequest.objects.exists()


def test_a_request_needs_a_verified_holder(visitor_client):
    response = send(visitor_client, "post", MINE, {**SRI, "reason": REASON})
    assert (response.status_code, response.json()["code"]) == (409, "holder_not_verified")
    assert not DependantRequest.objects.exists()


def test_one_pending_request_per_nik(visitor_client, filed):
    again = send(visitor_client, "post", MINE, {**SRI, "reason": REASON})
    assert (again.status_code, again.json()["code"]) == (409, "request_pending")
    assert DependantRequest.objects.count() == 1


def test_the_officer_of_the_region_lists_pending_requests_audited(officer_client, officer, filed):
    response = officer_client.get(QUEUE)

    assert response.status_code == 200
    (listed,) = response.json()
    assert (listed["public_id"], listed["region_code"], listed["reason"]) == (
        filed.public_id,
        "36.71.01",
        REASON,
    )
    assert SRI["nik"] not in response.content.decode()
    assert audit_rows(actor=officer) == [
        ("people.dependant_requests_read", {"count": 1, "requests": [filed.public_id]})
    ]


def test_approval_adds_a_verified_dependant_and_tells_the_visitor(
    visitor_client, visitor, officer_client, officer, filed
):
    response = decide(officer_client, filed.public_id, "approve", "KK ibu diperiksa.")

    assert response.status_code == 200
    filed.refresh_from_db()
    person = Person.objects.get(account=visitor, relation="parent")
    assert (response.json()["status"], response.json()["person"]) == (
        "approved",
        person.public_id,
    )
    assert (filed.status, filed.decided_by, filed.decision_reason, filed.person) == (
        RequestStatus.APPROVED,
        officer,
        "KK ibu diperiksa.",
        person,
    )
    assert service.decrypt_nik(person) == SRI["nik"]
    assert (person.full_name, person.birth_date, person.sex) == (
        "Sri Wahyuni",
        SRI["birth_date"],
        "F",
    )
    assert person.identity_verified_at is not None
    assert (person.identity_backend, person.family_card_index) == (
        "registry_file",
        family_card_index(SRI_FAMILY_CARD),
    )
    assert audit_rows(actor=officer) == [
        (
            "people.dependant_request_approved",
            {"nik_masked": "3671********0005", "reason": "KK ibu diperiksa."},
        )
    ]
    messages = Message.objects.filter(to_user=visitor).order_by("channel")
    assert [(m.channel, m.template, m.ref) for m in messages] == [
        ("inapp", "dependant_request_decided", f"people.dependant_request:{filed.pk}"),
        ("sms", "dependant_request_decided", f"people.dependant_request:{filed.pk}"),
    ]
    inapp = messages[0]
    assert "menyetujui Sri Wahyuni" in inapp.body and "KK ibu diperiksa." in inapp.body
    assert "disetujui" in messages[1].body
    listed = visitor_client.get("/api/v1/me/dependants").json()
    assert [(p["full_name"], p["nik"]) for p in listed] == [("Sri Wahyuni", SRI["nik"])]


def test_an_approved_dependant_s_name_is_rechecked_without_the_family_card(
    visitor_client, visitor, officer_client, filed
):
    decide(officer_client, filed.public_id, "approve")
    sri = Person.objects.get(relation="parent")

    response = send(
        visitor_client,
        "patch",
        f"/api/v1/me/dependants/{sri.public_id}",
        {"full_name": "SRI WAHYUNI"},
    )

    assert (response.status_code, response.json()["full_name"]) == (200, "SRI WAHYUNI")


def test_rejection_adds_nobody_and_tells_the_visitor_why(
    visitor, holder, officer_client, officer, filed
):
    response = decide(officer_client, filed.public_id, "reject", "Bukan anggota keluarga.")

    assert (response.status_code, response.json()["status"]) == (200, "rejected")
    assert response.json()["decision_reason"] == "Bukan anggota keluarga."
    assert list(Person.objects.all()) == [holder]
    assert audit_rows(actor=officer) == [
        (
            "people.dependant_request_rejected",
            {"nik_masked": "3671********0005", "reason": "Bukan anggota keluarga."},
        )
    ]
    inapp = Message.objects.get(to_user=visitor, channel="inapp")
    assert (inapp.template, inapp.ref) == (
        "dependant_request_decided",
        f"people.dependant_request:{filed.pk}",
    )
    assert "menolak" in inapp.body and "Bukan anggota keluarga." in inapp.body
    assert Message.objects.filter(to_user=visitor, channel="sms").count() == 1


def test_a_decision_needs_a_reason(officer_client, filed):
    response = decide(officer_client, filed.public_id, "approve", "")
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")
    filed.refresh_from_db()
    assert filed.status == RequestStatus.PENDING


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_a_request_is_decided_once(officer_client, filed, second):
    assert decide(officer_client, filed.public_id, "approve").status_code == 200

    again = decide(officer_client, filed.public_id, second)

    assert (again.status_code, again.json()["code"]) == (409, "request_decided")
    assert Person.objects.filter(relation="parent").count() == 1
    assert Message.objects.filter(channel="inapp").count() == 1


def test_an_officer_of_another_region_sees_nothing_and_decides_nothing(
    other_officer_client, other_officer, filed
):
    assert other_officer_client.get(QUEUE).json() == []
    for verb in ("approve", "reject"):
        response = decide(other_officer_client, filed.public_id, verb)
        assert (response.status_code, response.json()["code"]) == (404, "request_not_found")

    filed.refresh_from_db()
    assert filed.status == RequestStatus.PENDING
    assert not Person.objects.filter(relation="parent").exists()
    assert not Message.objects.exists()
    assert audit_rows(actor=other_officer) == [
        ("people.dependant_requests_read", {"count": 0, "requests": []}),
        ("people.dependant_request_refused", {"request": filed.public_id}),
        ("people.dependant_request_refused", {"request": filed.public_id}),
    ]


def test_an_unknown_request_is_404(officer_client):
    response = decide(officer_client, "aaaaaaaaaaaa", "approve")
    assert (response.status_code, response.json()["code"]) == (404, "request_not_found")


def test_the_issuer_decides_anywhere(issuer, filed):
    client = Client()
    client.force_login(issuer)
    assert [r["public_id"] for r in client.get(QUEUE).json()] == [filed.public_id]
    assert decide(client, filed.public_id, "reject").status_code == 200


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.VENUE_STAFF, Role.ENFORCEMENT_OFFICER])
def test_other_roles_get_403(client_for, city, filed, role):
    client = client_for(role, region=city)
    assert client.get(QUEUE).status_code == 403
    for verb in ("approve", "reject"):
        response = decide(client, filed.public_id, verb)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    filed.refresh_from_db()
    assert filed.status == RequestStatus.PENDING


def test_the_visitor_cannot_decide_their_own_request(visitor_client, filed):
    assert visitor_client.get(QUEUE).status_code == 403
    response = decide(visitor_client, filed.public_id, "approve")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    filed.refresh_from_db()
    assert filed.status == RequestStatus.PENDING
    assert not Person.objects.filter(relation="parent").exists()
