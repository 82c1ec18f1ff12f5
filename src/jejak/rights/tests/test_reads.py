from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.models import User
from jejak.people.models import Person
from jejak.people.tests.factories import BUDI
from jejak.rights.models import ExportRequest
from jejak.rights.tests.conftest import OFFICER_USERNAME

pytestmark = pytest.mark.django_db


def test_reads_name_the_role_and_purpose_never_the_officer(
    budi_client: Client, read_by_officer: None, officer: User
) -> None:
    body = budi_client.get("/api/v1/me/reads").json()

    assert body["total"] == 1
    assert body["next_offset"] is None
    (read,) = body["reads"]
    assert read["person_name"] == BUDI["full_name"]
    assert read["role"] == "Petugas kesehatan"
    assert read["purpose"] == "Penelusuran kontak kasus terkonfirmasi"
    assert read["organisation"]
    text = str(body)
    assert OFFICER_USERNAME not in text
    assert f"'actor': {officer.pk}" not in text


def test_reads_are_per_person_and_paginated(
    budi: User, budi_client: Client, read_by_officer: None
) -> None:
    son = Person.objects.get(account=budi, relation="child")
    assert budi_client.get(f"/api/v1/me/reads?person={son.public_id}").json()["total"] == 0
    first = budi_client.get("/api/v1/me/reads?limit=1&offset=0").json()
    assert len(first["reads"]) == 1


def test_another_visitor_sees_only_her_own_reads(dewi: User, read_by_officer: None) -> None:
    client = Client()
    client.force_login(dewi)
    body = client.get("/api/v1/me/reads").json()
    assert body["total"] == 1
    assert body["reads"][0]["purpose_code"] == "status_check"
    assert BUDI["full_name"] not in str(body)


def test_the_reads_page(budi_client: Client, read_by_officer: None) -> None:
    page = budi_client.get("/saya/data/dibaca/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Penelusuran kontak kasus terkonfirmasi" in text
    assert "Petugas kesehatan" in text
    assert OFFICER_USERNAME not in text


def test_the_data_page_asks_follows_and_downloads(
    budi: User, budi_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    page = budi_client.get("/saya/data/")
    assert page.status_code == 200
    assert "Unduh data saya (JSON)" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        asked = budi_client.post("/saya/data/minta/", {"format": "pdf"})
    assert asked.status_code == 302
    page = budi_client.get("/saya/data/").content.decode()
    assert "/saya/data/unduh/" in page
    link = page.split('href="/saya/data/unduh/')[1].split('"')[0]
    got = budi_client.get(f"/saya/data/unduh/{link}")
    assert got.status_code == 200
    assert got["Content-Type"] == "application/pdf"


def test_the_home_links_to_the_data_page(budi_client: Client) -> None:
    assert "/saya/data/" in budi_client.get("/saya/").content.decode()


def test_an_expired_link_on_the_page_answers_410(
    budi: User, budi_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        budi_client.post("/saya/data/minta/", {"format": "json"})
    found = ExportRequest.objects.get(account=budi)
    ExportRequest.objects.filter(pk=found.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    gone = budi_client.get(f"/saya/data/unduh/{found.public_id}/")
    assert gone.status_code == 410
    assert "Minta salinan baru" in gone.content.decode()
    assert "Kedaluwarsa" in budi_client.get("/saya/data/").content.decode()
