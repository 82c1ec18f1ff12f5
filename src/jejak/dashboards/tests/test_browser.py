"""The dashboards in a real browser at 360 px: no script errors, and the map shows its
markers with no tile server configured."""

import pytest

from jejak.accounts.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERIOD = "start=2021-11-01&end=2021-11-07"


def test_dashboards_render_and_the_map_shows_markers_without_tiles(
    page, log_in, world, make_user, settings
):
    settings.JEJAK_MAP_TILE_URL = ""
    admin = make_user(Role.CITY_ADMIN, region=world.city)
    log_in(page, admin)
    for url in ("/dasbor/", "/dasbor/penggunaan/"):
        page.goto(f"{url}?{PERIOD}")
        assert page.locator("svg.jc-chart").first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(f"/dasbor/peta/?{PERIOD}")
    page.wait_for_selector("#jd-map[data-loaded='2']")
    assert page.locator("path.jd-marker").count() == 2
    assert page.locator(".leaflet-tile").count() == 0
    page.locator("path.jd-marker-installed").first.click(force=True)
    assert page.locator(".leaflet-popup-content a").first.is_visible()
    page.check("input[value=usage]")
    assert page.locator("#jd-legend-usage").is_visible()
    assert page.locator("#jd-without-coordinates tr[data-key='S1-SDN']").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == []
