"""The demo is the founding article: its rollout must equal the article's table."""

import pytest
from django.core.management import CommandError, call_command

from jejak.accounts.models import User
from jejak.demo.catalogue import ARTICLE_TABLE
from jejak.qrcodes.models import QrCode
from jejak.regions.models import Region
from jejak.venues.models import Venue
from jejak.venues.rollout import compute_rollout


def test_rollout_equals_the_articles_table(db_with_demo):
    rollout = compute_rollout(region=Region.objects.get(code="36.71"))
    assert {row.key: row.counts.issued for row in rollout.sectors} == ARTICLE_TABLE
    assert rollout.total.issued == 339
    assert 0 < rollout.total.installed < 339
    assert rollout.total.pending >= 3 and rollout.total.rejected == 1


def test_active_codes_match_issued_count(db_with_demo):
    assert QrCode.objects.filter(status="active").count() == 339


def test_city_hall_has_four_entrances_and_cisadane_exists(db_with_demo):
    puspem = Venue.objects.get(short_code="PUSPEM-TNG")
    assert puspem.entry_points.count() == 4
    assert Venue.objects.filter(name="Gedung Cisadane").exists()


def test_thirteen_kecamatan(db_with_demo):
    names = set(Region.objects.filter(parent__code="36.71").values_list("name", flat=True))
    assert len(names) == 13 and {"Batuceper", "Larangan", "Karawaci"} <= names


def test_one_account_per_staff_role(db_with_demo):
    roles = set(User.objects.values_list("role", flat=True))
    assert roles >= {
        "issuer",
        "city_admin",
        "agency_officer",
        "enforcement_officer",
        "health_officer",
        "venue_manager",
        "venue_staff",
    }


def test_api_rollout_shape_for_city_admin(db_with_demo, client):
    client.force_login(User.objects.get(username="kominfo"))
    data = client.get("/api/v1/rollout").json()
    assert set(data["sectors"][0]) >= {
        "slug",
        "name",
        "requested",
        "rejected",
        "issued",
        "installed",
    }
    assert {s["slug"]: s["issued"] for s in data["sectors"]} == ARTICLE_TABLE
    assert data["total"]["issued"] == 339
    # A city admin's default breakdown is by kecamatan of its own city.
    assert data["region"]["code"] == "36.71"
    assert sum(r["issued"] for r in data["regions"]) == 339
    assert all(r["code"].startswith("36.71.") for r in data["regions"])
    assert client.get("/api/v1/rollout?region=99.99").json()["code"] == "unknown_region"


def test_issuer_rollout_defaults_to_provinces(db_with_demo, client):
    client.force_login(User.objects.get(username="penerbit"))
    data = client.get("/api/v1/rollout").json()
    assert data["region"] is None
    assert [(r["code"], r["issued"]) for r in data["regions"]] == [("36", 339)]


def test_agency_officer_rollout_covers_its_sectors_only(db_with_demo, client):
    client.force_login(User.objects.get(username="disbudpar"))
    data = client.get("/api/v1/rollout").json()
    assert {s["slug"] for s in data["sectors"]} == {"hotel", "rumah-makan", "tempat-wisata"}
    assert data["total"]["issued"] == 21 + 2 + 16


def test_venue_staff_cannot_read_rollout(db_with_demo, client):
    client.force_login(User.objects.get(username="staf.puspem"))
    assert client.get("/api/v1/rollout").status_code == 403
    assert client.get("/rollout/").status_code == 403


def test_rollout_page_shows_the_table(db_with_demo, client):
    client.force_login(User.objects.get(username="kominfo"))
    page = client.get("/rollout/").content.decode()
    assert 'data-total="issued">339<' in page
    assert "Kantor Instansi Pemerintahan" in page


def test_rollout_exports(db_with_demo, client, tmp_path):
    client.force_login(User.objects.get(username="penerbit"))
    csv_text = client.get("/rollout/?format=csv").content.decode()
    assert "sekolah,Sekolah,127,0,0,127" in csv_text
    xlsx = client.get("/rollout/?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    out = tmp_path / "r.json"
    call_command("rollout", "--region", "36.71", "--format", "json", "--out", str(out))
    assert '"issued": 339' in out.read_text()
    with pytest.raises(CommandError):
        call_command("rollout", "--region", "00.00")


def test_demo_refuses_to_overwrite_without_reset(db_with_demo):
    with pytest.raises(CommandError):
        call_command("demo")
    call_command("demo", "--if-empty")  # a no-op, not an error
    assert Venue.objects.filter(short_code="PUSPEM-TNG").count() == 1


def test_demo_citizens_have_one_colour_each(db_with_demo):
    from jejak.people.models import Person
    from jejak.screening.service import status_for_person

    # The demo citizens' accounts (the residents of the demo registry are visitors too).
    citizens = Person.objects.filter(account__username__startswith="v-demo")
    colours = {p.full_name: status_for_person(p).colour for p in citizens}
    assert colours == {
        "Ahmad Hijau": "hijau",
        "Nabila Hijau": "hijau",
        "Dewi Kuning": "kuning",
        "Rudi Merah": "merah",
        "Sari Hitam": "hitam",
    }
