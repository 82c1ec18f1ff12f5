"""The staff pages: only MANAGE_BREACHES callers (the issuer) get in; each action is one
service call, audited."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jejak.accounts.capabilities import ROLE_CAPABILITIES, Cap
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.breaches.models import Breach, BreachStatus
from jejak.breaches.tests.factories import breach, checkin, visitor
from jejak.notifications.models import Message
from jejak.venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issuer_client(issuer):
    c = Client()
    c.force_login(issuer)
    return c


def test_only_the_issuer_holds_manage_breaches():
    holders = {role for role, caps in ROLE_CAPABILITIES.items() if Cap.MANAGE_BREACHES in caps}
    assert holders == {Role.ISSUER}


@pytest.mark.parametrize(
    "role", [Role.CITY_ADMIN, Role.HEALTH_OFFICER, Role.VENUE_MANAGER, Role.VISITOR]
)
def test_other_roles_are_refused_everywhere(role, client_for, city):
    b = breach()
    c = client_for(role, region=city if role in (Role.CITY_ADMIN, Role.HEALTH_OFFICER) else None)
    for name, method in (
        ("breach_list", "get"),
        ("breach_create", "get"),
        ("breach_detail", "get"),
        ("breach_edit", "get"),
        ("breach_report", "get"),
        ("breach_select", "post"),
        ("breach_draft", "post"),
        ("breach_send", "post"),
        ("breach_reported", "post"),
        ("breach_close", "post"),
    ):
        kwargs = {} if name in ("breach_list", "breach_create") else {"public_id": b.public_id}
        answer = getattr(c, method)(reverse(name, kwargs=kwargs), {"all_accounts": "on"})
        assert answer.status_code == 403, name
    b.refresh_from_db()
    assert b.status == BreachStatus.OPEN and b.reported_to_authority_at is None


def test_anonymous_callers_are_sent_to_sign_in():
    answer = Client().get("/pelindungan-data/insiden/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_an_unknown_breach_is_a_404(issuer_client):
    assert issuer_client.get("/pelindungan-data/insiden/tidakada1234/").status_code == 404


def test_record_select_draft_send_report_close(issuer_client, issuer, city):
    mall = VenueFactory(short_code="MAL-SATU", region=city.children.first())
    for name in ("Ani", "Budi"):
        checkin(visitor(full_name=name), mall, timezone.now() - dt.timedelta(days=1))
    found = timezone.localtime() - dt.timedelta(hours=3)
    created = issuer_client.post(
        "/pelindungan-data/insiden/baru/",
        {
            "title": "Akun petugas dibobol",
            "description": "Sandi petugas bocor; riwayat check-in diunduh.",
            "discovered_at": found.strftime("%Y-%m-%dT%H:%M"),
            "data_classes": ["name", "checkin_history"],
            "measures": "Akun dikunci.",
        },
    )
    b = Breach.objects.get()
    assert created.status_code == 302 and created["Location"].endswith(f"/{b.public_id}/")
    assert b.recorded_by == issuer and b.deadline == b.discovered_at + dt.timedelta(hours=72)
    detail = f"/pelindungan-data/insiden/{b.public_id}/"

    bad = issuer_client.post(f"{detail}pemilihan/", {"venues": "MAL-SATU, GAK-ADA"})
    assert bad.status_code == 400 and "GAK-ADA" in bad.content.decode()
    chosen = issuer_client.post(f"{detail}pemilihan/", {"venues": "mal-satu"})
    assert chosen.status_code == 302
    page = issuer_client.get(detail).content.decode()
    assert "menemukan 2 orang di 2 akun" in page and "sisa 68 jam" in page

    assert issuer_client.post(f"{detail}draf/").status_code == 302
    page = issuer_client.get(detail).content.decode()
    assert "2 orang di 2 akun, 2 dengan nomor telepon; 0 sudah diantrekan" in page

    issuer_client.post(f"{detail}kirim/")
    b.refresh_from_db()
    # No worker in the tests: `jejak run-periodic` sends; the request queued nothing.
    assert b.status == BreachStatus.NOTIFYING and not Message.objects.exists()

    report = issuer_client.get(f"{detail}laporan.pdf")
    assert report.status_code == 200 and report["Content-Type"] == "application/pdf"
    assert report.content.startswith(b"%PDF")

    issuer_client.post(f"{detail}dilaporkan/")
    closing = issuer_client.post(f"{detail}tutup/", follow=True)
    assert "tidak berlaku untuk status insiden" in closing.content.decode()
    b.refresh_from_db()
    assert b.reported_to_authority_at is not None and b.status == BreachStatus.NOTIFYING

    actions = list(
        AuditEvent.objects.filter(object_id=str(b.pk), actor=issuer)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "breaches.recorded",
        "breaches.selection_set",
        "breaches.notices_drafted",
        "breaches.sending_started",
        "breaches.report_generated",
        "breaches.reported_to_authority",
    ]


def test_edit_keeps_what_changed_in_the_audit(issuer_client):
    b = breach(discovered_at=timezone.now().replace(second=0, microsecond=0))
    form = {
        "title": b.title,
        "description": b.description,
        "discovered_at": timezone.localtime(b.discovered_at).strftime("%Y-%m-%dT%H:%M"),
        "data_classes": b.data_classes,
        "cause": b.cause,
        "measures": "Akses ditutup; kunci diganti; pengguna diberi tahu.",
    }
    assert issuer_client.get(f"/pelindungan-data/insiden/{b.public_id}/ubah/").status_code == 200
    answer = issuer_client.post(f"/pelindungan-data/insiden/{b.public_id}/ubah/", form)
    assert answer.status_code == 302
    b.refresh_from_db()
    assert b.measures.endswith("pengguna diberi tahu.")
    assert AuditEvent.objects.get(action="breaches.updated").detail["changed"] == ["measures"]


def test_a_discovery_in_the_future_is_refused(issuer_client):
    answer = issuer_client.post(
        "/pelindungan-data/insiden/baru/",
        {
            "title": "x",
            "description": "y",
            "discovered_at": (timezone.localtime() + dt.timedelta(days=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "data_classes": ["nik"],
        },
    )
    assert answer.status_code == 200 and not Breach.objects.exists()
    assert "tidak boleh di masa depan" in answer.content.decode()
