from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pypdfium2
import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.models import User
from jejak.audit.models import AuditEvent
from jejak.checkins import periodic
from jejak.people.models import Person
from jejak.people.tests.factories import BUDI, DEWI, RAFI
from jejak.rights import export, service
from jejak.rights.models import ExportRequest, ExportStatus
from jejak.rights.tests.conftest import BUDI_PHONE, OFFICER_USERNAME

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    pages = pypdfium2.PdfDocument(data)
    return " ".join(" ".join(p.get_textpage().get_text_range().split()) for p in pages)


def test_export_holds_the_account_and_its_dependants_and_no_one_else(
    budi: User, dewi: User, read_by_officer: None, officer: User
) -> None:
    document = export.build(budi)
    text = json.dumps(document)

    assert document["schema"] == "jejak.export/1"
    assert document["account"]["phone"] == BUDI_PHONE
    people = {p["full_name"]: p for p in document["people"]}
    assert set(people) == {BUDI["full_name"], RAFI["full_name"]}
    # The owner's own copy: NIKs in full, health records found by the NIK's blind index.
    assert people[BUDI["full_name"]]["nik"] == BUDI["nik"]
    assert people[RAFI["full_name"]]["nik"] == RAFI["nik"]
    assert [d["product"] for d in people[BUDI["full_name"]]["health_records"]["doses"]] == [
        "CoronaVac"
    ]
    assert people[RAFI["full_name"]]["health_records"]["lab_results"][0]["lab"] == (
        "Labkesda Tangerang"
    )
    # Nothing of Dewi's account.
    assert DEWI["nik"] not in text
    assert DEWI["full_name"] not in text
    assert "Sinopharm-Dewi" not in text
    # Who read Budi's data: the role and the purpose, never the officer.
    (read,) = people[BUDI["full_name"]]["reads"]
    assert read["role"] == "Petugas kesehatan"
    assert read["purpose_code"] == "tracing"
    assert people[RAFI["full_name"]]["reads"] == []
    assert OFFICER_USERNAME not in text
    assert str(officer.pk) not in {str(r.get("actor")) for r in people[BUDI["full_name"]]["reads"]}


def test_a_small_json_export_is_answered_at_once_and_audited(budi: User) -> None:
    client = Client()
    client.force_login(budi)

    answer = client.get("/api/v1/me/export")

    assert answer.status_code == 200
    assert answer.json()["people"][0]["nik"] == BUDI["nik"]
    actions = set(AuditEvent.objects.filter(actor=budi).values_list("action", flat=True))
    assert {"rights.export_requested", "rights.export_downloaded"} <= actions


def test_staff_get_no_export(client_for: Any) -> None:
    answer = client_for("health_officer").get("/api/v1/me/export")
    assert answer.status_code == 403
    assert answer.json()["code"] == "visitor_only"


def _queued(client: Client, fmt: str, capture: Any) -> dict[str, Any]:
    with capture(execute=True):
        answer = client.get(f"/api/v1/me/export?format={fmt}")
    assert answer.status_code == 202
    body: dict[str, Any] = answer.json()
    return body


def test_a_large_export_is_built_in_the_background_and_expires(
    budi: User,
    budi_client: Client,
    dewi: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.JEJAK_EXPORT_INLINE_ROWS = 0
    queued = _queued(budi_client, "json", django_capture_on_commit_callbacks)
    assert queued["status"] in {"queued", "ready"}

    status = budi_client.get(f"/api/v1/me/exports/{queued['id']}").json()
    assert status["status"] == "ready"
    assert status["progress"] == 100
    assert status["download_url"].endswith(f"/me/exports/{queued['id']}/download")
    row = ExportRequest.objects.get(public_id=queued["id"])
    assert row.expires_at == row.finished_at + dt.timedelta(hours=24)
    # Stored encrypted, never in clear.
    assert BUDI["nik"].encode() not in bytes(row.content)

    got = budi_client.get(status["download_url"])
    assert got.status_code == 200
    assert got["Content-Type"] == "application/json"
    assert json.loads(got.content)["people"][0]["nik"] == BUDI["nik"]
    assert AuditEvent.objects.filter(
        actor=budi, action="rights.export_downloaded", object_id=str(row.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        actor=budi, action="rights.export_requested", object_id=str(row.pk)
    ).exists()

    # Another account never reaches it.
    other = Client()
    other.force_login(dewi)
    assert other.get(f"/api/v1/me/exports/{queued['id']}").json()["code"] == "export_not_found"
    assert other.get(status["download_url"]).status_code == 404

    # Past its link's life: 410, and the purge drops the content.
    ExportRequest.objects.filter(pk=row.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    gone = budi_client.get(status["download_url"])
    assert gone.status_code == 410
    assert gone.json()["code"] == "export_expired"
    assert service.purge_expired_exports(now=timezone.now(), dry_run=False)["exports_expired"] == 1
    row.refresh_from_db()
    assert row.content is None and row.status == ExportStatus.EXPIRED
    assert budi_client.get(status["download_url"]).status_code == 410
    assert budi_client.get(f"/api/v1/me/exports/{queued['id']}").json()["status"] == "expired"


def test_the_pdf_is_readable_with_a_section_per_person(
    budi: User,
    budi_client: Client,
    read_by_officer: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    queued = _queued(budi_client, "pdf", django_capture_on_commit_callbacks)
    got = budi_client.get(f"/api/v1/me/exports/{queued['id']}/download")

    assert got.status_code == 200
    assert got["Content-Type"] == "application/pdf"
    text = pdf_text(got.content)
    assert BUDI["full_name"] in text and RAFI["full_name"] in text
    assert "Petugas kesehatan" in text
    assert OFFICER_USERNAME not in text


def test_a_failed_build_is_told_and_not_downloadable(
    budi: User, budi_client: Client, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("reportlab broke")

    monkeypatch.setattr("jejak.rights.build.render_pdf", broken)
    queued = _queued(budi_client, "pdf", django_capture_on_commit_callbacks)
    assert budi_client.get(f"/api/v1/me/exports/{queued['id']}").json()["status"] == "failed"
    answer = budi_client.get(f"/api/v1/me/exports/{queued['id']}/download")
    assert answer.status_code == 409
    assert answer.json()["code"] == "export_not_ready"


def test_the_purge_runs_in_run_periodic() -> None:
    assert "retention exports" in {step.name for step in periodic.steps()}


def test_old_expired_rows_are_deleted(budi: User) -> None:
    old = ExportRequest.objects.create(
        account=budi,
        format="json",
        status=ExportStatus.EXPIRED,
        created_at=timezone.now() - dt.timedelta(days=40),
    )
    counts = service.purge_expired_exports(now=timezone.now(), dry_run=True)
    assert counts["exports_deleted"] == 1
    service.purge_expired_exports(now=timezone.now(), dry_run=False)
    assert not ExportRequest.objects.filter(pk=old.pk).exists()
    assert Person.objects.filter(account=budi).count() == 2
