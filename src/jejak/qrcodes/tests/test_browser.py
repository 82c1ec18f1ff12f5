"""The landing page and the self-renewing screen code in a real browser, at 360 px."""

import pytest

from jejak.accounts.roles import Role
from jejak.core.browser import wait_until
from jejak.qrcodes.tests.conftest import active_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_landing_page_fits_a_phone(page, issued_venue):
    page.goto(f"/q/{active_code(issued_venue).token}")
    assert page.locator("h1").inner_text() == "Hotel Cisadane"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == []


def test_screen_code_renews_itself(page, log_in, issued_venue, make_user, settings):
    # 12 s codes renew at half-life, after 6 s.
    settings.JEJAK_DYNAMIC_QR_SECONDS = 12
    staff = make_user(Role.VENUE_STAFF, venues=[issued_venue])
    log_in(page, staff)
    page.goto(f"/venues/{issued_venue.short_code}/entrances/0/live/")
    first = page.locator("#qr svg path.qrline").get_attribute("d")
    assert int(page.locator("#countdown").inner_text()) <= 6
    wait_until(
        page,
        "d => document.querySelector('#qr svg path.qrline').getAttribute('d') !== d",
        arg=first,
        timeout=15000,
    )
    assert page.locator("#offline").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == []
