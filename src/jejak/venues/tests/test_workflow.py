import datetime as dt

import pytest
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.qrcodes.models import QrCode
from jejak.venues.models import VenueStatus, VenueTransition
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import Action, WorkflowError, do_bulk_transition, do_transition

S = VenueStatus


def walk(venue, actor, *actions, reason="karena"):
    for action in actions:
        do_transition(venue=venue, action=action, actor=actor, reason=reason)
    venue.refresh_from_db()
    return venue


def test_full_path_records_who_when_why(venue, issuer, city_admin):
    walk(venue, city_admin, Action.SUBMIT)
    walk(venue, issuer, Action.START_REVIEW, Action.APPROVE, Action.ISSUE)
    walk(venue, city_admin, Action.INSTALL)
    assert venue.status == S.INSTALLED
    steps = list(
        VenueTransition.objects.filter(venue=venue).values_list("from_status", "to_status", "actor")
    )
    assert steps == [
        (S.REGISTERED, S.REQUESTED, city_admin.pk),
        (S.REQUESTED, S.UNDER_REVIEW, issuer.pk),
        (S.UNDER_REVIEW, S.APPROVED, issuer.pk),
        (S.APPROVED, S.ISSUED, issuer.pk),
        (S.ISSUED, S.INSTALLED, city_admin.pk),
    ]
    install = VenueTransition.objects.get(venue=venue, to_status=S.INSTALLED)
    assert install.effective_date == timezone.localdate()
    assert AuditEvent.objects.filter(action="venue.issue", object_id=str(venue.pk)).count() == 1


def test_issue_creates_one_code_per_entry_point(city, issuer):
    venue = VenueFactory(
        region=city, entrances=["Pintu Utara", "Pintu Selatan", "Pintu Timur", "Pintu Barat"]
    )
    walk(venue, issuer, Action.SUBMIT, Action.APPROVE, Action.ISSUE)
    assert QrCode.objects.filter(entry_point__venue=venue, status="active").count() == 4


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ([], Action.APPROVE),  # registered, never requested
        ([], Action.ISSUE),
        ([Action.SUBMIT], Action.ISSUE),  # not approved yet
        ([Action.SUBMIT], Action.INSTALL),
        ([Action.SUBMIT, Action.APPROVE], Action.SUBMIT),
        ([Action.SUBMIT, Action.APPROVE, Action.ISSUE], Action.APPROVE),
        ([Action.SUBMIT, Action.APPROVE, Action.ISSUE], Action.RESUME),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(venue, issuer, start, action):
    walk(venue, issuer, *start)
    before = (venue.status, VenueTransition.objects.count())
    with pytest.raises(WorkflowError) as exc:
        do_transition(venue=venue, action=action, actor=issuer, reason="x")
    assert exc.value.code == "illegal_transition"
    venue.refresh_from_db()
    assert (venue.status, VenueTransition.objects.count()) == before


def test_reject_needs_a_reason_and_can_be_resubmitted(venue, issuer, city_admin):
    walk(venue, city_admin, Action.SUBMIT)
    with pytest.raises(WorkflowError) as exc:
        do_transition(venue=venue, action=Action.REJECT, actor=issuer, reason="  ")
    assert exc.value.code == "reason_required"
    walk(venue, issuer, Action.REJECT, reason="Alamat tidak jelas")
    assert venue.status == S.REJECTED
    assert venue.transitions.last().reason == "Alamat tidak jelas"
    walk(venue, city_admin, Action.SUBMIT)
    assert venue.status == S.REQUESTED


def test_role_without_capability_is_refused(venue, make_user, city, city_admin):
    walk(venue, city_admin, Action.SUBMIT)
    with pytest.raises(WorkflowError) as exc:
        do_transition(venue=venue, action=Action.APPROVE, actor=city_admin)
    assert exc.value.code == "forbidden"
    enforcement = make_user(Role.ENFORCEMENT_OFFICER, region=city)
    with pytest.raises(WorkflowError):
        do_transition(venue=venue, action=Action.SUBMIT, actor=enforcement)


def test_city_admin_cannot_touch_another_citys_venue(other_city, city_admin):
    far = VenueFactory(region=other_city)
    with pytest.raises(WorkflowError) as exc:
        do_transition(venue=far, action=Action.SUBMIT, actor=city_admin)
    assert exc.value.code == "forbidden"


def test_venue_manager_confirms_installation_with_date(venue, issuer, make_user):
    manager = make_user(Role.VENUE_MANAGER, venues=[venue])
    walk(venue, issuer, Action.SUBMIT, Action.APPROVE, Action.ISSUE)
    day = timezone.localdate() - dt.timedelta(days=3)
    do_transition(venue=venue, action=Action.INSTALL, actor=manager, effective_date=day)
    assert venue.transitions.last().effective_date == day
    with pytest.raises(WorkflowError):
        do_transition(venue=venue, action=Action.SUSPEND, actor=manager, reason="x")


def test_installation_date_cannot_be_in_the_future(venue, issuer):
    walk(venue, issuer, Action.SUBMIT, Action.APPROVE, Action.ISSUE)
    with pytest.raises(WorkflowError) as exc:
        do_transition(
            venue=venue,
            action=Action.INSTALL,
            actor=issuer,
            effective_date=timezone.localdate() + dt.timedelta(days=1),
        )
    assert exc.value.code == "date_in_future"


def test_suspend_then_resume_returns_to_previous_status(venue, issuer):
    walk(venue, issuer, Action.SUBMIT, Action.APPROVE, Action.ISSUE, Action.INSTALL, Action.SUSPEND)
    assert venue.status == S.SUSPENDED
    walk(venue, issuer, Action.RESUME)
    assert venue.status == S.INSTALLED


def test_revoke_then_reissue_gives_new_codes(venue, issuer):
    walk(venue, issuer, Action.SUBMIT, Action.APPROVE, Action.ISSUE)
    first = set(QrCode.objects.filter(entry_point__venue=venue).values_list("public_id", flat=True))
    walk(venue, issuer, Action.REVOKE)
    assert not QrCode.objects.filter(entry_point__venue=venue, status="active").exists()
    walk(venue, issuer, Action.REISSUE)
    active = set(
        QrCode.objects.filter(entry_point__venue=venue, status="active").values_list(
            "public_id", flat=True
        )
    )
    assert venue.status == S.ISSUED and active and not active & first


def test_issue_without_entry_points_is_refused(city, issuer):
    venue = VenueFactory(region=city, entrances=[])
    venue.entry_points.all().delete()
    walk(venue, issuer, Action.SUBMIT, Action.APPROVE)
    with pytest.raises(WorkflowError) as exc:
        do_transition(venue=venue, action=Action.ISSUE, actor=issuer)
    assert exc.value.code == "no_entry_points"
    venue.refresh_from_db()
    assert venue.status == S.APPROVED


def test_bulk_reports_each_refusal(city, issuer, city_admin):
    venues = [VenueFactory(region=city) for _ in range(3)]
    do_bulk_transition(venues=venues[:2], action=Action.SUBMIT, actor=city_admin)
    result = do_bulk_transition(venues=venues, action=Action.APPROVE, actor=issuer)
    assert [v.pk for v in result.done] == [venues[0].pk, venues[1].pk]
    assert [(v.pk, e.code) for v, e in result.refused] == [(venues[2].pk, "illegal_transition")]


def test_step_page_shows_refusal_and_history(venue, client_for, city):
    c = client_for(Role.CITY_ADMIN, region=city)
    response = c.post(f"/venues/{venue.short_code}/step/", {"action": "approve"}, follow=True)
    assert "tidak boleh" in response.content.decode()
    response = c.post(f"/venues/{venue.short_code}/step/", {"action": "submit"}, follow=True)
    venue.refresh_from_db()
    assert venue.status == S.REQUESTED
    assert "Diajukan" in response.content.decode()


def test_review_queue_bulk_approve(city, client_for, city_admin):
    venues = [VenueFactory(region=city) for _ in range(3)]
    do_bulk_transition(venues=venues, action=Action.SUBMIT, actor=city_admin)
    c = client_for(Role.ISSUER)
    page = c.get("/venues/review/").content.decode()
    assert all(v.short_code in page for v in venues)
    c.post("/venues/bulk/", {"action": "approve", "venue": [v.short_code for v in venues[:2]]})
    statuses = sorted(
        v.status for v in type(venues[0]).objects.filter(pk__in=[v.pk for v in venues])
    )
    assert statuses == [S.APPROVED, S.APPROVED, S.REQUESTED]


def test_api_transition_codes(venue, client_for, city):
    c = client_for(Role.CITY_ADMIN, region=city)
    url = f"/api/v1/venues/{venue.short_code}/transitions"
    ok = c.post(url, {"action": "submit"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "requested"
    again = c.post(url, {"action": "submit"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    denied = c.post(url, {"action": "approve"}, content_type="application/json")
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    bogus = c.post(url, {"action": "fly"}, content_type="application/json")
    assert bogus.status_code == 400 and bogus.json()["code"] == "unknown_action"


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def test_installation_photo_is_stored_and_served_to_the_venue_only(venue, issuer, client_for, city):
    from django.core.files.uploadedfile import SimpleUploadedFile

    walk(venue, issuer, Action.SUBMIT, Action.APPROVE, Action.ISSUE)
    c = client_for(Role.CITY_ADMIN, region=city)
    photo = SimpleUploadedFile("poster.png", _png(), content_type="image/png")
    c.post(f"/venues/{venue.short_code}/step/", {"action": "install", "photo": photo})
    step = venue.transitions.get(to_status=S.INSTALLED)
    assert step.photo
    url = f"/venues/{venue.short_code}/history/{step.pk}/photo/"
    assert c.get(url).status_code == 200
    stranger = client_for(Role.VENUE_MANAGER)
    assert stranger.get(url).status_code == 404


def test_a_non_image_photo_is_refused(venue, issuer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    walk(venue, issuer, Action.SUBMIT, Action.APPROVE, Action.ISSUE)
    fake = SimpleUploadedFile("x.png", b"<?php evil() ?>", content_type="image/png")
    with pytest.raises(WorkflowError) as exc:
        do_transition(venue=venue, action=Action.INSTALL, actor=issuer, photo=fake)
    assert exc.value.code == "photo_invalid"
    venue.refresh_from_db()
    assert venue.status == S.ISSUED
