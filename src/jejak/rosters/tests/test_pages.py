"""The roster page of the venue console and its JSON API: only the venue's managers."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.rosters.models import RosterEntry
from jejak.rosters.tests.conftest import nik

pytestmark = pytest.mark.django_db

PAGE = "/tempat/PUSPEM-UJI/karyawan/"
API = "/api/v1/rosters/venues/PUSPEM-UJI/entries"


def test_a_manager_adds_and_ends_an_entry(manager_client, hall, manager):
    response = manager_client.post(
        PAGE, {"phone": "0812-3456-7890", "nik": "", "role": "Satpam", "valid_from": ""}
    )
    assert response.status_code == 302
    entry = RosterEntry.objects.get()
    assert (entry.venue, entry.phone_masked, entry.created_by) == (hall, "+62812****7890", manager)
    html = manager_client.get(PAGE).content.decode()
    assert "+62812****7890" in html and "Satpam" in html and "81234567890" not in html
    response = manager_client.post(f"{PAGE}{entry.pk}/akhiri/")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.ended_at is not None and entry.ended_by == manager


def test_an_invalid_entry_shows_the_reason_on_its_field(manager_client, hall):
    response = manager_client.post(PAGE, {"phone": "12345", "role": "Satpam"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not RosterEntry.objects.exists()


def test_the_console_manage_page_links_to_the_roster(manager_client, hall):
    html = manager_client.get("/tempat/PUSPEM-UJI/kelola/").content.decode()
    assert f'href="{PAGE}"' in html


def test_a_csv_import_through_the_page(manager_client, hall):
    good = SimpleUploadedFile("staf.csv", f"nik,role\n{nik(1)},Kasir\n{nik(2)},Satpam\n".encode())
    response = manager_client.post(f"{PAGE}impor/", {"file": good})
    assert response.status_code == 302
    assert RosterEntry.objects.count() == 2


def test_a_csv_import_with_errors_shows_the_report_and_saves_nothing(manager_client, hall):
    bad = SimpleUploadedFile("staf.csv", f"nik,role\n{nik(1)},Kasir\n123,Satpam\n".encode())
    response = manager_client.post(f"{PAGE}impor/", {"file": bad})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-errors"' in html and "<td>3</td>" in html and "nik_invalid" in html
    assert not RosterEntry.objects.exists()


def test_a_manager_of_another_venue_cannot_see_or_edit_the_roster(
    make_user, hall, other_hall, manager_client
):
    entry = RosterEntry.objects.create(
        venue=hall,
        nik_index="x" * 64,
        nik_masked="3671********0001",
        role="Satpam",
        valid_from="2021-10-01",
    )
    outsider = Client()
    outsider.force_login(make_user(Role.VENUE_MANAGER, venues=[other_hall]))
    assert outsider.get(PAGE).status_code == 404
    assert outsider.post(PAGE, {"nik": nik(), "role": "Satpam"}).status_code == 404
    assert outsider.post(f"{PAGE}{entry.pk}/akhiri/").status_code == 404
    upload = SimpleUploadedFile("staf.csv", f"nik,role\n{nik(5)},Kasir\n".encode())
    assert outsider.post(f"{PAGE}impor/", {"file": upload}).status_code == 404
    # Their own console cannot end this venue's entry either.
    assert outsider.post(f"/tempat/GEDUNG-LAIN/karyawan/{entry.pk}/akhiri/").status_code == 404
    assert outsider.get(API).status_code == 404
    assert (
        outsider.post(
            API, json.dumps({"nik": nik(), "role": "Satpam"}), content_type="application/json"
        ).json()["code"]
        == "venue_not_found"
    )
    entry.refresh_from_db()
    assert entry.ended_at is None and RosterEntry.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="rosters.").exists()


def test_venue_staff_cannot_manage_the_roster(make_user, hall):
    staff = Client()
    staff.force_login(make_user(Role.VENUE_STAFF, venues=[hall]))
    assert staff.get(PAGE).status_code == 403
    assert staff.get(API).status_code == 403


def test_the_api_lists_adds_and_ends_entries(manager_client, hall):
    added = manager_client.post(
        API,
        json.dumps({"nik": nik(4), "role": "Kasir", "valid_until": "2030-01-01"}),
        content_type="application/json",
    )
    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["identifier"], body["role"], body["valid_now"]) == ("nik", "Kasir", True)
    assert body["masked"].endswith("0004") and nik(4) not in added.content.decode()
    again = manager_client.post(
        API, json.dumps({"nik": nik(4), "role": "Kasir"}), content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_on_roster")
    invalid = manager_client.post(
        API, json.dumps({"phone": "1", "role": "Kasir"}), content_type="application/json"
    )
    assert (invalid.status_code, invalid.json()["code"]) == (400, "phone_invalid")
    added_rows = AuditEvent.objects.filter(action="rosters.entry_added")
    assert [a.detail["source"] for a in added_rows] == ["api"]
    [listed] = manager_client.get(API).json()
    assert listed["id"] == body["id"]
    ended = manager_client.post(f"{API}/{body['id']}/end")
    assert ended.status_code == 200 and ended.json()["valid_now"] is False
    assert manager_client.post(f"{API}/999999/end").json()["code"] == "entry_not_found"
