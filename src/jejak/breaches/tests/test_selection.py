"""Who a breach's fixed filters select: each filter alone, and together (ANDed)."""

import datetime as dt

import pytest
from django.utils import timezone

from jejak.audit import service as audit
from jejak.breaches.errors import BreachError
from jejak.breaches.selection import Selection, count, people, validate
from jejak.breaches.tests.factories import checkin, person, visitor
from jejak.health.models import VaccinationDose
from jejak.identity.models import Resident
from jejak.venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

JAKARTA = timezone.get_default_timezone()


def at(day: int, hour: int) -> dt.datetime:
    """A moment of November 2021 in Jakarta's time."""
    return dt.datetime(2021, 11, day, hour, tzinfo=JAKARTA)


@pytest.fixture
def world(city, other_city):
    kec1, kec2 = city.children.order_by("code")
    v1 = VenueFactory(short_code="MAL-SATU", region=kec1)
    v2 = VenueFactory(short_code="MAL-DUA", region=kec2)
    v3 = VenueFactory(short_code="MAL-TIGA", region=other_city.children.first())
    ani, budi, cici, dedi = (visitor(full_name=n) for n in ("Ani", "Budi", "Cici", "Dedi"))
    checkin(ani, v1, at(3, 10))
    checkin(budi, v1, at(5, 23))  # 16:00 UTC on the 5th: still the 5th in Jakarta
    checkin(cici, v2, at(4, 12), decision="denied")  # refused at the door: still recorded
    checkin(dedi, v3, at(4, 12))
    return {
        "venues": (v1, v2, v3),
        "people": {"ani": ani, "budi": budi, "cici": cici, "dedi": dedi},
    }


def names(selection: Selection) -> set[str]:
    validate(selection)
    return {p.full_name for p in people(selection)}


def test_by_venue(world):
    assert names(Selection(venues=("MAL-SATU",))) == {"Ani", "Budi"}
    assert names(Selection(venues=("MAL-SATU", "MAL-DUA"))) == {"Ani", "Budi", "Cici"}


def test_by_local_date_range(world):
    assert names(Selection(checkins_from=dt.date(2021, 11, 4))) == {"Budi", "Cici", "Dedi"}
    assert names(Selection(checkins_to=dt.date(2021, 11, 4))) == {"Ani", "Cici", "Dedi"}
    only_5th = Selection(checkins_from=dt.date(2021, 11, 5), checkins_to=dt.date(2021, 11, 5))
    assert names(only_5th) == {"Budi"}


def test_by_venue_region(world, city, other_city):
    assert names(Selection(venue_regions=(city.code,))) == {"Ani", "Budi", "Cici"}
    assert names(Selection(venue_regions=("36.71.02",))) == {"Cici"}
    assert names(Selection(venue_regions=(other_city.code,))) == {"Dedi"}


def test_by_residence_registry_first_then_the_nik_city(world, city, other_city):
    ani = world["people"]["ani"]
    # Ani's NIK was issued in Kota Tangerang, but the registry has her in Tangerang Selatan.
    Resident.objects.create(
        nik_index=ani.nik_index,
        nik_encrypted=b"x",
        full_name="Ani",
        birth_date=dt.date(1990, 5, 12),
        sex="F",
        family_card_index="k",
        region_code="36.74.01",
    )
    eka = visitor(full_name="Eka", regency="36.74")
    assert names(Selection(residence_regions=("36.74",))) == {"Ani", "Eka"}
    assert names(Selection(residence_regions=("36.74.01",))) == {"Ani"}
    assert names(Selection(residence_regions=(city.code,))) == {"Budi", "Cici", "Dedi"}
    assert eka.nik_masked.startswith("3674")


def test_by_classes_of_data(world):
    p = world["people"]
    VaccinationDose.objects.create(
        nik_index=p["ani"].nik_index,
        source="manual",
        dose_number=1,
        given_on=dt.date(2021, 8, 1),
        product="CoronaVac",
    )
    without_phone = visitor(full_name="Fajar", phone=None)
    audit.record_read(actor=None, action="x", purpose="tracing", subjects=[p["budi"].nik_index])

    everyone = {"Ani", "Budi", "Cici", "Dedi", "Fajar"}
    assert names(Selection(data_classes=("health_records",))) == {"Ani"}
    assert names(Selection(data_classes=("phone",))) == everyone - {"Fajar"}
    assert names(Selection(data_classes=("checkin_history",))) == everyone - {"Fajar"}
    assert names(Selection(data_classes=("audit_ip",))) == {"Budi"}
    assert names(Selection(data_classes=("health_records", "audit_ip"))) == {"Ani", "Budi"}
    assert names(Selection(data_classes=("nik",))) == everyone
    assert without_phone.account.phone_index is None


def test_filters_narrow_each_other(world):
    assert names(Selection(venues=("MAL-SATU",), checkins_from=dt.date(2021, 11, 4))) == {"Budi"}
    assert names(Selection(venue_regions=("36.71",), data_classes=("health_records",))) == set()


def test_all_accounts_is_an_explicit_choice_of_its_own(world):
    dependant = person(world["people"]["ani"].account, relation="child", full_name="Gita")
    assert names(Selection(all_accounts=True)) == {"Ani", "Budi", "Cici", "Dedi", "Gita"}
    assert dependant.account_id == world["people"]["ani"].account_id
    with pytest.raises(BreachError) as empty:
        validate(Selection())
    assert empty.value.code == "no_filter"
    assert list(people(Selection())) == []
    with pytest.raises(BreachError) as mixed:
        validate(Selection(all_accounts=True, venues=("MAL-SATU",)))
    assert mixed.value.code == "all_with_filters"


def test_unknown_codes_and_reversed_dates_are_refused(world):
    with pytest.raises(BreachError) as venues:
        validate(Selection(venues=("MAL-SATU", "NOPE-1")))
    assert venues.value.code == "unknown_venues" and "NOPE-1" in venues.value.message
    with pytest.raises(BreachError) as regions:
        validate(Selection(residence_regions=("99.99",)))
    assert regions.value.code == "unknown_regions" and "99.99" in regions.value.message
    with pytest.raises(BreachError) as dates:
        validate(Selection(checkins_from=dt.date(2021, 11, 5), checkins_to=dt.date(2021, 11, 4)))
    assert dates.value.code == "date_order"
    with pytest.raises(BreachError) as classes:
        validate(Selection(data_classes=("everything",)))
    assert classes.value.code == "unknown_data_class"


def test_the_count_shown_before_sending(world):
    p = world["people"]
    person(p["ani"].account, relation="child", full_name="Gita")
    found = count(Selection(all_accounts=True))
    assert (found.people, found.accounts, found.with_phone) == (5, 4, 5)
