"""Staff pages in a real browser: log in, read the rollout, act on a venue, at 360 px."""

import pytest

from jejak.accounts.roles import Role
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import Action, do_transition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_city_admin_logs_in_and_submits_a_request(page, log_in, make_user, city):
    venue = VenueFactory(short_code="HOTEL-UJI", region=city.children.first())
    admin = make_user(Role.CITY_ADMIN, region=city)
    log_in(page, admin)
    page.wait_for_url("**/rollout/")
    assert page.locator("#rollout-sectors").is_visible()
    page.goto(f"/venues/{venue.short_code}/")
    page.click("button:has-text('Ajukan')")
    assert page.locator("#venue-status").inner_text() == "Diajukan"
    # Nothing on these pages may overflow a 360 px phone screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == []


def test_venue_staff_sees_the_live_code_renew(page, log_in, make_user, city, issuer):
    venue = VenueFactory(short_code="PUSPEM-UJI", region=city.children.first())
    for action in (Action.SUBMIT, Action.APPROVE, Action.ISSUE):
        do_transition(venue=venue, action=action, actor=issuer)
    staff = make_user(Role.VENUE_STAFF, venues=[venue])
    log_in(page, staff)
    page.goto(f"/venues/{venue.short_code}/entrances/0/live/")
    assert page.locator("svg").first.is_visible()
    assert page.errors == []


def test_issuer_approves_the_whole_queue_at_once(page, log_in, make_user, city, city_admin):
    venues = [VenueFactory(region=city.children.first()) for _ in range(3)]
    for venue in venues:
        do_transition(venue=venue, action=Action.SUBMIT, actor=city_admin)
    log_in(page, make_user(Role.ISSUER))
    page.goto("/venues/review/")
    page.check("[data-select-all]")
    page.select_option("select[name=action]", "approve")
    page.click("button:has-text('Jalankan')")
    page.wait_for_selector(".messages")
    for venue in venues:
        venue.refresh_from_db()
        assert venue.status == "approved"
    assert page.errors == []
