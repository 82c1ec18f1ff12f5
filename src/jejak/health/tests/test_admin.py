from __future__ import annotations

import pytest

from jejak.health.service import import_health_file
from jejak.health.tests.helpers import BUNDLE_PATH, CSV_PATH, SITI

pytestmark = pytest.mark.django_db

PAGES = (
    "vaccinationdose",
    "labresult",
    "designation",
    "travelquarantine",
    "vaccinationexemption",
)


@pytest.mark.parametrize("page", PAGES)
def test_admin_lists_records_read_only_without_a_nik(client, issuer, page):
    import_health_file(BUNDLE_PATH, actor=None)
    import_health_file(CSV_PATH, actor=None)
    client.force_login(issuer)

    listing = client.get(f"/admin/health/{page}/")

    assert listing.status_code == 200
    assert SITI not in listing.content.decode()
    assert client.get(f"/admin/health/{page}/add/").status_code == 403
