"""The venue console: who may open it, the live numbers, manual check-in (matching,
refusals, rate limit, audit), black-status alerts, check-out everyone, staff accounts."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.checkins.models import BlackStatusAlert, CheckIn, VenueOccupancy
from jejak.console import service
from jejak.console.errors import ConsoleError
from jejak.console.tests.conftest import identity, logged_in

pytestmark = pytest.mark.django_db

URL = "/tempat/PUSPEM-UJI/"
LIVE = "/api/v1/console/venues/PUSPEM-UJI/live"


def manual(client: Client, hall: Any, colour: str = "hijau", **changes: Any):
    data = {**identity(colour), **changes}
    return client.post(
        f"{URL}manual/",
        {
            "entry_point": hall.entry_points.first().pk,
            "nik": data["nik"],
            "full_name": data["full_name"],
            "birth_date": data["birth_date"].isoformat(),
            "visitor_type": changes.get("visitor_type", "guest"),
            "nonce": str(changes.get("nonce", uuid.uuid4())),
        },
    )


# --- who may open it ------------------------------------------------------------------


def test_staff_open_their_venues_console(staff_client, hall):
    response = staff_client.get(URL)
    assert response.status_code == 200
    assert b'id="inside"' in response.content and b"Puspem Uji" in response.content


def test_a_single_venue_user_lands_on_its_console_from_the_dashboard(staff_client):
    response = staff_client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == URL


def test_a_manager_of_two_venues_chooses_one(make_user, hall, other_hall):
    client = logged_in(make_user(Role.VENUE_MANAGER, venues=[hall, other_hall]))
    response = client.get("/tempat/")
    assert response.status_code == 200
    assert b"/tempat/PUSPEM-UJI/" in response.content
    assert b"/tempat/GEDUNG-LAIN/" in response.content


@pytest.mark.parametrize(
    "path",
    [URL, f"{URL}manual/", f"{URL}keluarkan-semua/", f"{URL}kelola/", LIVE],
)
def test_another_venues_staff_get_404(make_user, other_hall, hall, path):
    client = logged_in(make_user(Role.VENUE_MANAGER, venues=[other_hall]))
    assert client.get(path).status_code == 404


def test_another_venues_staff_cannot_act_on_this_one(make_user, other_hall, hall, make_registered):
    client = logged_in(make_user(Role.VENUE_STAFF, venues=[other_hall]))
    make_registered("hijau")
    assert manual(client, hall).status_code == 404
    assert client.post(f"{URL}keluarkan-semua/").status_code == 404
    assert client.post(f"{URL}peringatan/1/ditangani/").status_code == 404
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("path", [URL, f"{URL}manual/", "/tempat/", LIVE])
def test_visitors_are_refused(client_for, hall, path):
    assert client_for(Role.VISITOR).get(path).status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client, hall):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(LIVE).status_code == 401


def test_staff_do_not_manage_staff_accounts(staff_client, hall):
    assert staff_client.get(f"{URL}kelola/").status_code == 403


# --- live numbers ---------------------------------------------------------------------


def test_live_state_reports_occupancy_and_todays_decisions(
    staff_client, hall, make_registered, django_assert_max_num_queries
):
    make_registered("hijau")
    make_registered("merah")
    assert manual(staff_client, hall, "hijau").status_code == 200
    assert manual(staff_client, hall, "merah").status_code == 200
    with django_assert_max_num_queries(8):
        response = staff_client.get(LIVE)
    state = response.json()
    assert (state["inside"], state["capacity"], state["percent"]) == (1, 100, 1)
    assert state["today"]["decision"] == {
        "allowed": 1,
        "allowed_after_staff_check": 0,
        "denied": 1,
    }
    assert state["today"]["colour"] == {"hijau": 1, "kuning": 0, "merah": 1, "hitam": 0}


# --- manual check-in ------------------------------------------------------------------


def test_a_matching_visitor_is_checked_in_and_staff_see_only_decision_and_colour(
    staff_client, staff, hall, make_registered
):
    person = make_registered("kuning")
    response = manual(staff_client, hall, "kuning")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-decision="allowed_after_staff_check"' in body
    assert 'data-colour="kuning"' in body
    assert person.full_name not in body and person.nik_masked not in body
    checkin = CheckIn.objects.get()
    assert (checkin.person, checkin.venue, checkin.entry_point) == (
        person,
        hall,
        hall.entry_points.first(),
    )
    event = AuditEvent.objects.get(action="console.manual_checkin")
    assert event.actor == staff and event.object_id == str(person.pk)
    assert event.detail["venue"] == "PUSPEM-UJI"
    assert event.detail["outcome"] == "allowed_after_staff_check"
    assert identity("kuning")["nik"] not in json.dumps(event.detail)
    assert event.detail["nik_masked"] == person.nik_masked


def test_names_match_whatever_their_case_spacing_and_punctuation(
    staff_client, hall, make_registered
):
    make_registered("hijau")
    response = manual(staff_client, hall, "hijau", full_name="  BUDI   santoso. ")
    assert 'data-decision="allowed"' in response.content.decode()


@pytest.mark.parametrize(
    "wrong",
    [
        {"full_name": "Budi Susanto"},
        {"birth_date": dt.date(1990, 5, 13)},
        {"nik": "3671011205900099"},  # a valid NIK nobody registered
    ],
    ids=["name", "birth_date", "nik"],
)
def test_any_mismatch_gives_the_same_refusal(staff_client, staff, hall, make_registered, wrong):
    make_registered("hijau")
    response = manual(staff_client, hall, "hijau", **wrong)
    assert response.status_code == 200
    body = response.content.decode()
    # The code for scripts, the sentence for the guard (issue 18, item 13).
    assert 'data-code="identity_mismatch"' in body and "<code>" not in body
    assert "Data tidak cocok dengan data terdaftar." in body
    assert "data-colour" not in body and "data-decision" not in body
    assert not CheckIn.objects.exists()
    event = AuditEvent.objects.get(action="console.manual_checkin")
    assert event.actor == staff and event.detail["outcome"] == "mismatch"
    assert event.object_id == ""


def test_mismatch_refusals_are_identical_whichever_field_was_wrong(
    staff_client, hall, make_registered
):
    make_registered("hijau")

    def refusal(**wrong: Any) -> str:
        body = manual(staff_client, hall, "hijau", **wrong).content.decode()
        start = body.index('id="manual-result"')
        return body[start : body.index("</div>", start)]

    assert (
        refusal(full_name="Budi Susanto")
        == refusal(birth_date=dt.date(1990, 5, 13))
        == refusal(nik="3671011205900099")
    )


def test_a_malformed_nik_is_a_form_error_and_not_counted(staff_client, hall):
    response = manual(staff_client, hall, "hijau", nik="12345")
    assert response.status_code == 200
    assert "NIK terdiri dari 16 angka." in response.content.decode()
    assert not AuditEvent.objects.filter(action="console.manual_checkin").exists()


def test_the_same_form_submitted_twice_is_one_check_in(staff_client, hall, make_registered):
    make_registered("hijau")
    nonce = uuid.uuid4()
    first = manual(staff_client, hall, "hijau", nonce=nonce)
    again = manual(staff_client, hall, "hijau", nonce=nonce)
    assert 'data-decision="allowed"' in first.content.decode()
    assert 'data-decision="allowed"' in again.content.decode()
    assert CheckIn.objects.count() == 1


def test_black_status_is_denied_with_an_alert(staff_client, hall, make_registered):
    make_registered("hitam")
    response = manual(staff_client, hall, "hitam")
    body = response.content.decode()
    assert 'data-decision="denied"' in body and 'data-colour="hitam"' in body
    assert BlackStatusAlert.objects.filter(venue=hall).count() == 1


def test_manual_check_ins_are_rate_limited_per_staff_account(
    settings, staff, hall, make_registered, make_user
):
    settings.JEJAK_MANUAL_CHECKINS_PER_MINUTE = 2
    make_registered("hijau")
    entry_point = hall.entry_points.first()
    now = timezone.now()

    def attempt(by: Any, at: dt.datetime, **wrong: Any) -> Any:
        data = {**identity("hijau"), **wrong}
        return service.do_manual_checkin(
            staff=by,
            entry_point=entry_point,
            visitor_type="guest",
            nonce=uuid.uuid4(),
            now=at,
            **data,
        )

    for _ in range(2):  # refusals count too: guessing is what the limit is for
        with pytest.raises(ConsoleError):
            attempt(staff, now, full_name="Orang Lain")
    with pytest.raises(ConsoleError) as refused:
        attempt(staff, now)
    assert refused.value.code == "too_many_manual_checkins"
    assert refused.value.http_status == 429
    assert AuditEvent.objects.filter(action="console.manual_checkin_limited").count() == 1
    # Another staff account has its own allowance; the first gets it back a minute later.
    colleague = make_user(Role.VENUE_STAFF, venues=[hall])
    with pytest.raises(ConsoleError) as mismatch:
        attempt(colleague, now, full_name="Orang Lain")
    assert mismatch.value.code == "identity_mismatch"
    later = now + dt.timedelta(seconds=61)
    assert attempt(staff, later).decision == "allowed"


def test_the_rate_limit_answers_429_on_the_page(settings, staff_client, hall, make_registered):
    settings.JEJAK_MANUAL_CHECKINS_PER_MINUTE = 1
    make_registered("hijau")
    assert manual(staff_client, hall, "hijau").status_code == 200
    response = manual(staff_client, hall, "hijau")
    assert "too_many_manual_checkins" in response.content.decode()


# --- black-status alerts --------------------------------------------------------------


def test_alerts_show_colour_time_and_entrance_but_no_person(
    staff_client, staff, hall, make_registered
):
    person = make_registered("hitam")
    manual(staff_client, hall, "hitam")
    state = staff_client.get(LIVE).json()
    [alert] = state["alerts"]
    assert alert["colour"] == "hitam" and alert["entry_point"] == "Pintu Utara"
    assert not alert["acknowledged"]
    for text in (staff_client.get(LIVE).content.decode(), staff_client.get(URL).content.decode()):
        assert person.full_name not in text and person.nik_masked not in text
        assert identity("hitam")["nik"] not in text


def test_acknowledging_an_alert_records_who_and_when_once(
    staff_client, staff, hall, make_registered, make_user
):
    make_registered("hitam")
    manual(staff_client, hall, "hitam")
    alert = BlackStatusAlert.objects.get()
    response = staff_client.post(f"{URL}peringatan/{alert.pk}/ditangani/")
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == staff and alert.acknowledged_at is not None
    first = alert.acknowledged_at
    colleague = logged_in(make_user(Role.VENUE_STAFF, venues=[hall]))
    colleague.post(f"{URL}peringatan/{alert.pk}/ditangani/")
    alert.refresh_from_db()
    assert alert.acknowledged_by == staff and alert.acknowledged_at == first
    [event] = AuditEvent.objects.filter(action="console.alert_acknowledged")
    assert event.actor == staff and event.object_id == str(alert.pk)
    assert staff_client.get(LIVE).json()["alerts"][0]["acknowledged"] is True


def test_an_alert_of_another_venue_is_404(staff_client, hall, other_hall, make_registered):
    other = make_registered("hitam")
    other_staff = Client()
    from jejak.accounts.tests.factories import UserFactory

    user = UserFactory(role=Role.VENUE_STAFF)
    user.venues.set([other_hall])
    other_staff.force_login(user)
    other_staff.post(
        "/tempat/GEDUNG-LAIN/manual/",
        {
            "entry_point": other_hall.entry_points.first().pk,
            **{k: str(v) for k, v in identity("hitam").items()},
            "visitor_type": "guest",
            "nonce": str(uuid.uuid4()),
        },
    )
    alert = BlackStatusAlert.objects.get(checkin__person=other)
    assert staff_client.post(f"{URL}peringatan/{alert.pk}/ditangani/").status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


# --- check out everyone ---------------------------------------------------------------


def test_check_out_everyone_asks_then_empties_the_venue(staff_client, staff, hall, make_registered):
    make_registered("hijau")
    manual(staff_client, hall, "hijau")
    confirm = staff_client.get(f"{URL}keluarkan-semua/")
    assert confirm.status_code == 200 and b"1 orang" in confirm.content
    response = staff_client.post(f"{URL}keluarkan-semua/")
    assert response.status_code == 302
    assert VenueOccupancy.objects.get(venue=hall).inside == 0
    assert CheckIn.objects.get().checkout_method == "staff_all"
    event = AuditEvent.objects.get(action="checkins.checked_out_everyone")
    assert event.actor == staff and event.detail["count"] == 1


# --- staff accounts -------------------------------------------------------------------


def test_a_manager_adds_a_staff_account_for_the_venue(manager_client, manager, hall):
    response = manager_client.post(
        f"{URL}kelola/",
        {
            "username": "pintu.utara",
            "full_name": "Rina Pintu",
            "phone": "0812 1111 2222",
            "password": "gerbang-utara-2021",
        },
    )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="pintu.utara")
    assert user.role == Role.VENUE_STAFF and list(user.venues.all()) == [hall]
    assert user.check_password("gerbang-utara-2021") and user.is_active
    event = AuditEvent.objects.get(action="console.staff_added")
    assert event.actor == manager and event.object_id == str(user.pk)
    assert "gerbang-utara-2021" not in json.dumps(event.detail)
    page = manager_client.get(f"{URL}kelola/").content.decode()
    assert "pintu.utara" in page and "Rina Pintu" in page


def test_a_weak_password_or_taken_username_is_refused(manager_client, staff, hall):
    response = manager_client.post(
        f"{URL}kelola/",
        {"username": staff.username, "full_name": "X", "password": "123"},
    )
    assert response.status_code == 200
    assert "Nama pengguna sudah dipakai." in response.content.decode()
    assert not AuditEvent.objects.filter(action="console.staff_added").exists()


def test_a_manager_deactivates_and_reactivates_staff(manager_client, manager, staff, hall):
    response = manager_client.post(f"{URL}staf/{staff.pk}/aktif/", {"active": "0"})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert not staff.is_active
    assert AuditEvent.objects.get(action="console.staff_deactivated").actor == manager
    # A deactivated account's session no longer works.
    assert logged_in(staff).get(URL).status_code == 302
    manager_client.post(f"{URL}staf/{staff.pk}/aktif/", {"active": "1"})
    staff.refresh_from_db()
    assert staff.is_active
    assert AuditEvent.objects.filter(action="console.staff_reactivated").count() == 1


def test_staff_who_also_work_elsewhere_only_lose_this_venue(
    manager_client, make_user, hall, other_hall
):
    shared = make_user(Role.VENUE_STAFF, venues=[hall, other_hall])
    manager_client.post(f"{URL}staf/{shared.pk}/aktif/", {"active": "0"})
    shared.refresh_from_db()
    assert shared.is_active and list(shared.venues.all()) == [other_hall]
    assert AuditEvent.objects.filter(action="console.staff_removed").count() == 1


def test_a_manager_cannot_touch_other_accounts(
    manager_client, make_user, hall, other_hall, manager
):
    elsewhere = make_user(Role.VENUE_STAFF, venues=[other_hall])
    colleague_manager = make_user(Role.VENUE_MANAGER, venues=[hall])
    for target in (elsewhere, colleague_manager, manager):
        response = manager_client.post(f"{URL}staf/{target.pk}/aktif/", {"active": "0"})
        assert response.status_code == 404
        target.refresh_from_db()
        assert target.is_active


def test_a_suspended_venue_refuses_manual_check_ins(staff_client, staff, hall, make_registered):
    from jejak.venues.workflow import do_transition

    make_registered("hijau")
    do_transition(venue=hall, action="suspend", actor=None, reason="Pelanggaran prokes")
    body = manual(staff_client, hall, "hijau").content.decode()
    assert "checkin_refused" in body and "data-decision" not in body
    assert not CheckIn.objects.exists()
    event = AuditEvent.objects.get(action="console.manual_checkin")
    assert (event.detail["outcome"], event.detail["code"]) == ("refused", "qr_suspended")


def test_the_manual_answer_is_coloured_by_the_decision(staff_client, hall, make_registered):
    """Issue 18: a hitam visitor's card is red (refused) with the black status beneath."""
    from jejak.console.tests.conftest import post_manual

    make_registered("hitam")
    body = post_manual(staff_client, hall, "hitam").content.decode()
    start = body.index('id="manual-result"')
    card = body[body.rindex("<div", 0, start) : body.index("</div>", start)]
    assert 'class="console-result merah"' in card
    assert "visit-chip visit-hitam" in card
