"""`jejak bench-warn`'s city and bundle at the --small size (the benchmark itself is not
a test): the shape it claims, people whose NIKs are real, a bundle that imports whole,
and the command's stages after the build."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from jejak.checkins.models import CheckIn
from jejak.devtools.management.commands.bench_warn import tracing_held
from jejak.devtools.warn_bench import data
from jejak.health.models import LabResult
from jejak.health.service import import_health_file
from jejak.people.masking import mask_nik
from jejak.people.models import Person
from jejak.people.nik import nik_index
from jejak.people.service import decrypt_nik
from jejak.venues.models import Venue

pytestmark = pytest.mark.django_db

SMALL = data.SMALL


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def city(now: dt.datetime) -> list[str]:
    # A transactional test starts from a flushed database: the seeded rows come back.
    from jejak.sectors.models import Sector
    from jejak.sectors.reference import ensure_sectors
    from jejak.tracing.models import TracingProfile, VenueTypeWeight
    from jejak.tracing.reference import ensure_profiles, ensure_weights

    ensure_sectors(Sector)
    ensure_weights(VenueTypeWeight, Sector)
    ensure_profiles(TracingProfile, VenueTypeWeight)
    lines: list[str] = []
    data.build(SMALL, now=now, say=lines.append)
    return lines


def test_the_small_city_has_the_shape_it_claims(city, now):
    assert Person.objects.count() == SMALL.people
    assert Venue.objects.count() == SMALL.venues
    assert CheckIn.objects.count() == SMALL.checkins
    assert any(f"load checkins_checkin rows={SMALL.checkins} " in line for line in city)
    first = CheckIn.objects.order_by("scanned_at").values_list("scanned_at", flat=True)[0]
    assert now - first <= dt.timedelta(days=SMALL.days + 1)

    measured = data.shape(now=now)

    # A random visitor of the last four days met a few dozen people, not hundreds.
    assert 15 <= measured.contacts_median <= 50, measured
    assert measured.contacts_p99 >= measured.contacts_median
    assert measured.sampled == 200 and measured.visitors > 1000
    world_line, contacts_line = data.describe(SMALL, data_world(), measured)
    assert f"people={SMALL.people} visits_per_person=2.00 venues={SMALL.venues}" in world_line
    assert f"contacts_median={measured.contacts_median:.0f}" in contacts_line


def data_world():
    """What describe reads of the world: its venues."""

    class World:
        venues = list(range(SMALL.venues))

    return World()


def test_people_have_real_distinct_niks(city):
    people = list(Person.objects.order_by("pk")[:: SMALL.people // 25])
    for person in people:
        nik = decrypt_nik(person)
        assert len(nik) == 16 and nik.isdigit() and nik[-4:] != "0000"
        assert person.nik_index == nik_index(nik)
        assert person.nik_masked == mask_nik(nik)
    assert Person.objects.values("nik_index").distinct().count() == SMALL.people


def test_the_bundle_of_random_visitors_imports_whole(
    city, now, tmp_path, django_capture_on_commit_callbacks
):
    positives = data.pick_positives(25, now=now)
    assert len({p.person_id for p in positives}) == 25
    assert all(
        CheckIn.objects.filter(person_id=p.person_id, checked_in_at__gte=now - data.WINDOW)
        for p in positives
    )
    path = tmp_path / "positif.json"

    assert data.write_bundle(path, positives, now=now) == 50
    with tracing_held() as announced, django_capture_on_commit_callbacks(execute=True):
        report = import_health_file(path, actor=None)

    assert report.ok, report.problems[:3]
    assert (report.created["lab_result"], report.people) == (25, 25)
    theirs = set(
        Person.objects.filter(pk__in=[p.person_id for p in positives]).values_list(
            "nik_index", flat=True
        )
    )
    assert announced == theirs
    results = LabResult.objects.all()
    assert set(results.values_list("nik_index", flat=True)) == theirs
    assert {(r.method, r.result) for r in results} == {("pcr", "positive")}
    assert all(now - data.SPECIMEN_WITHIN <= r.specimen_at <= now for r in results)


# Committed for real: the import announces its results once committed.
@pytest.mark.django_db(transaction=True)
def test_the_command_after_the_build_imports_traces_and_checks(city, tmp_path):
    out = io.StringIO()

    call_command(
        "bench_warn",
        "--small",
        "--reuse",
        "--cases=5",
        # The workers would connect to the deployment's database, not the test one.
        "--workers=1",
        f"--bundle={tmp_path / 'b.json'}",
        stdout=out,
        stderr=io.StringIO(),
    )

    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("warned 5 cases in ")
    assert any(line.startswith("stage import s=") and "created=5" in line for line in lines)
    assert any(line.startswith("stage trace s=") and "opened=5" in line for line in lines)
    assert any(line.startswith("contacts per_case median=") for line in lines)
    assert any(line.startswith("rows_written health_labresult=5") for line in lines)
    assert any(line.startswith("peak_memory_mb=") for line in lines)
