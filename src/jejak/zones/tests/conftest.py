"""Fixtures of the zones' tests: the Django cache emptied around each test (the "around"
answer is cached per venue, and the test database reuses ids), kecamatan, populations
and positive results."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.utils import timezone

from jejak.core.crypto import blind_index
from jejak.health.models import LabMethod, LabOutcome, LabResult, Source
from jejak.regions.models import Region, RegionLevel
from jejak.zones.models import Population


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def load_shipped_thresholds() -> None:
    """The thresholds the migration loads, again: a transactional test starts from a
    flushed database, without the rows of data migrations."""
    importlib.import_module("jejak.zones.migrations.0002_load_thresholds").load(apps, None)


@pytest.fixture
def district(city: Region) -> Callable[..., Region]:
    """district("36.71.05", "Cipondoh"): a kecamatan of the city, created if missing."""

    def make(code: str, name: str = "") -> Region:
        region, _ = Region.objects.get_or_create(
            code=code,
            defaults={
                "name": name or f"Kecamatan {code}",
                "level": RegionLevel.DISTRICT,
                "parent": Region.objects.get(code=code.rsplit(".", 1)[0]),
            },
        )
        return region

    return make


def set_population(
    region: Region, people: int, *, year: int = 2020, estimate: bool = False
) -> Population:
    return Population.objects.create(
        region=region, year=year, population=people, source="test", is_estimate=estimate
    )


_serial = iter(range(1, 10_000))


def nik_in(district_code: str, serial: int | None = None) -> str:
    """A made-up NIK issued in `district_code` ("36.71.01" -> 3671010101900001)."""
    digits = district_code.replace(".", "")
    return f"{digits}010190{serial if serial is not None else next(_serial):04d}"


def positive(
    nik: str,
    *,
    days_ago: float = 1,
    now: dt.datetime | None = None,
    district: str | None = None,
    result: str = LabOutcome.POSITIVE,
) -> LabResult:
    """A lab result of `nik`, `days_ago` before `now`; its NIK district kept as the
    import keeps it (give `district=""` for a result stored before that)."""
    at = (now or timezone.now()) - dt.timedelta(days=days_ago)
    return LabResult.objects.create(
        nik_index=blind_index(nik, purpose="nik"),
        source=Source.CSV,
        method=LabMethod.PCR,
        result=result,
        specimen_at=at,
        nik_district=f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}" if district is None else district,
    )


@pytest.fixture
def make_positives() -> Callable[..., list[LabResult]]:
    def make(district_code: str, count: int, **kwargs: Any) -> list[LabResult]:
        return [positive(nik_in(district_code), **kwargs) for _ in range(count)]

    return make
