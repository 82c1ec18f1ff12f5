"""The venue console in a real browser at 360 px: manual check-in, the guard's check of a
status QR, and occupancy that follows check-ins without a reload."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.checkins.tests.conftest import code_of
from jejak.console.tests.conftest import identity, post_manual
from jejak.core.browser import wait_until
from jejak.screening import passes
from jejak.screening.service import invalidate_rule_sets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/tempat/PUSPEM-UJI/"


@pytest.fixture(autouse=True)
def _rule_sets(transactional_db: None) -> None:
    # A transactional test starts from a flushed database: put the sectors back and load
    # the shipped rule sets the way their migration does.
    from jejak.sectors.models import Sector
    from jejak.sectors.reference import ensure_sectors

    ensure_sectors(Sector)
    migration = importlib.import_module("jejak.screening.migrations.0003_load_rule_sets")
    migration.load(apps, None)
    invalidate_rule_sets()


def fits_a_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= 360)


def test_staff_check_in_a_visitor_by_hand(page, log_in, staff, hall, make_registered):
    make_registered("kuning")
    log_in(page, staff)
    page.wait_for_url(f"**{URL}")
    page.click("text=Check-in manual")
    data = identity("kuning")
    page.select_option("#id_entry_point", label="Pintu Selatan")
    page.fill("#id_nik", data["nik"])
    page.fill("#id_full_name", data["full_name"].upper())
    page.fill("#id_birth_date", data["birth_date"].isoformat())
    page.click("#manual-submit")
    result = page.locator("#manual-result")
    assert "Boleh masuk setelah diperiksa petugas" in result.inner_text()
    assert page.locator("#manual-colour").get_attribute("data-colour") == "kuning"
    assert "kuning" in (result.get_attribute("class") or "")
    assert data["full_name"] not in page.content()
    # The form is ready for the next visitor.
    assert page.input_value("#id_nik") == ""
    assert fits_a_phone(page)
    assert page.errors == []


def test_a_wrong_birth_date_is_refused_without_saying_which_field(
    page, log_in, staff, hall, make_registered
):
    make_registered("hijau")
    log_in(page, staff)
    page.goto(f"{URL}manual/")
    data = identity("hijau")
    page.fill("#id_nik", data["nik"])
    page.fill("#id_full_name", data["full_name"])
    page.fill("#id_birth_date", (data["birth_date"] + dt.timedelta(days=1)).isoformat())
    page.click("#manual-submit")
    text = page.locator("#manual-result").inner_text()
    assert "Data tidak cocok dengan data terdaftar" in text
    assert "tanggal" not in text.lower()
    assert page.errors == []


def test_guard_checks_a_fresh_status_qr_and_an_expired_one(
    page, log_in, staff, hall, make_registered
):
    person = make_registered("hijau")
    fresh = passes.issue_pass(person=person).token
    stale = passes.issue_pass(person=person, at=timezone.now() - dt.timedelta(minutes=10)).token
    log_in(page, staff)
    page.goto(URL)

    page.fill("#pass-text", fresh)
    page.click("#pass-form button[type=submit]")
    result = page.locator("#pass-result")
    result.wait_for(state="visible")
    assert "ASLI DAN BERLAKU" in result.inner_text()
    assert result.get_attribute("data-genuine") == "1"
    assert "hijau" in (result.get_attribute("class") or "")
    # The big word is the decision at this door; the status chip comes beneath it.
    assert result.get_attribute("data-decision") == "allowed"
    assert result.locator(".verdict").inner_text() in ("Boleh masuk", "Allowed in")
    assert result.locator(".visit-chip").get_attribute("data-colour") == "hijau"
    assert person.nik_masked in result.inner_text()

    page.fill("#pass-text", stale)
    page.click("#pass-form button[type=submit]")
    wait_until(
        page,
        "document.querySelector('#pass-result').dataset.genuine === '0'"
        " && !document.querySelector('#pass-result').hidden",
    )
    assert "DITOLAK" in result.inner_text()
    assert result.get_attribute("data-code") == "pass_expired"
    assert "pass_expired" not in result.inner_text()  # a sentence, not a code
    assert fits_a_phone(page)
    # The API answers an expired pass with 410, which Chromium logs as a failed resource;
    # that is the refusal itself, not a script error.
    assert [e for e in page.errors if "status of 410" not in e] == []


def test_guard_scans_a_status_qr_with_the_camera(
    browser, live_server, log_in, staff, hall, make_registered, tmp_path
):
    from jejak.visits.tests.camera import camera_page, write_y4m

    person = make_registered("kuning")
    video = write_y4m(tmp_path / "pass.y4m", passes.issue_pass(person=person).token)
    with camera_page(browser, live_server.url, video) as (page, errors):
        log_in(page, staff)
        page.goto(URL)
        page.click("#scan-start")
        result = page.locator("#pass-result")
        result.wait_for(state="visible", timeout=20000)
        assert "ASLI DAN BERLAKU" in result.inner_text()
        assert "kuning" in (result.get_attribute("class") or "")
        assert result.get_attribute("data-decision") == "allowed_after_staff_check"
        # The camera is released once the code is read.
        assert page.locator("#scan-video").is_hidden()
        assert errors == []


def test_occupancy_follows_a_check_in_without_reloading(page, log_in, staff, hall, make_registered):
    person = make_registered("hijau")
    log_in(page, staff)
    page.goto(URL)
    assert page.locator("#inside").inner_text() == "0"
    page.evaluate("window.__notReloaded = true")

    visitor = Client()
    visitor.force_login(person.account)
    response = visitor.post(
        "/api/v1/checkins",
        json.dumps({"qr": code_of(hall), "nonce": str(uuid.uuid4()), "people": ["self"]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content

    wait_until(page, "document.querySelector('#inside').textContent === '1'", timeout=15000)
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("#occupancy-bar").get_attribute("aria-valuenow") == "1"
    assert fits_a_phone(page)
    assert page.errors == []


def test_black_status_alert_appears_and_is_acknowledged(
    page, log_in, staff, hall, make_registered, make_user
):
    person = make_registered("hitam")
    log_in(page, staff)
    page.goto(URL)
    colleague = Client()
    colleague.force_login(make_user(Role.VENUE_STAFF, venues=[hall]))
    post_manual(colleague, hall, "hitam")
    item = page.locator("#alerts li[data-alert]")
    item.wait_for(timeout=15000)
    assert "Pintu Utara" in item.inner_text()
    assert person.full_name not in page.content()
    item.locator("button").click()
    page.wait_for_url(f"**{URL}")
    assert page.locator("#alerts li.done").count() == 1
    assert page.errors == []


def test_check_out_everyone_asks_first(page, log_in, staff, hall, make_registered):
    person = make_registered("hijau")
    visitor = Client()
    visitor.force_login(person.account)
    visitor.post(
        "/api/v1/checkins",
        json.dumps({"qr": code_of(hall), "nonce": str(uuid.uuid4()), "people": ["self"]}),
        content_type="application/json",
    )
    log_in(page, staff)
    page.goto(URL)
    assert page.locator("#inside").inner_text() == "1"
    page.click("#checkout-open")
    assert page.locator("#checkout-dialog").is_visible()
    page.click("#checkout-cancel")
    assert page.locator("#inside").inner_text() == "1"
    page.click("#checkout-open")
    page.click("#checkout-confirm")
    page.wait_for_selector(".messages")
    assert page.locator("#inside").inner_text() == "0"
    assert page.errors == []


def test_a_manager_adds_a_staff_account_on_a_phone(page, log_in, manager, staff, hall):
    log_in(page, manager)
    page.wait_for_url(f"**{URL}")
    page.click("text=Kelola tempat")
    assert page.locator("a:has-text('Unduh poster (PDF)')").is_visible()
    page.fill("#id_username", "pintu.selatan")
    page.fill("#id_full_name", "Rudi Selatan")
    page.fill("#id_password", "gerbang-selatan-2021")
    page.click("button:has-text('Buat akun')")
    page.wait_for_selector(".messages")
    assert "pintu.selatan" in page.locator("#staff").inner_text()
    row = page.locator("#staff li", has_text=staff.username)
    row.locator("button:has-text('Nonaktifkan')").click()
    page.wait_for_selector(".messages")
    row = page.locator("#staff li", has_text=staff.username)
    assert row.get_by_role("button", name="Aktifkan", exact=True).count() == 1
    assert fits_a_phone(page)
    assert page.errors == []


def test_console_screenshots(page, log_in, screenshot, staff, hall, make_registered, make_user):
    """The README's console pictures: a manual check-in's answer, and a busy morning."""
    for colour in ("hijau", "kuning", "merah", "hitam"):
        make_registered(colour)
    log_in(page, staff)
    page.goto(f"{URL}manual/")
    data = identity("hijau")
    page.fill("#id_nik", data["nik"])
    page.fill("#id_full_name", data["full_name"])
    page.fill("#id_birth_date", data["birth_date"].isoformat())
    page.click("#manual-submit")
    page.wait_for_selector("#manual-result")
    screenshot(page, "venue-console-manual")

    colleague = Client()
    colleague.force_login(make_user(Role.VENUE_STAFF, venues=[hall]))
    for colour in ("kuning", "merah", "hitam"):
        data = identity(colour)
        colleague.post(
            f"{URL}manual/",
            {
                "entry_point": hall.entry_points.last().pk,
                "nik": data["nik"],
                "full_name": data["full_name"],
                "birth_date": data["birth_date"].isoformat(),
                "visitor_type": "guest",
                "nonce": str(uuid.uuid4()),
            },
        )
    page.goto(URL)
    assert page.locator("#inside").inner_text() == "2"
    assert page.locator("#alerts li[data-alert]").count() == 1
    screenshot(page, "venue-console")
    page.locator("#alerts").scroll_into_view_if_needed()
    screenshot(page, "venue-console-alerts")
    assert page.errors == []
