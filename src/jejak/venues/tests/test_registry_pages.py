import pytest

from jejak.accounts.roles import Role
from jejak.qrcodes.models import QrCode
from jejak.sectors.models import Sector
from jejak.venues.models import Venue
from jejak.venues.service import add_entry_point
from jejak.venues.workflow import Action, WorkflowError, do_transition


def form_data(city, **overrides):
    data = {
        "short_code": "hotel-baru",
        "name": "Hotel Baru",
        "sector": Sector.objects.get(slug="hotel").pk,
        "region": city.children.first().pk,
        "capacity": 120,
        "default_stay_minutes": 1440,
        "coordinator_name": "Siti",
        "coordinator_email": "siti@example.org",
        "entrances": "Lobi\nPintu Parkir",
    }
    return data | overrides


def test_city_admin_registers_a_venue_with_entrances(city, client_for):
    c = client_for(Role.CITY_ADMIN, region=city)
    response = c.post("/venues/new/", form_data(city))
    assert response.status_code == 302
    venue = Venue.objects.get(short_code="HOTEL-BARU")
    assert venue.status == "registered"
    assert list(venue.entry_points.values_list("name", flat=True)) == ["Lobi", "Pintu Parkir"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capacity", "0"),
        ("coordinator_email", "not-an-email"),
        ("short_code", "x"),
        ("entrances", "Lobi\nlobi"),
        ("latitude", "120"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_stored(city, client_for, field, value):
    c = client_for(Role.CITY_ADMIN, region=city)
    data = form_data(city, **{field: value})
    if field == "latitude":
        data["longitude"] = "106.6"
    response = c.post("/venues/new/", data)
    assert response.status_code == 200 and 'class="errors"' in response.content.decode()
    assert not Venue.objects.exists()


def test_city_admin_cannot_register_in_another_city(city, other_city, client_for):
    c = client_for(Role.CITY_ADMIN, region=city)
    response = c.post("/venues/new/", form_data(city, region=other_city.children.first().pk))
    assert response.status_code == 200
    assert not Venue.objects.exists()


def test_a_venue_manager_starts_registering_their_own_venue(city, make_user):
    """Issue 18, defect 9: a manager may start the request; the city takes it from there."""
    from django.test import Client

    manager = make_user(Role.VENUE_MANAGER)
    c = Client()
    c.force_login(manager)
    assert 'href="/venues/new/"' in c.get("/venues/").content.decode()
    response = c.post("/venues/new/", form_data(city))
    assert response.status_code == 302
    venue = Venue.objects.get(short_code="HOTEL-BARU")
    assert venue.status == "registered"
    assert list(manager.venues.all()) == [venue]
    # Editing stays with the city.
    assert c.get(f"/venues/{venue.short_code}/edit/").status_code == 403


def test_venue_staff_cannot_register(city, client_for):
    assert client_for(Role.VENUE_STAFF).post("/venues/new/", form_data(city)).status_code == 403


def test_agency_officer_cannot_register(city, client_for):
    c = client_for(Role.AGENCY_OFFICER, region=city)
    assert c.post("/venues/new/", form_data(city)).status_code == 403


def test_entrance_added_after_issue_gets_its_own_code(venue, issuer, city_admin):
    for action in (Action.SUBMIT, Action.APPROVE, Action.ISSUE):
        do_transition(venue=venue, action=action, actor=issuer)
    with pytest.raises(WorkflowError):
        add_entry_point(actor=city_admin, venue=venue, name="Pintu Baru")
    entry_point = add_entry_point(actor=issuer, venue=venue, name="Pintu Baru")
    assert QrCode.objects.filter(entry_point=entry_point, status="active").count() == 1
    with pytest.raises(WorkflowError) as exc:
        add_entry_point(actor=issuer, venue=venue, name="pintu baru")
    assert exc.value.code == "duplicate_entry_point"
