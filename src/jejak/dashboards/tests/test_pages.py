"""The dashboard pages, their filters, exports and API, per role."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.dashboards.tests.conftest import FORMULA_NAME
from jejak.sectors.models import Sector
from jejak.venues.tests.factories import VenueFactory

PERIOD = "start=2021-11-01&end=2021-11-07"
PAGES = ["/dasbor/", "/dasbor/penggunaan/", "/dasbor/peta/"]


@pytest.fixture
def admin_client(world, client_for):
    return client_for(Role.CITY_ADMIN, region=world.city)


@pytest.fixture
def hotel_officer(world, make_user):
    return make_user(
        Role.AGENCY_OFFICER, region=world.city, sectors=[Sector.objects.get(slug="hotel")]
    )


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    "role", [Role.CITY_ADMIN, Role.ISSUER, Role.AGENCY_OFFICER, Role.ENFORCEMENT_OFFICER]
)
def test_pages_render_for_each_allowed_role(world, client_for, url, role):
    sectors = [Sector.objects.get(slug="hotel")] if role == Role.AGENCY_OFFICER else []
    client = client_for(role, region=world.city, sectors=sectors)
    response = client.get(f"{url}?{PERIOD}")
    assert response.status_code == 200
    assert b"<svg" in response.content or b"jd-map" in response.content


@pytest.mark.parametrize("url", [*PAGES, "/dasbor/ekspor/decisions/"])
@pytest.mark.parametrize(
    "role", [Role.HEALTH_OFFICER, Role.VENUE_MANAGER, Role.VENUE_STAFF, Role.VISITOR]
)
def test_other_roles_are_refused(world, client_for, url, role):
    assert client_for(role, region=world.city).get(url).status_code == 403


def test_anonymous_goes_to_login(world, client):
    response = client.get("/dasbor/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_rollout_page_shows_the_hand_counted_table(admin_client):
    html = admin_client.get(f"/dasbor/?{PERIOD}").content.decode()
    assert 'data-total="requested">8<' in html
    assert 'data-total="installed">3<' in html
    assert "Karawaci" in html


def test_usage_page_shows_the_numbers(admin_client):
    html = admin_client.get(f"/dasbor/penggunaan/?{PERIOD}").content.decode()
    # The reason by its name; its code only in the row's key (issue 18, item 13).
    assert '<tr data-key="capacity_full"><td>Kapasitas penuh</td><td class="num">3<' in html
    assert ">capacity_full<" not in html
    # Least compliant first: the puskesmas with one scan in seven days.
    ranking = html[html.index('id="jd-least-compliant"') :]
    assert ranking.index('data-key="K1-PKM"><td class="num">1<') < ranking.index(
        'data-key="H2-BINTANG"><td class="num">2<'
    )


def test_map_lists_venues_without_coordinates(admin_client):
    html = admin_client.get(f"/dasbor/peta/?{PERIOD}").content.decode()
    assert 'data-key="S1-SDN"' in html
    assert 'data-key="H1-CISADANE"' not in html  # it has coordinates: on the map


def test_formula_named_venue_is_escaped_in_pages(admin_client):
    html = admin_client.get(f"/dasbor/peta/?{PERIOD}").content.decode()
    assert FORMULA_NAME not in html  # the quotes are escaped
    assert "=HYPERLINK(&quot;" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2021-11-07&end=2021-11-01", "Tanggal awal harus sebelum tanggal akhir."),
        ("start=kemarin", "Masukkan tanggal yang valid."),
        ("start=2020-01-01&end=2021-11-01", "Periode paling lama 366 hari."),
        ("sector=nonexistent", "Sektor tidak dikenal"),
        ("kecamatan=36.74.01", "Kecamatan tidak dikenal atau di luar wilayah Anda."),
        ("kecamatan=%27%3B--", "Kecamatan tidak dikenal"),
    ],
)
def test_bad_filters_say_why(admin_client, query, message):
    for url in [*PAGES, "/dasbor/ekspor/decisions/"]:
        response = admin_client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert message in response.content.decode()
    response = admin_client.get(f"/api/v1/dashboards/decisions?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"


def test_agency_officer_cannot_filter_on_other_sectors(client, hotel_officer):
    client.force_login(hotel_officer)
    assert client.get(f"/dasbor/?{PERIOD}&sector=sekolah").status_code == 400
    assert client.get(f"/dasbor/?{PERIOD}&sector=hotel").status_code == 200


def test_filters_narrow_the_numbers(admin_client):
    def rows(query):
        response = admin_client.get(f"/api/v1/dashboards/decisions?{PERIOD}&{query}")
        return {(r["decision"], r["colour"]): r["count"] for r in response.json()["rows"]}

    assert rows("")[("allowed", "hijau")] == 5
    assert rows("sector=puskesmas")[("allowed", "hijau")] == 1
    assert rows("kecamatan=36.71.02")[("allowed", "hijau")] == 2  # H2 and K1
    assert rows("kecamatan=36.71.01")[("denied", "hitam")] == 1
    narrow = admin_client.get("/api/v1/dashboards/decisions?start=2021-11-05&end=2021-11-05")
    assert sum(r["count"] for r in narrow.json()["rows"]) == 1


def test_agency_officer_sees_only_its_sectors(client, hotel_officer):
    client.force_login(hotel_officer)
    data = client.get(f"/api/v1/dashboards/rollout-sector?{PERIOD}").json()
    assert [r["sector"] for r in data["rows"]] == ["hotel", "total"]
    assert data["rows"][-1]["requested"] == 3
    html = client.get(f"/dasbor/penggunaan/?{PERIOD}").content.decode()
    assert "K1-PKM" not in html
    points = client.get(f"/api/v1/dashboards/map?{PERIOD}").json()
    assert [v["short_code"] for v in points["venues"]] == ["H1-CISADANE"]


def test_api_tables_and_map(admin_client):
    data = admin_client.get(f"/api/v1/dashboards/least-compliant?{PERIOD}").json()
    assert data["filters"] == {"start": "2021-11-01", "end": "2021-11-07"}
    assert [(r["rank"], r["venue"], r["per_entrance_per_day"]) for r in data["rows"]] == [
        (1, "K1-PKM", 0.14),
        (2, "H2-BINTANG", 0.25),
        (3, "H1-CISADANE", 0.57),
    ]
    points = admin_client.get(f"/api/v1/dashboards/map?{PERIOD}").json()
    assert {v["short_code"] for v in points["venues"]} == {"H1-CISADANE", "K1-PKM"}
    assert {v["short_code"] for v in points["without_coordinates"]} == {
        "H2-BINTANG",
        "S1-SDN",
        "M1-MALL",
        "R1-BARU",
    }
    missing = admin_client.get("/api/v1/dashboards/nothing")
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_table")


def test_api_refuses_roles_without_the_capability(world, client_for):
    response = client_for(Role.HEALTH_OFFICER, region=world.city).get("/api/v1/dashboards/map")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


@pytest.mark.parametrize("table", ["venues", "rollout-kecamatan", "least-compliant"])
def test_csv_export_is_formula_safe_and_audited(admin_client, table):
    response = admin_client.get(f"/dasbor/ekspor/{table}/?{PERIOD}&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [c for row in body for c in row]
    assert not any(c.startswith("=") for c in cells)
    if table == "venues":
        assert "'" + FORMULA_NAME in cells
    event = AuditEvent.objects.get(action="dashboard.export")
    assert event.detail["table"] == table
    assert event.detail["format"] == "csv"
    assert event.detail["filters"] == {"start": "2021-11-01", "end": "2021-11-07"}


def test_xlsx_export_is_formula_safe(admin_client):
    response = admin_client.get(f"/dasbor/ekspor/venues/?{PERIOD}&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "'" + FORMULA_NAME in values
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in values)
    assert AuditEvent.objects.filter(action="dashboard.export", detail__format="xlsx").exists()


@pytest.mark.parametrize(
    "name",
    [
        "rollout-sector",
        "rollout-trend",
        "checkins-sector",
        "checkins-venue",
        "decisions",
        "refusals",
        "black-alerts",
        "capacity-refusals",
    ],
)
def test_every_table_exports(admin_client, name):
    response = admin_client.get(f"/dasbor/ekspor/{name}/?{PERIOD}&format=xlsx")
    assert response.status_code == 200


def test_export_of_unknown_table_or_format(admin_client):
    assert admin_client.get("/dasbor/ekspor/nothing/").status_code == 404
    assert admin_client.get("/dasbor/ekspor/decisions/?format=pdf").status_code == 400


# The usage page's seven counts each ask which of the period's days are rolled up
# (dashboards/rollups.py): seven small queries on top of the grouped ones.
@pytest.mark.parametrize(("url", "limit"), [(PAGES[0], 14), (PAGES[1], 27), (PAGES[2], 10)])
def test_pages_run_a_fixed_number_of_queries(
    admin_client, world, url, limit, django_assert_max_num_queries
):
    # Grouped queries only: more venues and check-ins must not mean more queries.
    for _ in range(5):
        VenueFactory(region=world.city.children.first(), entrances=["A", "B"])
    with django_assert_max_num_queries(limit):
        assert admin_client.get(f"{url}?{PERIOD}").status_code == 200
