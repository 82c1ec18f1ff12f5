"""The visitor app's pages without a browser: confirmation, the no-script check-in,
the result screen, check-out, history, the scanner's fallback and the app files."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from jejak.checkins.models import CheckIn, CheckInRequest

pytestmark = pytest.mark.django_db


def test_poster_page_asks_a_stranger_to_sign_in_and_come_back(client, mini_demo):
    response = client.get(f"/q/{mini_demo.token}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pusat Pemerintahan Kota Tangerang" in html
    assert "Total Keramaian" in html
    assert "0 / 3000" in html
    assert f"/masuk/?next=%2Fq%2F{mini_demo.token}" in html
    assert 'id="visit-confirm-form"' not in html


def test_poster_page_offers_the_family_to_a_visitor(visitor_client, mini_demo):
    html = visitor_client("hijau").get(f"/q/{mini_demo.token}").content.decode()
    assert 'id="visit-confirm-form"' in html
    assert "Ahmad Hijau" in html and "Nabila Hijau" in html
    assert 'value="self" checked' in html
    assert 'name="visitor_type" value="employee"' in html
    assert '<link rel="manifest"' in html


def test_staff_are_told_check_in_is_for_visitors(client_for, mini_demo):
    html = client_for().get(f"/q/{mini_demo.token}").content.decode()
    assert "hanya untuk akun pengunjung" in html
    assert 'id="visit-confirm-form"' not in html


def post_check_in(client: Client, token: str, nonce: uuid.UUID, **extra: object):
    data = {"qr": token, "nonce": str(nonce), "people": ["self"], "visitor_type": "guest"}
    data.update(extra)
    return client.post("/saya/check-in/", data)


def test_form_without_script_checks_in_once_per_nonce(visitor_client, mini_demo):
    client = visitor_client("hijau")
    nonce = uuid.uuid4()
    response = post_check_in(client, mini_demo.token, nonce)
    assert response.status_code == 302
    assert response["Location"] == f"/saya/check-in/{nonce}/"
    # A reload or a second tap repeats the nonce: the same result, no second row.
    assert post_check_in(client, mini_demo.token, nonce)["Location"] == response["Location"]
    assert CheckIn.objects.count() == 1

    html = client.get(response["Location"]).content.decode()
    assert "visit-bg-hijau" in html
    assert "Ahmad Hijau" in html
    assert "3671" in html and "****" in html  # the masked NIK, never the whole
    assert "Boleh masuk" in html
    assert 'id="visit-clock"' in html and "visit-sweep" in html
    assert "/saya/status/" in html
    assert "Check-out" in html


def test_black_result_says_wait_in_the_staging_area(visitor_client, mini_demo):
    client = visitor_client("hitam")
    nonce = uuid.uuid4()
    post_check_in(client, mini_demo.token, nonce)
    html = client.get(f"/saya/check-in/{nonce}/").content.decode()
    assert "visit-bg-merah" in html  # the decision colours the screen
    assert "visit-chip visit-hitam" in html  # the status beneath it
    assert "Tidak boleh masuk" in html
    assert "area tunggu" in html
    assert 'action="/saya/check-out/' not in html  # nothing to check out of


def test_a_green_person_at_a_closed_venue_sees_a_red_screen(visitor_client, mini_demo):
    """Defect 2 of issue 18: the full-screen colour is the decision, not the status."""
    from django.utils import timezone

    from jejak.inspections.models import Closure

    now = timezone.now()
    Closure.objects.create(
        venue=mini_demo.venue,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=1),
    )
    client = visitor_client("hijau")
    nonce = uuid.uuid4()
    post_check_in(client, mini_demo.token, nonce)
    html = client.get(f"/saya/check-in/{nonce}/").content.decode()
    assert "visit-bg-merah" in html and "visit-bg-hijau" not in html
    assert "Tidak boleh masuk" in html
    assert "visit-chip visit-hijau" in html


def test_refused_code_goes_back_to_the_poster_page_with_the_reason(visitor_client, mini_demo):
    client = visitor_client("hijau")
    response = post_check_in(client, mini_demo.token, uuid.uuid4(), people=["nobody"])
    assert response.status_code == 302
    assert response["Location"] == f"/q/{mini_demo.token}"
    assert "bukan profil Anda" in client.get(response["Location"]).content.decode()
    assert CheckIn.objects.count() == 0


def test_nobody_chosen_is_asked_to_choose(visitor_client, mini_demo):
    client = visitor_client("hijau")
    response = post_check_in(client, mini_demo.token, uuid.uuid4(), people=[])
    assert "Pilih siapa" in client.get(response["Location"]).content.decode()


def test_result_of_another_account_is_not_found(visitor_client, mini_demo):
    nonce = uuid.uuid4()
    post_check_in(visitor_client("hijau"), mini_demo.token, nonce)
    assert visitor_client("kuning").get(f"/saya/check-in/{nonce}/").status_code == 404


def test_check_out_button(visitor_client, mini_demo):
    client = visitor_client("hijau")
    nonce = uuid.uuid4()
    post_check_in(client, mini_demo.token, nonce)
    checkin = CheckIn.objects.get()
    response = client.post(f"/saya/check-out/{checkin.public_id}/")
    assert response["Location"] == f"/saya/check-in/{nonce}/"
    checkin.refresh_from_db()
    assert checkin.checkout_method == "explicit"
    html = client.get(response["Location"]).content.decode()
    assert "Sudah check-out" in html
    # Someone else's check-in cannot be closed.
    other = visitor_client("kuning").post(f"/saya/check-out/{checkin.public_id}/")
    assert other["Location"] == "/saya/riwayat/"


def test_history_shows_the_family_within_retention_newest_first(visitor_client, mini_demo):
    client = visitor_client("hijau")
    post_check_in(client, mini_demo.token, uuid.uuid4(), people=["self"])
    old = CheckIn.objects.get()
    CheckIn.objects.filter(pk=old.pk).update(scanned_at=timezone.now() - dt.timedelta(days=30))
    child = mini_demo.visitors["hijau"].people.exclude(relation="self").get()
    post_check_in(client, mini_demo.token, uuid.uuid4(), people=[child.public_id])
    post_check_in(visitor_client("kuning"), mini_demo.token, uuid.uuid4())

    html = client.get("/saya/riwayat/").content.decode()
    assert "Nabila Hijau" in html
    assert "Dewi Kuning" not in html
    assert html.count('class="visit-history-item"') == 1  # the 30-day-old one is past retention
    for link in ("/saya/status/", "/saya/notifikasi/", "/saya/keluarga/", "/logout/"):
        assert link in html


def test_history_needs_a_visitor(client, client_for, db):
    assert client.get("/saya/riwayat/")["Location"].startswith("/masuk/")
    assert client_for().get("/saya/riwayat/").status_code == 403


def test_scanner_page_and_its_typed_fallback(client, mini_demo):
    html = client.get("/saya/pindai/").content.decode()
    assert 'id="visit-video"' in html
    assert "vendor/jsqr/jsQR.js" in html  # named, loaded only when needed
    assert '<script src="/static/vendor' not in html
    url = f"http://example.org/q/{mini_demo.token}"
    assert client.get("/saya/pindai/", {"kode": url})["Location"] == f"/q/{mini_demo.token}"
    response = client.get("/saya/pindai/", {"kode": "https://example.org/menu"}, follow=True)
    assert "bukan" in response.content.decode().lower() or response.status_code == 200


def test_service_worker_is_served_at_the_root(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert "/static/visits/visits.js" in body and "/saya/offline/" in body


def test_manifest(client, db):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/saya/pindai/"
    assert manifest["display"] == "standalone"
    assert manifest["icons"][0]["src"].endswith("jejak/icon.svg")


def test_offline_page_names_nobody(visitor_client, mini_demo):
    html = visitor_client("hijau").get("/saya/offline/").content.decode()
    assert "offline" in html
    assert "Ahmad" not in html and "+62" not in html and "****" not in html


def test_request_rows_are_the_accounts_own(visitor_client, mini_demo):
    nonce = uuid.uuid4()
    post_check_in(visitor_client("merah"), mini_demo.token, nonce)
    assert CheckInRequest.objects.get().nonce == nonce
    html = visitor_client("merah").get(f"/saya/check-in/{nonce}/").content.decode()
    assert "visit-bg-merah" in html and "Tidak boleh masuk" in html


def test_rescan_of_the_same_venue_shows_a_check_out(visitor_client, mini_demo):
    client = visitor_client("hijau")
    post_check_in(client, mini_demo.token, uuid.uuid4())
    again = uuid.uuid4()
    post_check_in(client, mini_demo.token, again)
    html = client.get(f"/saya/check-in/{again}/").content.decode()
    assert "visit-bg-keluar" in html
    assert "mencatat check-out" in html
    assert CheckIn.objects.get().checkout_method == "rescan"


def test_the_poster_page_sends_a_newcomer_to_the_profile_and_back(client, mini_demo, make_user):
    newcomer = make_user("visitor")
    client.force_login(newcomer)
    html = client.get(f"/q/{mini_demo.token}").content.decode()
    assert f'href="/saya/profil/?next=/q/{mini_demo.token}"' in html


def test_a_family_checks_out_together_with_one_tap(visitor_client, mini_demo):
    """Issue 18, defect 8: the child does not stay "inside" after the parent leaves."""
    client = visitor_client("hijau")
    nonce = uuid.uuid4()
    family = dependant_keys(mini_demo.visitors["hijau"])
    post_check_in(client, mini_demo.token, nonce, people=["self", *family])
    html = client.get(f"/saya/check-in/{nonce}/").content.decode()
    assert f'action="/saya/check-in/{nonce}/check-out/"' in html
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 2
    response = client.post(f"/saya/check-in/{nonce}/check-out/")
    assert response["Location"] == f"/saya/check-in/{nonce}/"
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 0
    # Another account cannot check this family out.
    assert visitor_client("kuning").post(f"/saya/check-in/{nonce}/check-out/").status_code == 302
    assert visitor_client("kuning").get(f"/saya/check-in/{nonce}/").status_code == 404


def dependant_keys(account) -> list[str]:
    from jejak.people.models import Person, Relation

    return list(
        Person.objects.filter(account=account)
        .exclude(relation=Relation.SELF)
        .values_list("public_id", flat=True)
    )


def test_the_citizen_home_is_worth_opening(visitor_client, mini_demo):
    """Issue 18, defect 7: status, scan, current stay, certificate, tests, unread."""
    client = visitor_client("hijau")
    nonce = uuid.uuid4()
    family = dependant_keys(mini_demo.visitors["hijau"])
    post_check_in(client, mini_demo.token, nonce, people=["self", *family])
    html = client.get("/saya/").content.decode()
    assert 'href="/saya/pindai/"' in html  # the big scan button
    assert "visit-chip visit-hijau" in html and "Ahmad Hijau" in html
    assert "Sedang di dalam" in html and mini_demo.venue.name in html
    assert f'action="/saya/check-in/{nonce}/check-out/"' in html
    assert "Dosis 1" in html  # the vaccination certificate
    assert 'href="/saya/status/"' in html
    assert "Kunjungan terakhir" in html
    client.post(f"/saya/check-in/{nonce}/check-out/")
    assert "Sedang di dalam" not in client.get("/saya/").content.decode()


def test_the_citizen_home_reads_a_bounded_number_of_queries(
    visitor_client, mini_demo, django_assert_max_num_queries
):
    client = visitor_client("hijau")
    post_check_in(client, mini_demo.token, uuid.uuid4())
    with django_assert_max_num_queries(20):
        assert client.get("/saya/").status_code == 200


def test_the_citizen_home_lists_the_zones_of_their_city(visitor_client, mini_demo):
    """Issue 18: the citizen home shows zones per kecamatan (highest first)."""
    from jejak.dashboards.tests.test_map import snapshot
    from jejak.regions.models import Region

    kecamatan = list(Region.objects.filter(code__startswith="36.71.").order_by("code")[:2])
    snapshot(kecamatan[0], "rendah", 1, 3.0)
    snapshot(kecamatan[1], "sedang", 2, 31.5)
    html = visitor_client("hijau").get("/saya/").content.decode()
    assert "Zona risiko di kota Anda" in html
    first, second = html.index('data-zone="sedang"'), html.index('data-zone="rendah"')
    assert first < second and "31,5" in html
