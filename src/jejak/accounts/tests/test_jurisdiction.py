"""Each role sees exactly the venues its jurisdiction covers; anonymous users see nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser

from jejak.accounts.capabilities import Cap, has_capability
from jejak.accounts.roles import Role
from jejak.sectors.models import Sector
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory


@pytest.fixture
def world(city, other_city):
    """Two cities; in ours a hotel and a school, in the other a hotel."""
    hotel, school = Sector.objects.get(slug="hotel"), Sector.objects.get(slug="sekolah")
    district = city.children.first()
    return {
        "hotel": VenueFactory(short_code="HOTEL-A", region=district, sector=hotel),
        "school": VenueFactory(short_code="SCHOOL-A", region=district, sector=school),
        "far_hotel": VenueFactory(
            short_code="HOTEL-B", region=other_city.children.first(), sector=hotel
        ),
    }


def visible(user):
    return set(Venue.objects.visible_to(user).values_list("short_code", flat=True))


def test_anonymous_sees_nothing(world):
    assert visible(AnonymousUser()) == set()


def test_issuer_sees_every_venue(world, issuer):
    assert visible(issuer) == {"HOTEL-A", "SCHOOL-A", "HOTEL-B"}


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.ENFORCEMENT_OFFICER, Role.HEALTH_OFFICER])
def test_city_roles_see_their_city_only(world, make_user, city, role):
    assert visible(make_user(role, region=city)) == {"HOTEL-A", "SCHOOL-A"}


def test_agency_officer_sees_its_sectors_in_its_city(world, make_user, city):
    officer = make_user(
        Role.AGENCY_OFFICER, region=city, sectors=[Sector.objects.get(slug="hotel")]
    )
    assert visible(officer) == {"HOTEL-A"}


def test_agency_officer_sees_subcategories_of_its_sector(world, make_user, city):
    hotel = Sector.objects.get(slug="hotel")
    guesthouse = Sector.objects.create(
        slug="losmen", name_id="Losmen", name_en="Guesthouse", parent=hotel
    )
    VenueFactory(short_code="LOSMEN-A", region=city, sector=guesthouse)
    officer = make_user(Role.AGENCY_OFFICER, region=city, sectors=[hotel])
    assert visible(officer) == {"HOTEL-A", "LOSMEN-A"}


@pytest.mark.parametrize("role", [Role.VENUE_MANAGER, Role.VENUE_STAFF])
def test_venue_roles_see_their_venues_only(world, make_user, role):
    assert visible(make_user(role, venues=[world["school"]])) == {"SCHOOL-A"}


def test_regional_role_without_region_sees_nothing(world, make_user):
    assert visible(make_user(Role.CITY_ADMIN, region=None)) == set()


def test_visitor_sees_nothing(world, make_user):
    assert visible(make_user(Role.VISITOR)) == set()


def test_inactive_user_sees_nothing_and_can_nothing(world, make_user, city):
    user = make_user(Role.CITY_ADMIN, region=city, is_active=False)
    assert visible(user) == set()
    assert not has_capability(user, Cap.VIEW_VENUES)


def test_capabilities_by_role(make_user, city):
    assert has_capability(make_user(Role.ISSUER), Cap.REVIEW_REQUESTS)
    assert not has_capability(make_user(Role.CITY_ADMIN, region=city), Cap.REVIEW_REQUESTS)
    assert has_capability(make_user(Role.CITY_ADMIN, region=city), Cap.IMPORT_VENUES)
    assert not has_capability(make_user(Role.VENUE_STAFF), Cap.DOWNLOAD_POSTERS)
    assert not has_capability(AnonymousUser(), Cap.VIEW_VENUES)


def test_venue_pages_follow_jurisdiction(world, client_for, city):
    officer = client_for(
        Role.AGENCY_OFFICER, region=city, sectors=[Sector.objects.get(slug="hotel")]
    )
    assert officer.get("/venues/HOTEL-A/").status_code == 200
    assert officer.get("/venues/SCHOOL-A/").status_code == 404
    assert officer.get("/venues/HOTEL-B/").status_code == 404
    listing = officer.get("/venues/").content.decode()
    assert "HOTEL-A" in listing and "SCHOOL-A" not in listing


def test_anonymous_is_sent_to_login(world, client):
    for url in ("/venues/", "/venues/HOTEL-A/", "/rollout/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_api_refuses_anonymous_and_accepts_bearer_token(world, client, issuer):
    from jejak.accounts.models import ApiToken

    assert client.get("/api/v1/venues").status_code == 401
    _, raw = ApiToken.issue(user=issuer, name="test")
    response = client.get("/api/v1/venues", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert {v["short_code"] for v in response.json()} == {"HOTEL-A", "SCHOOL-A", "HOTEL-B"}
    assert client.get("/api/v1/venues", HTTP_AUTHORIZATION="Bearer jjk_wrong").status_code == 401


def test_api_venue_list_is_scoped(world, client_for, city):
    c = client_for(Role.CITY_ADMIN, region=city)
    assert {v["short_code"] for v in c.get("/api/v1/venues").json()} == {"HOTEL-A", "SCHOOL-A"}
    assert c.get("/api/v1/venues/HOTEL-B").status_code == 404


def test_issuer_uses_django_admin_without_superuser(world, client, issuer):
    client.force_login(issuer)
    assert client.get("/admin/venues/venue/").status_code == 200


def test_bearer_token_posts_need_no_csrf_token(world, issuer):
    from django.test import Client

    from jejak.accounts.models import ApiToken

    _, raw = ApiToken.issue(user=issuer, name="partner")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        "/api/v1/venues/HOTEL-A/transitions",
        {"action": "submit"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 200


def test_session_posts_without_csrf_token_are_refused(world, issuer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(issuer)
    response = strict.post(
        "/api/v1/venues/HOTEL-A/transitions", {"action": "submit"}, content_type="application/json"
    )
    assert response.status_code == 403
