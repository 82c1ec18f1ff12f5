"""Planning and recording inspections, sanctions and their audit rows, re-inspections,
photos, and who sees what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.checkins.models import VenueOccupancy
from jejak.inspections import service
from jejak.inspections.closures import closure_at
from jejak.inspections.errors import InspectionError
from jejak.inspections.models import Closure, Inspection, InspectionStatus
from jejak.inspections.tests.conftest import all_pass, image_file
from jejak.venues.access import VenueNotFound, access_venue
from jejak.venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def plan(officer, venue, days=0):
    return service.do_plan_inspection(
        actor=officer, venue=venue, planned_for=TODAY() + dt.timedelta(days=days)
    )


def test_officer_plans_and_records_with_the_live_crowd(officer, hotel):
    VenueOccupancy.objects.create(venue=hotel, inside=37)
    planned = plan(officer, hotel)
    done = service.do_record_inspection(
        actor=officer,
        inspection=planned,
        checklist=all_pass(visitors_scanned="fail"),
        findings="Pintu selatan tanpa petugas",
        photos=[image_file()],
    )
    assert done.status == InspectionStatus.DONE and done.inspector == officer
    assert (done.occupancy_inside, done.occupancy_capacity) == (37, 100)
    assert [c.item for c in done.failed_items] == ["visitors_scanned"]
    assert done.photos.count() == 1
    assert done.photos.get().image.name.startswith("inspections/")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["inspections.planned", "inspections.recorded"]


def test_written_warning_and_closure_are_audited(officer, hotel):
    now = timezone.now()
    warned = service.do_record_inspection(
        actor=officer,
        inspection=plan(officer, hotel),
        checklist=all_pass(poster_every_entrance="fail"),
        sanction="written_warning",
    )
    event = AuditEvent.objects.get(action="inspections.sanction_imposed")
    assert event.object_id == str(warned.pk)
    assert event.detail == {"venue": "HOTEL-CSD", "sanction": "written_warning"}

    starts, ends = now + dt.timedelta(hours=1), now + dt.timedelta(days=3)
    closed = service.do_record_inspection(
        actor=officer,
        inspection=plan(officer, hotel),
        checklist=all_pass(capacity_and_hours="fail"),
        sanction="temporary_closure",
        closure_starts_at=starts,
        closure_ends_at=ends,
        findings="Melebihi kapasitas",
    )
    closure = Closure.objects.get(inspection=closed)
    assert (closure.venue, closure.starts_at, closure.ends_at) == (hotel, starts, ends)
    assert closure_at(hotel.pk, now + dt.timedelta(hours=2)) == closure
    last = AuditEvent.objects.filter(action="inspections.sanction_imposed").latest("id")
    assert last.detail["closure"] == closure.pk and last.detail["ends_at"] == ends.isoformat()

    service.do_lift_closure(actor=officer, closure=closure, reason="Sudah patuh")
    assert closure_at(hotel.pk, now + dt.timedelta(hours=2)) is None
    assert AuditEvent.objects.filter(action="inspections.closure_lifted").count() == 1


def test_the_venue_managers_are_told_of_a_sanction(officer, hotel, manager, client):
    """Issue 18, defect 9: the manager hears of a closure from Jejak, not from the door."""
    from jejak.notifications.models import Message

    now = timezone.now()
    service.do_record_inspection(
        actor=officer,
        inspection=plan(officer, hotel),
        checklist=all_pass(capacity_and_hours="fail"),
        sanction="temporary_closure",
        closure_starts_at=now - dt.timedelta(minutes=1),
        closure_ends_at=now + dt.timedelta(days=2),
        findings="Melebihi kapasitas",
    )
    [message] = Message.objects.filter(to_user=manager, template="venue_sanction", channel="inapp")
    assert "Penutupan sementara" in message.subject
    assert "ditutup sementara" in message.body and "Melebihi kapasitas" in message.body
    # The console says so too, as long as the closure lasts.
    client.force_login(manager)
    page = client.get(f"/tempat/{hotel.short_code}/").content.decode()
    assert 'id="venue-closed"' in page and "Melebihi kapasitas" in page


def test_the_sanction_is_named_in_the_managers_language_not_the_inspectors(officer, hotel, manager):
    """Issue 18, item 13: an inspector using the English pages must not put English into
    the manager's Indonesian message."""
    from jejak.notifications.models import Message

    with translation.override("en"):
        service.do_record_inspection(
            actor=officer,
            inspection=plan(officer, hotel),
            checklist=all_pass(poster_every_entrance="fail"),
            sanction="written_warning",
        )
    [message] = Message.objects.filter(to_user=manager, template="venue_sanction", channel="inapp")
    assert message.language == "id"
    assert "Teguran tertulis" in message.subject and "Teguran tertulis" in message.body
    assert "Written warning" not in message.subject + message.body


@pytest.mark.parametrize(
    ("starts", "ends", "code"),
    [
        (None, None, "closure_period_required"),
        (2, 1, "closure_period_invalid"),
        (-48, -24, "closure_period_invalid"),
        (0, 24 * 91, "closure_too_long"),
    ],
)
def test_closure_period_is_checked(officer, hotel, starts, ends, code):
    now = timezone.now()

    def moment(hours):
        return None if hours is None else now + dt.timedelta(hours=hours)

    with pytest.raises(InspectionError) as refused:
        service.do_record_inspection(
            actor=officer,
            inspection=plan(officer, hotel),
            checklist=all_pass(),
            sanction="temporary_closure",
            closure_starts_at=moment(starts),
            closure_ends_at=moment(ends),
        )
    assert refused.value.code == code
    assert not Closure.objects.exists()


def test_checklist_must_be_complete_and_recorded_once(officer, hotel):
    planned = plan(officer, hotel)
    incomplete = all_pass()
    incomplete.pop("health_protocol")
    with pytest.raises(InspectionError) as missing:
        service.do_record_inspection(actor=officer, inspection=planned, checklist=incomplete)
    assert missing.value.code == "invalid_checklist"
    with pytest.raises(InspectionError) as bad:
        service.do_record_inspection(
            actor=officer, inspection=planned, checklist=all_pass(health_protocol="maybe")
        )
    assert bad.value.code == "invalid_checklist"
    service.do_record_inspection(actor=officer, inspection=planned, checklist=all_pass())
    with pytest.raises(InspectionError) as again:
        service.do_record_inspection(actor=officer, inspection=planned, checklist=all_pass())
    assert again.value.code == "already_recorded"


def test_reinspection_is_planned_from_a_finding(officer, hotel):
    first = plan(officer, hotel)
    with pytest.raises(InspectionError) as early:
        service.do_schedule_reinspection(actor=officer, inspection=first, planned_for=TODAY())
    assert early.value.code == "not_recorded"
    first = service.do_record_inspection(
        actor=officer, inspection=first, checklist=all_pass(health_protocol="fail")
    )
    again = service.do_schedule_reinspection(
        actor=officer, inspection=first, planned_for=TODAY() + dt.timedelta(days=7)
    )
    assert again.previous == first and again.status == InspectionStatus.PLANNED
    assert again.venue == hotel and list(first.reinspections.all()) == [again]
    with pytest.raises(InspectionError) as past:
        service.do_schedule_reinspection(
            actor=officer, inspection=first, planned_for=TODAY() - dt.timedelta(days=1)
        )
    assert past.value.code == "date_in_past"


def test_only_enforcement_officers_record(make_user, city, hotel, officer):
    planned = plan(officer, hotel)
    for role in (Role.CITY_ADMIN, Role.AGENCY_OFFICER, Role.VENUE_MANAGER, Role.HEALTH_OFFICER):
        user = make_user(role, region=city)
        with pytest.raises(PermissionDenied):
            service.do_plan_inspection(actor=user, venue=hotel, planned_for=TODAY())
        with pytest.raises(PermissionDenied):
            service.do_record_inspection(actor=user, inspection=planned, checklist=all_pass())


def test_officers_see_only_their_region(make_user, other_city, officer, hotel):
    planned = plan(officer, hotel)
    elsewhere = make_user(Role.ENFORCEMENT_OFFICER, region=other_city)
    assert not service.inspections_visible_to(elsewhere).exists()
    with pytest.raises(InspectionError) as hidden:
        service.access_inspection(elsewhere, planned.pk)
    assert hidden.value.code == "inspection_not_found"
    with pytest.raises(VenueNotFound):
        access_venue(elsewhere, hotel.short_code)


# --- photos -------------------------------------------------------------------------------


def test_photo_validation(monkeypatch):
    service.check_photo(image_file())
    service.check_photo(image_file("foto.jpg", "JPEG"))
    service.check_photo(image_file("foto.webp", "WEBP"))
    fake = SimpleUploadedFile("foto.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(InspectionError) as not_image:
        service.check_photo(fake)
    assert not_image.value.code == "photo_invalid"
    with pytest.raises(InspectionError) as gif:
        service.check_photo(image_file("foto.gif", "GIF"))
    assert gif.value.code == "photo_invalid"
    monkeypatch.setattr(service, "MAX_PHOTO_BYTES", 100)
    with pytest.raises(InspectionError) as large:
        service.check_photo(image_file(size=(200, 200)))
    assert large.value.code == "photo_too_large"


def test_a_bad_photo_refuses_the_whole_record(officer, hotel):
    planned = plan(officer, hotel)
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(InspectionError):
        service.do_record_inspection(
            actor=officer, inspection=planned, checklist=all_pass(), photos=[fake]
        )
    planned.refresh_from_db()
    assert planned.status == InspectionStatus.PLANNED


# --- the venue manager ------------------------------------------------------------------


def test_manager_sees_recorded_findings_of_own_venue_only(
    officer, hotel, manager, city, client_for
):
    other = VenueFactory(short_code="HOTEL-LAIN", region=city.children.first())
    mine = service.do_record_inspection(
        actor=officer,
        inspection=plan(officer, hotel),
        checklist=all_pass(visitors_scanned="fail"),
        findings="Temuan di hotel kami",
        sanction="verbal_warning",
        photos=[image_file()],
    )
    plan(officer, hotel, days=3)  # an unannounced visit: never shown to the manager
    service.do_record_inspection(
        actor=officer,
        inspection=plan(officer, other),
        checklist=all_pass(),
        findings="Temuan di hotel lain",
    )
    assert list(service.venue_findings(user=manager, venue=hotel)) == [mine]

    from django.test import Client

    c = Client()
    c.force_login(manager)
    page = c.get("/pemeriksaan/tempat/HOTEL-CSD/").content.decode()
    assert "Temuan di hotel kami" in page and "Teguran lisan" in page
    assert "Temuan di hotel lain" not in page
    assert c.get("/pemeriksaan/tempat/HOTEL-LAIN/").status_code == 404
    photo = mine.photos.get()
    assert c.get(f"/pemeriksaan/tempat/HOTEL-CSD/foto/{photo.pk}/").status_code == 200
    # The officers' pages (plans included) stay closed to the manager.
    assert c.get("/pemeriksaan/").status_code == 403
    assert c.get(f"/pemeriksaan/{mine.pk}/").status_code == 403
    api = c.get("/api/v1/inspections/venues/HOTEL-CSD/findings").json()
    assert [i["id"] for i in api] == [mine.pk] and api[0]["sanction"] == "verbal_warning"
    assert c.get("/api/v1/inspections").status_code == 403
    assert c.get("/pemeriksaan/tempat/").status_code == 302  # one venue: straight in


def test_venue_staff_do_not_see_findings(make_user, hotel, client_for):
    staff = client_for(Role.VENUE_STAFF, venues=[hotel])
    assert staff.get("/pemeriksaan/tempat/HOTEL-CSD/").status_code == 403


# --- pages and API --------------------------------------------------------------------------


def test_record_through_the_page(officer, hotel):
    from django.test import Client

    c = Client()
    c.force_login(officer)
    response = c.post("/pemeriksaan/", {"venue": "hotel-csd", "planned_for": TODAY().isoformat()})
    planned = Inspection.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{planned.pk}/")
    form = {f"check_{item}": a.result for item, a in all_pass(health_protocol="fail").items()}
    now = timezone.localtime()
    form |= {
        "findings": "Tanpa masker",
        "sanction": "temporary_closure",
        "closure_starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closure_ends_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "photos": [image_file(), image_file("b.jpg", "JPEG")],
    }
    assert c.post(f"/pemeriksaan/{planned.pk}/", form).status_code == 302
    planned.refresh_from_db()
    assert planned.status == "done" and planned.photos.count() == 2
    assert Closure.objects.get().inspection == planned
    page = c.get(f"/pemeriksaan/{planned.pk}/").content.decode()
    assert "Tanpa masker" in page and "Penutupan sementara" in page
    again = c.post(
        f"/pemeriksaan/{planned.pk}/ulang/",
        {"planned_for": (TODAY() + dt.timedelta(days=2)).isoformat()},
    )
    assert again.status_code == 302
    assert Inspection.objects.filter(previous=planned).count() == 1


def test_api_plan_record_and_photos(officer, hotel):
    from django.test import Client

    c = Client()
    c.force_login(officer)
    made = c.post(
        "/api/v1/inspections",
        {"venue": "HOTEL-CSD", "planned_for": TODAY().isoformat()},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    checklist = {k: {"result": a.result} for k, a in all_pass().items()}
    recorded = c.post(
        f"/api/v1/inspections/{pk}/record",
        {"checklist": checklist, "sanction": "verbal_warning", "findings": "ok"},
        content_type="application/json",
    )
    assert recorded.status_code == 200, recorded.content
    body = recorded.json()
    assert body["status"] == "done" and len(body["checks"]) == 5
    assert body["occupancy_inside"] == 0
    twice = c.post(
        f"/api/v1/inspections/{pk}/record",
        {"checklist": checklist},
        content_type="application/json",
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "already_recorded")
    photos = c.post(f"/api/v1/inspections/{pk}/photos", {"photos": [image_file()]})
    assert photos.status_code == 201 and photos.json()["photos"] == 1
    bad = c.post(
        f"/api/v1/inspections/{pk}/photos",
        {"photos": [SimpleUploadedFile("a.png", b"nope", content_type="image/png")]},
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "photo_invalid")
    missing = c.get("/api/v1/inspections/999999")
    assert (missing.status_code, missing.json()["code"]) == (404, "inspection_not_found")
