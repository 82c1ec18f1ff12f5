"""Retention never deletes a record that still changes somebody's colour; expired status
passes go after their period."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from jejak.core.tests.retention_tools import ago, purge
from jejak.health import retention as health_retention
from jejak.screening import retention, service
from jejak.screening.facts import FACTS
from jejak.screening.models import StatusPass
from jejak.screening.tests.factories import (
    antigen_negative,
    born_years_before,
    contact,
    dose,
    exemption,
    make_person,
    pcr_negative,
    positive,
    quarantine,
)

RULESETS = Path(retention.__file__).parent / "rulesets"
DAY = dt.timedelta(days=1)


def test_every_fact_says_how_far_back_it_reads():
    # A fact without its reach would let the records it reads go too soon.
    assert set(retention.REACH) == set(FACTS)


def test_the_reach_of_the_shipped_rule_sets():
    spans = {
        path.stem: retention.document_lookback(json.loads(path.read_text()))
        for path in RULESETS.glob("*.json")
    }
    expected = {
        "doses": None,
        "lab_results": 90 * DAY,  # recovered < 90 days
        "designations": 90 * DAY,
        "quarantines": dt.timedelta(0),
    }
    assert spans["2021-09"] == expected
    assert spans["2022-07-17"] == expected | {"exemptions": dt.timedelta(0)}


def test_the_rule_sets_in_force_now_or_later_count_with_a_day_for_offline_scans(db):
    # 2021-09 ended in 2022: only 2022-07-17 counts, and it reads exemptions.
    spans = retention.colour_lookback(timezone.now())
    assert spans["lab_results"] == 91 * DAY
    assert spans["exemptions"] == DAY
    assert spans["doses"] is None


# People whose colour stands on old records, each shaped to sit at an edge of a rule.
PEOPLE = {
    "recovered, vaccinated": [positive(days_ago=89), dose(1, days_ago=400)],
    "positive within isolation": [positive(days_ago=9)],
    "contact, lifted by a negative": [contact(10), pcr_negative(hours_ago=30)],
    "contact in quarantine": [contact(10)],
    "negative beaten by a later positive": [
        antigen_negative(hours_ago=20),
        positive(hours_ago=10),
        dose(1, days_ago=300),
        dose(2, days_ago=270),
    ],
    "boosted long ago": [
        dose(1, days_ago=900),
        dose(2, days_ago=870),
        dose(3, days_ago=700),
        # Past every reach: these go, and change nothing.
        positive(days_ago=200),
        pcr_negative(days_ago=150),
        contact(120),
    ],
    "quarantined": [quarantine(started_days_ago=3, ends_in_days=0)],
    "quarantined last month": [quarantine(started_days_ago=40, ends_in_days=-30)],
    "exempt for years": [exemption()],
}


@pytest.mark.parametrize("shortest", [0, 1])
def test_no_colour_changes_however_short_the_periods(visitor, settings, monkeypatch, shortest):
    # The colours' reach alone (not the zones' longer one), periods as short as can be.
    monkeypatch.setattr(health_retention, "LOOKBACKS", [retention.colour_lookback])
    settings.JEJAK_HEALTH_RECORD_RETENTION_DAYS = shortest
    settings.JEJAK_DESIGNATION_RETENTION_DAYS = shortest
    now = timezone.now()
    people = []
    for serial, (name, builders) in enumerate(PEOPLE.items(), start=1):
        person = make_person(
            visitor,
            serial=serial,
            born=born_years_before(now, 30),
            relation="self" if serial == 1 else "other",
            full_name=name,
        )
        for build in builders:
            build(person.nik_index, now)
        people.append(person)
    before = {p.full_name: service.status_for_person(p, at=now).as_json() for p in people}

    records = purge("health-records", now=now)
    designations = purge("designations", now=now)
    assert records == {"doses": 0, "lab_results": 2, "quarantines": 1, "exemptions": 0}
    assert designations == {"designations": 1}

    after = {p.full_name: service.status_for_person(p, at=now).as_json() for p in people}
    assert after == before


def test_expired_status_passes_go_after_their_period(visitor, settings):
    settings.JEJAK_STATUS_PASS_RETENTION_DAYS = 1
    person = make_person(visitor)

    def status_pass(expired_days_ago: float) -> StatusPass:
        expires = ago(expired_days_ago)
        return StatusPass.objects.create(
            public_id=f"p{expired_days_ago}".replace(".", "")[:16].ljust(16, "a"),
            person=person,
            colour="hijau",
            reasons=["fully_vaccinated"],
            rule_set="2022-07-17",
            kid="k1",
            issued_at=expires - dt.timedelta(minutes=5),
            expires_at=expires,
        )

    old, recent = status_pass(2.1), status_pass(0.9)

    assert purge("status-passes") == {"passes": 1}

    assert list(StatusPass.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not StatusPass.objects.filter(pk=old.pk).exists()
