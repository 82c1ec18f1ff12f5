"""The health officer's identity desk: pending dependant requests decided on a page,
and corrections of a verified identity."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.identity.tests.factories import register_resident
from jejak.people import approvals, service
from jejak.people.models import DependantRequest, Person, RequestStatus
from jejak.people.tests.factories import BUDI, make_nik

pytestmark = pytest.mark.django_db

MOTHER = {
    "nik": make_nik(born=dt.date(1950, 3, 4), sex="F", serial=61),
    "full_name": "Sri Wahyuni",
    "birth_date": dt.date(1950, 3, 4),
    "sex": "F",
}


@pytest.fixture
def pending(visitor: Any) -> DependantRequest:
    service.set_own_profile(account=visitor, **{k: v for k, v in BUDI.items() if k != "relation"})
    register_resident(**MOTHER, family_card="3671010101500061")
    return approvals.request_dependant(
        account=visitor, relation="parent", reason="Ibu saya, tinggal bersama kami", **MOTHER
    )


@pytest.fixture
def officer_client(make_user: Any, city: Any) -> Client:
    client = Client()
    client.force_login(make_user(Role.HEALTH_OFFICER, region=city))
    return client


def test_the_desk_lists_pending_requests_and_approves_one(
    officer_client: Client, pending: DependantRequest
) -> None:
    page = officer_client.get("/petugas/identitas/")
    assert page.status_code == 200
    assert "Sri Wahyuni" in page.content.decode()
    assert AuditEvent.objects.filter(action="people.dependant_requests_read").count() == 1

    done = officer_client.post(
        f"/petugas/identitas/{pending.public_id}/setujui/", {"reason": "KK ibu dicek"}
    )

    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.status == RequestStatus.APPROVED
    assert Person.objects.get(pk=pending.person_id).identity_verified_at is not None


def test_a_decision_needs_a_reason(officer_client: Client, pending: DependantRequest) -> None:
    officer_client.post(f"/petugas/identitas/{pending.public_id}/tolak/", {"reason": ""})
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING


def test_other_roles_cannot_open_the_desk(client_for: Any, city: Any) -> None:
    assert client_for(Role.CITY_ADMIN, region=city).get("/petugas/identitas/").status_code == 403


def test_a_correction_from_the_page_is_audited(
    officer_client: Client, visitor: Any, make_user: Any
) -> None:
    service.set_own_profile(account=visitor, **{k: v for k, v in BUDI.items() if k != "relation"})
    right = {**MOTHER, "full_name": "Budi Santoso", "sex": "M"}
    right["nik"] = make_nik(born=MOTHER["birth_date"], sex="M", serial=62)
    register_resident(**right)

    answer = officer_client.post(
        "/petugas/identitas/koreksi/",
        {
            "current_nik": BUDI["nik"],
            "nik": right["nik"],
            "full_name": right["full_name"],
            "birth_date": right["birth_date"].isoformat(),
            "sex": "M",
            "reason": "NIK tertukar dengan saudara",
        },
    )

    assert answer.status_code == 302, answer.content.decode()[:2000]
    row = AuditEvent.objects.get(action="people.identity_corrected")
    assert row.detail["old_nik_masked"] != row.detail["new_nik_masked"]
