"""The visitor's app in Debian's Chromium at 360 px: the journey from a poster to
check-out, each colour's result screen, the in-app scanner with a fake camera, and a
check-in made offline."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jejak.checkins.models import CheckIn
from jejak.checkins.tests.conftest import code_of
from jejak.core.browser import chromium_path, wait_until
from jejak.notifications.sms import read_last_code
from jejak.qrcodes.tokens import qr_url
from jejak.visits.tests.camera import camera_page, write_y4m

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULT_URL = re.compile(r".*/saya/check-in/[0-9a-f-]{36}/$")
BACKGROUNDS = {
    "hijau": "rgb(23, 105, 47)",
    "kuning": "rgb(249, 197, 19)",
    "merah": "rgb(179, 38, 30)",
    "hitam": "rgb(17, 17, 17)",
}


def fits_a_phone(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def background(page: Any) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_visitor_checks_in_from_a_poster_and_checks_out(page, mini_demo, sms_outbox, screenshot):
    # A phone camera opens the poster's URL; the visitor is not signed in yet.
    page.goto(f"/q/{mini_demo.token}")
    assert page.locator("h1").inner_text() == "Pusat Pemerintahan Kota Tangerang"
    assert "Total Keramaian" in page.locator("main").inner_text()
    page.click("text=Masuk untuk check-in")

    page.fill("#id_phone", mini_demo.phones["hijau"])
    page.click("button:has-text('Kirim kode')")
    page.fill("#id_code", read_last_code(sms_outbox, mini_demo.phones["hijau"]))
    page.click("button:has-text('Masuk')")

    # Straight back to the poster's page, now the confirmation.
    page.wait_for_url(f"**/q/{mini_demo.token}")
    form = page.locator("#visit-confirm-form")
    assert form.get_by_label("Ahmad Hijau").is_checked()
    form.get_by_label("Nabila Hijau").check()
    assert form.get_by_label("Pengunjung").is_checked()
    assert fits_a_phone(page)
    screenshot(page, "visitor-confirm", full_page=True)
    page.click("button:has-text('Check-in sekarang')")

    page.wait_for_url(RESULT_URL)
    assert background(page) == BACKGROUNDS["hijau"]
    people = page.locator(".visit-person")
    assert people.count() == 2
    assert "Ahmad Hijau" in people.nth(0).inner_text()
    assert "Boleh masuk" in people.nth(0).inner_text()
    assert "Nabila Hijau" in people.nth(1).inner_text()
    # The clock runs and the stripe moves: a screenshot cannot pass for this screen.
    first = page.locator("#visit-clock").inner_text()
    wait_until(page, "t => document.getElementById('visit-clock').textContent !== t", arg=first)
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.visit-sweep span')).animationName")
        == "visit-sweep"
    )
    assert page.locator("a:has-text('Tampilkan QR status')").get_attribute("href") == (
        "/saya/status/"
    )
    assert fits_a_phone(page)

    people.nth(0).locator("button:has-text('Check-out')").click()
    page.wait_for_url(RESULT_URL)
    assert "Sudah check-out" in page.locator(".visit-person").nth(0).inner_text()
    rows = {c.person.full_name: c for c in CheckIn.objects.select_related("person")}
    assert rows["Ahmad Hijau"].checkout_method == "explicit"
    assert rows["Nabila Hijau"].is_active

    page.goto("/saya/riwayat/")
    assert page.locator(".visit-history-item").count() == 2
    assert fits_a_phone(page)
    assert page.errors == []


# The screen's colour is the decision (boleh masuk green, periksa petugas yellow, tidak
# boleh masuk red); the health status is a chip beneath it.
DECISION_BACKGROUND = {
    "allowed": BACKGROUNDS["hijau"],
    "allowed_after_staff_check": BACKGROUNDS["kuning"],
    "denied": BACKGROUNDS["merah"],
}


@pytest.mark.parametrize("colour", ["hijau", "kuning", "merah", "hitam"])
def test_result_screen_in_each_colour(page, mini_demo, sign_in_as, screenshot, colour):
    sign_in_as(page, mini_demo.visitors[colour])
    page.goto(f"/q/{mini_demo.token}")
    page.click("button:has-text('Check-in sekarang')")
    page.wait_for_url(RESULT_URL)

    stored = CheckIn.objects.get()
    assert stored.colour == colour
    assert background(page) == DECISION_BACKGROUND[stored.decision]
    chip = page.locator(".visit-person .visit-chip")
    assert chip.evaluate("e => getComputedStyle(e).backgroundColor") == BACKGROUNDS[colour]
    card = page.locator(".visit-person").inner_text()
    assert stored.get_decision_display() in card
    assert stored.person.nik_masked in card
    if colour == "hitam":
        assert stored.decision == "denied"
        assert "area tunggu" in card
        staging = page.locator(".visit-staging")
        assert (
            staging.evaluate("e => getComputedStyle(e).backgroundColor") == (BACKGROUNDS["hitam"])
        )
    if colour == "merah":
        assert "Tidak boleh masuk" in card
    assert fits_a_phone(page)
    screenshot(page, f"visitor-result-{colour}")
    assert page.errors == []


def test_scanner_reads_a_poster_through_the_camera(
    browser, live_server, mini_demo, sign_in_as, tmp_path
):
    # The poster's own URL (JEJAK_PUBLIC_URL/q/<token>), as printed.
    video = write_y4m(tmp_path / "poster.y4m", qr_url(mini_demo.token))
    assert chromium_path() is not None
    with camera_page(browser, live_server.url, video) as (page, errors):
        sign_in_as(page, mini_demo.visitors["hijau"])
        page.goto("/saya/pindai/")
        page.wait_for_url(f"**/q/{mini_demo.token}", timeout=20000)
        page.click("button:has-text('Check-in sekarang')")
        page.wait_for_url(RESULT_URL)
        assert CheckIn.objects.filter(person__full_name="Ahmad Hijau").count() == 1
        assert "Boleh masuk" in page.locator(".visit-person").inner_text()
        assert errors == []


def test_offline_check_in_is_sent_once_when_the_connection_returns(page, mini_demo, sign_in_as):
    sign_in_as(page, mini_demo.visitors["hijau"])
    page.goto(f"/q/{mini_demo.token}")
    # The connection drops after the page has loaded and its worker installed; the next
    # test covers a worker that never installed.
    wait_until(page, "navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    page.click("button:has-text('Check-in sekarang')")

    pending = page.locator("#visit-pending")
    pending.wait_for(state="visible")
    assert "Belum terkirim" in pending.inner_text()
    assert page.locator("#visit-offline").is_visible()
    # Feedback where the thumb is, and a button that says it cannot be pressed again.
    queued = page.locator("#visit-queued")
    assert queued.is_visible()
    assert page.evaluate(
        "(() => { const r = document.getElementById('visit-queued').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; })()"
    )
    button = page.locator("button:has-text('Check-in sekarang')")
    assert button.is_disabled()
    assert float(button.evaluate("b => getComputedStyle(b).opacity")) < 1
    stored = page.evaluate("JSON.parse(localStorage.getItem('jejak.visits.queue'))")
    assert len(stored) == 1 and stored[0]["scanned_at"] and stored[0]["nonce"]
    assert CheckIn.objects.count() == 0

    page.context.set_offline(False)
    page.wait_for_url(RESULT_URL, timeout=30000)
    assert "Boleh masuk" in page.locator(".visit-person").inner_text()
    assert page.evaluate("localStorage.getItem('jejak.visits.queue')") == "[]"
    assert CheckIn.objects.count() == 1
    assert str(CheckIn.objects.get().request.nonce) == stored[0]["nonce"]
    assert page.errors == [] or all("ERR_INTERNET_DISCONNECTED" in e for e in page.errors)


def test_a_waiting_check_in_keeps_the_poster_button_off_after_a_reload(page, mini_demo, sign_in_as):
    """Issue 18, defect 4: a second tap must not make a second check-in."""
    sign_in_as(page, mini_demo.visitors["hijau"])
    page.goto(f"/q/{mini_demo.token}")
    page.context.set_offline(True)
    page.click("button:has-text('Check-in sekarang')")
    page.locator("#visit-queued").wait_for(state="visible")
    # Back online but the check-in cannot get through yet (a flaky connection).
    page.route("**/api/v1/checkins", lambda route: route.abort())
    page.context.set_offline(False)
    page.reload()
    page.locator("#visit-queued").wait_for(state="visible")
    assert page.locator("button:has-text('Check-in sekarang')").is_disabled()
    assert not page.locator("#visit-offline").is_visible()  # it says online again
    page.unroute("**/api/v1/checkins")
    page.wait_for_url(RESULT_URL, timeout=30000)  # the waiting one went, and only it
    assert CheckIn.objects.count() == 1


def test_offline_check_in_is_queued_without_the_service_worker(page, mini_demo, sign_in_as):
    # A cheap phone that lost its connection before the worker's script arrived: the
    # queue lives in the page's own storage, so the check-in still waits and is sent.
    # Before signing in: the signed-in pages register the worker too.
    page.context.route("**/sw.js", lambda route: route.abort())
    sign_in_as(page, mini_demo.visitors["hijau"])
    page.goto(f"/q/{mini_demo.token}")
    page.context.set_offline(True)
    page.click("button:has-text('Check-in sekarang')")
    page.locator("#visit-pending").wait_for(state="visible")
    assert page.evaluate("navigator.serviceWorker.controller") is None
    assert CheckIn.objects.count() == 0

    page.context.set_offline(False)
    page.wait_for_url(RESULT_URL, timeout=30000)
    assert CheckIn.objects.count() == 1
    expected = ("ERR_INTERNET_DISCONNECTED", "ERR_FAILED", "fetching the script")
    assert all(any(e in error for e in expected) for error in page.errors)


def test_a_failed_worker_update_is_quiet_and_the_old_worker_keeps_serving(
    page, mini_demo, sign_in_as, monkeypatch
):
    from jejak.visits import views

    sign_in_as(page, mini_demo.visitors["hijau"])
    page.goto(f"/q/{mini_demo.token}")
    wait_until(page, "navigator.serviceWorker.controller !== null")

    # The next version of the worker cannot be fetched (the server errs; a route in the
    # browser does not see the worker's own update requests).
    def broken() -> list[str]:
        raise RuntimeError("the worker's script cannot be made now")

    monkeypatch.setattr(views, "_shell_urls", broken)
    page.context.set_offline(True)
    page.context.set_offline(False)  # "online": the page asks for an update
    wait_until(page, "document.getElementById('visit-app').dataset.swUpdate === 'failed'")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    # The next page load goes through the worker installed before, and works.
    page.reload()
    wait_until(page, "navigator.serviceWorker.controller !== null")
    page.click("button:has-text('Check-in sekarang')")
    page.wait_for_url(RESULT_URL, timeout=30000)
    assert CheckIn.objects.count() == 1
    # Only the browser's own log of the failed fetch; nothing thrown by the page.
    assert [e for e in page.errors if "sw.js" not in e and "status of 500" not in e] == []
    assert not [e for e in page.errors if "Uncaught" in e]


def test_poster_never_opened_can_still_be_checked_in_offline(page, mini_demo, sign_in_as):
    sign_in_as(page, mini_demo.visitors["hijau"])
    page.goto(f"/q/{mini_demo.token}")  # remembers the family and installs the worker
    wait_until(page, "navigator.serviceWorker.controller !== null")
    other_door = code_of(mini_demo.venue, position=1)

    page.context.set_offline(True)
    page.goto(f"/q/{other_door}")
    assert "Anda sedang offline" in page.locator("h1").inner_text()
    form = page.locator("#visit-confirm-form")
    assert form.get_by_label("Ahmad Hijau").is_checked()
    form.get_by_label("Nabila Hijau").check()
    page.click("button:has-text('Check-in sekarang')")
    assert "Belum terkirim" in page.locator("#visit-pending").inner_text()

    page.context.set_offline(False)
    page.wait_for_url(RESULT_URL, timeout=30000)
    assert page.locator(".visit-person").count() == 2
    doors = set(CheckIn.objects.values_list("entry_point__name", flat=True))
    assert doors == {"Pintu Selatan"}
    assert CheckIn.objects.count() == 2


def test_last_known_status_is_shown_offline_with_a_banner(page, mini_demo, sign_in_as):
    sign_in_as(page, mini_demo.visitors["kuning"])
    page.goto("/saya/riwayat/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Controlled once the worker has claimed the page: the next loads pass through it.
    wait_until(page, "navigator.serviceWorker.controller !== null")
    page.goto("/saya/status/")
    assert "Dewi Kuning" in page.locator("main").inner_text()

    page.context.set_offline(True)
    page.reload()
    assert page.locator(".visit-offline-saved").is_visible()
    assert "offline" in page.locator(".visit-offline-saved").inner_text()
    assert "Dewi Kuning" in page.locator("main").inner_text()
    page.goto("/saya/keluarga/")  # never stored: it holds whole NIKs
    assert "Anda sedang offline" in page.locator("h1").inner_text()
    page.context.set_offline(False)


def test_pages_weigh_little(page, mini_demo, sign_in_as):
    sign_in_as(page, mini_demo.visitors["hijau"])
    for path in (f"/q/{mini_demo.token}", "/saya/pindai/", "/saya/riwayat/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        weight = page.evaluate(
            """[...performance.getEntriesByType('navigation'),
                ...performance.getEntriesByType('resource')]
               .reduce((sum, e) => sum + e.encodedBodySize, 0)"""
        )
        assert weight < 300_000, path
    # The scanner names jsQR but downloads it only without BarcodeDetector (here: it is
    # missing in desktop Chromium, and the page has no camera, so it never gets that far).
    assert page.evaluate("typeof window.jsQR") == "undefined"
    assert page.errors == []


def test_removing_a_family_member_asks_first(page, mini_demo, sign_in_as):
    """Issue 18, defect 10: an irreversible action is confirmed before it is sent."""
    from jejak.people.models import Person

    sign_in_as(page, mini_demo.visitors["hijau"])
    page.goto("/saya/keluarga/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button.danger")
    assert asked and "Nabila Hijau" in asked[0]
    assert Person.objects.filter(full_name="Nabila Hijau", account__isnull=False).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button.danger")
    page.wait_for_load_state()
    wait_until(page, "() => !document.body.innerText.includes('Nabila Hijau')")
    assert page.errors == []


def test_the_phone_header_leaves_the_check_in_button_above_the_fold(page, mini_demo, sign_in_as):
    """Issue 18, defect 6: the header took 155 px at 360 px wide."""
    sign_in_as(page, mini_demo.visitors["hijau"])
    page.goto(f"/q/{mini_demo.token}")
    header = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
    assert header <= 100, header
    button = page.locator("button:has-text('Check-in sekarang')").bounding_box()
    assert button is not None and button["y"] + button["height"] <= 740
    assert fits_a_phone(page)


def test_the_citizen_home_on_a_phone(page, mini_demo, sign_in_as, screenshot):
    """Issue 18, defect 7: colour, scan button, the stay with its group check-out."""
    sign_in_as(page, mini_demo.visitors["hijau"])
    page.goto(f"/q/{mini_demo.token}")
    page.locator("label:has-text('Nabila Hijau') input").check()
    page.click("button:has-text('Check-in sekarang')")
    page.wait_for_url(RESULT_URL)
    page.goto("/saya/")
    assert page.locator(".home-scan").is_visible()
    stay = page.locator(".home-stay")
    assert "Ahmad Hijau" in stay.inner_text() and "Nabila Hijau" in stay.inner_text()
    assert page.locator(".home-person .visit-chip").count() == 2
    assert fits_a_phone(page)
    screenshot(page, "visitor-home", full_page=True)
    stay.locator("button").click()
    page.wait_for_url(RESULT_URL)
    assert not CheckIn.objects.filter(checked_out_at__isnull=True).exists()
    assert page.errors == []
