from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jejak.accounts.roles import Role
from jejak.posters.tests.conftest import decode_qr, pdf_pages
from jejak.qrcodes.models import QrCode
from jejak.qrcodes.tokens import qr_url
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueStatus
from jejak.venues.tests.factories import VenueFactory

URL = reverse("venue_posters", args=["HTL-CISADANE"])


def test_venue_manager_downloads_every_entrance(hotel: Venue, client_for: Any) -> None:
    response = client_for(Role.VENUE_MANAGER, venues=[hotel]).get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="poster-HTL-CISADANE.pdf"'
    assert "no-cache" in response["Cache-Control"]
    assert len(pdf_pages(response.content)) == 2


def test_agency_officer_of_the_sector_downloads(hotel: Venue, client_for: Any, city: Any) -> None:
    client = client_for(Role.AGENCY_OFFICER, region=city, sectors=[hotel.sector])

    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("who", ["other_venue_manager", "other_sector_officer"])
def test_venue_outside_jurisdiction_is_not_found(
    hotel: Venue, client_for: Any, city: Any, who: str
) -> None:
    if who == "other_venue_manager":
        client = client_for(Role.VENUE_MANAGER, venues=[VenueFactory(region=city)])
    else:
        schools = Sector.objects.get(slug="sekolah")
        client = client_for(Role.AGENCY_OFFICER, region=city, sectors=[schools])

    assert client.get(URL).status_code == 404


def test_anonymous_is_sent_to_login(hotel: Venue) -> None:
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_role_without_the_capability_is_refused(hotel: Venue, client_for: Any, city: Any) -> None:
    assert client_for(Role.HEALTH_OFFICER, region=city).get(URL).status_code == 403


def test_venue_without_active_codes_is_not_found(hotel: Venue, client_for: Any) -> None:
    Venue.objects.filter(pk=hotel.pk).update(status=VenueStatus.SUSPENDED)

    assert client_for(Role.VENUE_MANAGER, venues=[hotel]).get(URL).status_code == 404


def test_one_entrance_poster(hotel: Venue, client_for: Any) -> None:
    client = client_for(Role.VENUE_MANAGER, venues=[hotel])
    code = QrCode.objects.get(entry_point__venue=hotel, entry_point__position=1)

    response = client.get(reverse("entrance_poster", args=["HTL-CISADANE", 1]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="poster-HTL-CISADANE-2.pdf"'
    pages = pdf_pages(response.content)
    assert len(pages) == 1
    assert decode_qr(pages[0]) == [qr_url(code.token)]
    assert client.get(reverse("entrance_poster", args=["HTL-CISADANE", 7])).status_code == 404


def test_without_a_public_url_the_poster_opens_where_the_site_was_reached(
    hotel: Venue, client_for: Any, settings: Any
) -> None:
    """Issue 18, defect 11: `make run PORT=8123` must not print codes for port 8000."""
    settings.JEJAK_PUBLIC_URL = ""
    settings.ALLOWED_HOSTS = ["192.168.1.20"]
    client = client_for(Role.VENUE_MANAGER, venues=[hotel])
    code = QrCode.objects.get(entry_point__venue=hotel, entry_point__position=1)
    response = client.get(
        reverse("entrance_poster", args=["HTL-CISADANE", 1]), HTTP_HOST="192.168.1.20:8123"
    )
    [text] = decode_qr(pdf_pages(response.content)[0])
    assert text == f"http://192.168.1.20:8123/q/{code.token}"
