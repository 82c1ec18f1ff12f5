"""The sample partner app (examples/partner/, a separate process on the standard library)
driven in Chromium against the live server: a demo citizen signs in through it on
Jejak's own page, approves, pastes a poster's link, checks in and sees the result; an
access token that expired early is refreshed without the citizen noticing; after the
citizen disconnects the app at /saya/mitra/, its next call is refused and it says so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from jejak.checkins.models import CheckIn
from jejak.notifications.sms import read_last_code
from jejak.partners.models import PartnerCheckIn
from jejak.partners.tests.sample_app import Sample
from jejak.qrcodes.tokens import qr_url
from jejak.visits.tests.conftest import MiniDemo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sample_partner_signs_in_checks_in_and_is_refused_once_disconnected(
    page: Any, live_server: Any, city_hall: MiniDemo, sms_outbox: Path, sample: Sample
) -> None:
    phone = city_hall.phones["hijau"]
    page.goto(sample.url + "/")
    page.click("#sign-in")

    # Jejak's own sign-in page: the phone and its one-time code never reach the partner.
    page.wait_for_url(f"{live_server.url}/masuk/**")
    page.fill("#id_phone", phone)
    page.click("button:has-text('Kirim kode')")
    page.wait_for_selector("#id_code")
    page.fill("#id_code", read_last_code(sms_outbox, phone))
    page.click("button:has-text('Masuk')")

    page.wait_for_url(f"{live_server.url}/oauth/authorize/**")
    assert page.locator("h1").inner_text().startswith("Izinkan Mitra Contoh")
    page.click("button[name=allow]")

    page.wait_for_url(sample.url + "/")
    page.locator("h1", has_text="Halo, Ahmad").wait_for()
    page.fill("#qr", qr_url(city_hall.token, live_server.url))
    page.click("button:has-text('Lihat tempat')")
    page.locator("#venue", has_text=city_hall.venue.name).wait_for()
    page.click("button:has-text('Check-in')")

    page.wait_for_url(sample.url + "/hasil")
    result = page.locator("#result")
    assert result.get_attribute("data-colour") == "hijau"
    assert result.locator("h1").inner_text() == "Silakan masuk"
    assert city_hall.venue.name in page.locator("#result-venue").inner_text()
    [stay] = CheckIn.objects.all()
    assert stay.person.full_name == "Ahmad Hijau" and stay.is_active
    assert PartnerCheckIn.objects.count() == 1

    # The access token ends before the sample expects: Jejak refuses it, the sample
    # refreshes (rotating the refresh token) and the check-out goes through.
    AccessToken = get_access_token_model()
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(minutes=1))
    page.click("#check-out")
    page.locator("#notice", has_text="Sudah check-out: Ahmad").wait_for()
    [fresh] = AccessToken.objects.all()
    assert fresh.expires > timezone.now()
    stay.refresh_from_db()
    assert stay.checkout_method == "explicit"

    # The citizen disconnects the sample in Jejak: every token of it revoked at once.
    page.goto(f"{live_server.url}/saya/mitra/")
    page.locator("[data-partner='Mitra Contoh'] button:has-text('Putuskan')").click()
    page.locator("text=Aplikasi mitra diputuskan").wait_for()
    assert not AccessToken.objects.exists()

    # Back in the sample: its next call is refused, and it says so plainly.
    page.goto(sample.url + "/")
    page.fill("#qr", city_hall.token)
    page.click("button:has-text('Lihat tempat')")
    page.locator("#notice", has_text="Koneksi ke Jejak terputus").wait_for()
    assert page.locator("#sign-in").is_visible()
    assert page.errors == []
