"""A Satpol PP officer plans and records an inspection on a 360 px phone, closing the
venue; the venue's manager then reads the finding."""

import pytest

from jejak.accounts.roles import Role
from jejak.inspections.models import Closure, Inspection
from jejak.regions.tests.factories import city_with_districts
from jejak.venues.tests.factories import VenueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_records_a_closure_and_the_manager_reads_it(page, log_in, make_user, screenshot):
    city = city_with_districts()
    hotel = VenueFactory(short_code="HOTEL-CSD", name="Hotel Cisadane", region=city)
    officer = make_user(Role.ENFORCEMENT_OFFICER, region=city)
    manager = make_user(Role.VENUE_MANAGER, venues=[hotel])
    log_in(page, officer)

    page.goto("/pemeriksaan/")
    page.fill("#id_venue", "hotel-csd")
    page.locator("#id_planned_for").fill(page.evaluate("new Date().toLocaleDateString('sv')"))
    page.click("button:has-text('Rencanakan')")
    page.wait_for_selector("form.insp-record")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for item in page.locator("fieldset.insp-item").all():
        item.locator("input[value=pass]").check()
    page.locator("fieldset.insp-item").nth(3).locator("input[value=fail]").check()
    page.fill("#id_findings", "Pengunjung melebihi kapasitas")
    screenshot(page, "inspection-record")
    page.select_option("#id_sanction", "temporary_closure")
    page.fill("#id_closure_starts_at", "2030-01-01T08:00")
    page.fill("#id_closure_ends_at", "2030-01-03T08:00")
    page.click("button:has-text('Simpan hasil')")
    page.wait_for_selector("table.insp-checks")
    assert Inspection.objects.get().sanction == "temporary_closure"
    assert Closure.objects.get().venue == hotel
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.context.clear_cookies()
    log_in(page, manager)
    page.goto("/pemeriksaan/tempat/")
    page.wait_for_url("**/pemeriksaan/tempat/HOTEL-CSD/")
    text = page.locator("main").inner_text()
    assert "Pengunjung melebihi kapasitas" in text and "Penutupan sementara" in text
    screenshot(page, "venue-findings")
    assert page.errors == []
