"""The venue API's list: paging."""

import pytest

from jejak.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_an_offset_past_any_venue_is_an_empty_page_however_far(venue, client_for, city):
    # Found by the fuzzing gate (core/tests/test_fuzz_api.py): an offset past a bigint
    # (with the limit added) was an internal_error 500 from the database.
    client = client_for(Role.CITY_ADMIN, region=city)
    assert [v["short_code"] for v in client.get("/api/v1/venues").json()] == [venue.short_code]
    for offset in (1, 2**63 - 1, 10**25):
        answer = client.get(f"/api/v1/venues?offset={offset}&limit=5000")
        assert (answer.status_code, answer.json()) == (200, [])
    assert client.get("/api/v1/venues?offset=-3").json()[0]["short_code"] == venue.short_code
