"""The venue map reads without tiles: each kecamatan labelled where its venues are, with
a dashed line around them; tests never load tiles, and a configured tile server is used
with its attribution."""

from urllib.parse import urlsplit

import pytest

from jejak.accounts.roles import Role
from jejak.dashboards import metrics
from jejak.venues.tests.factories import VenueFactory

from .conftest import END, START

PERIOD = "start=2021-11-01&end=2021-11-07"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _more_venues_in_tangerang(world):
    """Three located venues in kecamatan Tangerang (an outline), one in Karawaci."""
    kec1 = world.city.children.get(code="36.71.01")
    for n, (lat, lon) in enumerate([(-6.185, 106.625), (-6.172, 106.638)], start=1):
        VenueFactory(short_code=f"MAP-{n}", region=kec1, latitude=lat, longitude=lon)


def test_venue_points_name_their_kecamatan(world, city_scope):
    points = {p.short_code: p for p in metrics.venue_points(city_scope, START, END)}
    assert (points["H1-CISADANE"].kecamatan, points["H1-CISADANE"].kecamatan_name) == (
        "36.71.01",
        "Tangerang",
    )
    assert points["K1-PKM"].kecamatan_name == "Karawaci"


def snapshot(region, zone: str, level: int, rate: float):
    import datetime as dt

    from django.utils import timezone

    from jejak.zones.models import ZoneSnapshot

    now = timezone.now()
    return ZoneSnapshot.objects.create(
        region=region, computed_at=now, window_start=now - dt.timedelta(days=7), window_end=now,
        cases=int(rate), population=100_000, weekly_rate=rate, level=level, zone=zone,
        thresholds="who-2021-06-14",
    )  # fmt: skip


@pytest.mark.django_db
def test_the_map_data_carries_each_kecamatans_risk_zone(world, client_for):
    """Issue 18: the map shows zones per kecamatan."""
    snapshot(world.city.children.get(code="36.71.01"), "tinggi", 3, 72.0)
    client = client_for(Role.CITY_ADMIN, region=world.city)
    zones = client.get(f"/api/v1/dashboards/map?{PERIOD}").json()["zones"]
    assert zones["36.71.01"]["zone"] == "tinggi" and zones["36.71.01"]["colour"] == "oranye"
    assert zones["36.71.01"]["weekly_rate"] == 72.0


@pytest.mark.django_db
def test_the_page_passes_the_tile_server_and_its_attribution(world, client_for, settings):
    client = client_for(Role.CITY_ADMIN, region=world.city)
    settings.JEJAK_MAP_TILE_URL = ""
    html = client.get(f"/dasbor/peta/?{PERIOD}").content.decode()
    assert 'data-tiles=""' in html and "jd-map-plain" in html
    assert "bukan batas wilayah resmi" in html  # what the dashed lines are
    settings.JEJAK_MAP_TILE_URL = "https://tiles.example.go.id/{z}/{x}/{y}.png"
    settings.JEJAK_MAP_TILE_ATTRIBUTION = "© Kontributor OpenStreetMap"
    html = client.get(f"/dasbor/peta/?{PERIOD}").content.decode()
    assert 'data-tiles="https://tiles.example.go.id/{z}/{x}/{y}.png"' in html
    assert 'data-attribution="© Kontributor OpenStreetMap"' in html
    assert "jd-map-plain" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_map_without_tiles_shows_labelled_kecamatan_and_markers_offline(
    page, log_in, world, make_user, settings
):
    settings.JEJAK_MAP_TILE_URL = ""
    _more_venues_in_tangerang(world)
    snapshot(world.city.children.get(code="36.71.01"), "rendah", 1, 4.0)
    hosts: list[str | None] = []

    def seen(request):
        url = urlsplit(request.url)
        if url.scheme not in ("data", "blob"):  # those never leave the page
            hosts.append(url.hostname)

    page.on("request", seen)
    log_in(page, make_user(Role.CITY_ADMIN, region=world.city))
    page.goto(f"/dasbor/peta/?{PERIOD}")
    page.wait_for_selector("#jd-map[data-loaded='4'][data-areas='2']")
    assert page.locator("path.jd-marker").count() == 4
    labels = page.locator(".jd-area-label")
    assert sorted(labels.all_inner_texts()) == ["Karawaci", "Tangerang · Risiko rendah"]
    assert all(label.is_visible() for label in labels.all())
    # Three venues in Tangerang: a dashed line around them; one in Karawaci: none.
    assert page.locator("path.jd-area.jd-zone-rendah").count() == 1
    assert page.locator(".leaflet-control-scale").is_visible()
    assert page.locator(".leaflet-tile").count() == 0
    # Nothing left this machine: no tile server, no font or script from elsewhere.
    assert hosts and set(hosts) <= LOOPBACK, set(hosts)
    assert page.errors == []


def test_deploy_check_asks_for_the_tile_attribution(settings):
    from jejak.dashboards.checks import map_tiles_attributed

    settings.JEJAK_MAP_TILE_URL = ""
    assert map_tiles_attributed(None) == []
    settings.JEJAK_MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    settings.JEJAK_MAP_TILE_ATTRIBUTION = ""
    assert [w.id for w in map_tiles_attributed(None)] == ["jejak.dashboards.W001"]
    settings.JEJAK_MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
    assert map_tiles_attributed(None) == []
