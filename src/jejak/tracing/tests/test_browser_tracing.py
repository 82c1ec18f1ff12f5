"""The case page in a real browser at 360 px: read the ranked contacts, designate them."""

from __future__ import annotations

import pytest

from jejak.sectors.models import Sector
from jejak.tracing import cases, search
from jejak.tracing.models import TracingProfile, VenueTypeWeight
from jejak.tracing.reference import ensure_profiles, ensure_weights
from jejak.tracing.tests.conftest import NOW, T0, at, stay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_designates_the_close_contacts(page, log_in, officer, person, hotel):
    ensure_weights(VenueTypeWeight, Sector)  # a transactional test starts flushed
    ensure_profiles(TracingProfile, VenueTypeWeight)
    case_person, close = person("Kasus"), person("Rina Kontak")
    stay(case_person, hotel, at(0), at(1))
    stay(close, hotel, at(0), at(1), visitor_type="employee")
    case = cases.open_case(
        person=case_person, actor=None, specimen_date=T0.date(), isolation_started_at=at(1),
        now=NOW,
    )  # fmt: skip
    search.search_contacts(case=case, actor=None, now=NOW)

    log_in(page, officer)
    page.goto(f"/pelacakan/kasus/{case.pk}/")
    row = page.locator("#contacts tbody tr").first
    assert "Rina Kontak" in row.inner_text()
    assert "Hotel Cisadane" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#designate")
    page.wait_for_selector(".messages")

    assert page.locator("#case-status").inner_text() == "Kontak diberi tahu"
    assert page.locator("#notifications tbody tr").count() >= 1
    assert page.errors == []
