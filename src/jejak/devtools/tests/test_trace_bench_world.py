"""The benchmarks' venues (trace_bench.world.make_venues): all in Kota Tangerang by
default, or spread evenly over a province's cities (`make bench-national`'s city holds
about a twentieth of the rows, as issue 21 sets it)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from jejak.demo.builder import CITY
from jejak.devtools.trace_bench.world import make_venues
from jejak.regions.models import Region
from jejak.venues.models import Venue

pytestmark = pytest.mark.django_db


def city_of(venue: Venue) -> str:
    return ".".join(venue.region.code.split(".")[:2])


def test_the_venues_are_in_kota_tangerang_by_default() -> None:
    make_venues(30, random.Random(1))

    venues = Venue.objects.select_related("region")
    assert {city_of(v) for v in venues} == {CITY}
    # Its kecamatan in turn, as before the cities.
    assert len({v.region_id for v in venues}) == min(
        30, Region.objects.filter(level="district", parent__code=CITY).count()
    )


def test_the_venues_spread_evenly_over_the_cities_kota_tangerang_first() -> None:
    made = make_venues(80, random.Random(1), cities=4)

    venues = {v.pk: v for v in Venue.objects.select_related("region__parent")}
    cities = [city_of(venues[info.id]) for info in made]
    assert cities[0] == CITY
    assert Counter(cities) == dict.fromkeys(set(cities), 20)
    assert len(set(cities)) == 4
    assert cities[:4] == cities[4:8]  # venue i is in city i modulo 4
    for city in set(cities) - {CITY}:
        regency = Region.objects.get(code=city)
        assert regency.level == "regency"
        assert regency.parent == Region.objects.get(code=CITY).parent
        assert regency.children.get().level == "district"
    # The popular venues are not all in one city.
    weight: Counter[str] = Counter()
    for info, city in zip(made, cities, strict=True):
        weight[city] += info.weight
    assert max(weight.values()) < sum(weight.values()) / 2
