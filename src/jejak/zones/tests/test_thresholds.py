"""The thresholds document: the shipped WHO set, its validation, the classification at
the bounds, and which set is in force."""

from __future__ import annotations

import copy
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from jejak.zones import thresholds
from jejak.zones.models import ThresholdSet

JAKARTA = ZoneInfo("Asia/Jakarta")


def shipped() -> dict:
    return thresholds.read_file(thresholds.DEFAULT_FILE)


def test_the_shipped_file_is_valid_and_says_where_it_comes_from():
    doc = shipped()
    assert thresholds.validate_document(doc) == []
    assert "14 June 2021" in doc["source"] and "World Health Organization" in doc["source"]
    bounds = [level.get("below") for level in doc["levels"]]
    assert bounds == [20, 50, 150, None]


@pytest.mark.parametrize(
    ("cases", "level", "zone"),
    [
        (0, 1, "rendah"),
        (19, 1, "rendah"),
        (20, 2, "sedang"),  # "20 to under 50": the bound belongs to the level above
        (49, 2, "sedang"),
        (50, 3, "tinggi"),
        (149, 3, "tinggi"),
        (150, 4, "sangat_tinggi"),
        (5000, 4, "sangat_tinggi"),
    ],
)
def test_classification_at_the_bounds(cases, level, zone):
    # 100,000 residents: the rate is the number of cases.
    found = thresholds.classify(shipped(), cases=cases, population=100_000)
    assert (found.level, found.zone) == (level, zone)


def test_a_rate_just_under_a_bound_stays_below_it():
    # 39 cases among 195,001 people: 19.9999 per 100,000, level 1; among 195,000: 20.0.
    doc = shipped()
    assert thresholds.classify(doc, cases=39, population=195_001).level == 1
    assert thresholds.classify(doc, cases=39, population=195_000).level == 2


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(format="x"), "format:"),
        (lambda d: d.update(metric="deaths"), "metric:"),
        (lambda d: d.update(source=""), "source:"),
        (lambda d: d.update(levels=d["levels"][:1]), "levels:"),
        (lambda d: d["levels"][1].update(below=10), "levels[1].below: must be greater"),
        (lambda d: d["levels"][1].update(level=3), "levels[1].level"),
        (lambda d: d["levels"][0].update(zone="hijau"), "levels[0].zone"),
        (lambda d: d["levels"][3].update(below=500), "levels[3].below: the last level"),
        (lambda d: d["levels"][0].pop("below"), "levels[0].below: a positive number"),
        (lambda d: d["levels"][0].update(below=True), "levels[0].below: a positive number"),
        (lambda d: d.update(extra=1), "extra: unknown key"),
    ],
)
def test_a_broken_document_is_refused_with_the_reason(change, problem):
    doc = copy.deepcopy(shipped())
    change(doc)
    problems = thresholds.validate_document(doc)
    assert any(p.startswith(problem) for p in problems), problems


def test_the_stored_document_carries_no_identity():
    assert thresholds.validate_document(shipped(), allow_metadata=False)
    _metadata, stored = thresholds.split_file(shipped())
    assert thresholds.validate_document(stored, allow_metadata=False) == []


@pytest.mark.django_db
def test_the_migration_loads_the_who_set_in_force_from_14_june_2021():
    stored = ThresholdSet.objects.get(slug="who-2021-06-14")
    assert stored.effective_from == dt.datetime(2021, 6, 14, tzinfo=JAKARTA)
    assert stored.document == thresholds.split_file(shipped())[1]
    assert thresholds.in_force(dt.datetime(2021, 11, 2, tzinfo=JAKARTA)) == stored
    assert thresholds.in_force(dt.datetime(2021, 6, 13, tzinfo=JAKARTA)) is None


@pytest.mark.django_db
def test_a_later_set_takes_over_from_its_start():
    first = ThresholdSet.objects.get(slug="who-2021-06-14")
    start = dt.datetime(2022, 1, 1, tzinfo=JAKARTA)
    first.effective_until = start
    first.save()
    stricter = copy.deepcopy(first.document)
    stricter["levels"][0]["below"] = 10
    later = ThresholdSet.objects.create(
        slug="stricter-2022", name="Stricter", effective_from=start, document=stricter
    )
    assert thresholds.in_force(start - dt.timedelta(seconds=1)) == first
    assert thresholds.in_force(start) == later


@pytest.mark.django_db
def test_the_admin_form_refuses_a_bad_document_and_an_overlap():
    from jejak.zones.admin import ThresholdSetForm

    _metadata, stored = thresholds.split_file(shipped())
    broken = copy.deepcopy(stored)
    broken["levels"][1]["below"] = 5
    form = ThresholdSetForm(
        data={
            "slug": "broken",
            "name": "Broken",
            "effective_from": "2030-01-01 00:00",
            "document": json.dumps(broken),
        }
    )
    assert not form.is_valid()
    assert "levels[1].below: must be greater than the level before" in str(form.errors)
    # The shipped set is open-ended: a second one from 2030 overlaps it.
    overlapping = ThresholdSetForm(
        data={
            "slug": "later",
            "name": "Later",
            "effective_from": "2030-01-01 00:00",
            "document": json.dumps(stored),
        }
    )
    assert not overlapping.is_valid()
    assert "who-2021-06-14" in str(overlapping.errors["effective_from"])
