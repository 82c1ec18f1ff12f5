"""The status service: which rule set decides, NIKs with and without a profile, cost."""

from __future__ import annotations

import datetime as dt

import pytest

from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.people.nik import nik_index
from jejak.people.tests.factories import make_nik
from jejak.screening import service
from jejak.screening.errors import ErrorCode, ScreeningError
from jejak.screening.models import RuleSet
from jejak.screening.tests.factories import (
    JKT,
    contact,
    doses,
    exemption,
    lab,
    make_person,
    quarantine,
)


def records_for(index: str, at: dt.datetime, *builders) -> None:
    for build in builders:
        build(index, at)


def test_rule_set_is_chosen_by_date(db):
    index = "adult-two-doses"
    records_for(index, dt.datetime(2022, 7, 1, tzinfo=JKT), *doses(2))
    born = dt.date(1990, 1, 1)
    last_minute_of_old = dt.datetime(2022, 7, 16, 23, 59, 59, tzinfo=JKT)
    first_moment_of_new = dt.datetime(2022, 7, 17, 0, 0, tzinfo=JKT)
    before = service.status(nik_index=index, birth_date=born, at=last_minute_of_old)
    after = service.status(nik_index=index, birth_date=born, at=first_moment_of_new)
    assert (before.colour, before.rule_set) == ("hijau", "2021-09")
    assert (after.colour, after.rule_set) == ("kuning", "2022-07-17")
    assert after.evaluated_at == first_moment_of_new


def test_no_rule_set_in_force_is_a_clear_error(db):
    with pytest.raises(ScreeningError) as caught:
        service.status(
            nik_index="x", birth_date=dt.date(1990, 1, 1), at=dt.datetime(2021, 8, 31, tzinfo=JKT)
        )
    assert caught.value.code == ErrorCode.NO_RULE_SET


def test_naive_datetimes_are_refused(db):
    with pytest.raises(ValueError, match="aware"):
        service.status(nik_index="x", birth_date=dt.date(1990, 1, 1), at=dt.datetime(2022, 8, 1))


def test_unregistered_nik_is_screened_from_its_records(db, city):
    at = dt.datetime(2022, 9, 1, 10, tzinfo=JKT)
    # 16 years old on `at`: two doses are green for 6-17 (an adult would be yellow).
    nik = make_nik(born=dt.date(2006, 3, 12), sex="F", serial=7)
    records_for(nik_index(nik), at, *doses(2))
    result = service.status_for_nik(nik, at=at)
    assert (result.colour, result.reasons) == ("hijau", ["fully_vaccinated"])


def test_registered_birth_date_is_preferred(db, city, make_user):
    at = dt.datetime(2022, 9, 1, 10, tzinfo=JKT)
    person = make_person(make_user("visitor"), born=dt.date(2006, 3, 12))
    # A registered date that disagrees with the NIK's digits wins: 30 years old here.
    type(person).objects.filter(pk=person.pk).update(birth_date=dt.date(1992, 3, 12))
    records_for(person.nik_index, at, *doses(2))
    nik = make_nik(born=dt.date(2006, 3, 12), serial=1)
    assert service.status_for_nik(nik, at=at).colour == "kuning"
    person.refresh_from_db()
    assert service.status_for_person(person, at=at).colour == "kuning"


def test_invalid_nik(db, city):
    with pytest.raises(ScreeningError) as caught:
        service.status_for_nik("1234")
    assert caught.value.code == ErrorCode.NIK_INVALID
    assert "nik_format" in caught.value.message


def test_family_statuses_in_one_go(db):
    at = dt.datetime(2022, 9, 1, 10, tzinfo=JKT)
    records_for("parent", at, *doses(3))
    records_for("child", at, contact(2))
    found = service.statuses(
        people=[("parent", dt.date(1980, 1, 1)), ("child", dt.date(2012, 1, 1))], at=at
    )
    assert [s.colour for s in found] == ["hijau", "hitam"]


def test_status_costs_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    at = dt.datetime(2022, 9, 1, 10, tzinfo=JKT)
    records_for(
        "busy",
        at,
        *doses(3),
        lab("antigen", "negative", hours_ago=5),
        lab("pcr", "positive", days_ago=200),
        contact(30),
        quarantine(started_days_ago=40, ends_in_days=-30),
        exemption(),
    )
    # The rule sets (cold cache), then one query for every record table it reads.
    with django_assert_max_num_queries(6):
        result = service.status(nik_index="busy", birth_date=dt.date(1980, 1, 1), at=at)
    assert result.colour == "hijau"
    family = [(f"member-{n}", dt.date(1980 + n, 1, 1)) for n in range(6)]
    with django_assert_max_num_queries(6):
        service.statuses(people=family, at=at)


def test_a_set_without_exemptions_skips_that_table(db, django_assert_num_queries):
    at = dt.datetime(2021, 10, 1, tzinfo=JKT)
    # The caches' versions (3: a savepoint around them, as the test runs in a transaction),
    # the rule sets (cold cache), then one UNION ALL of the four tables the set reads.
    with django_assert_num_queries(5) as captured:
        service.status(nik_index="x", birth_date=dt.date(1990, 1, 1), at=at)
    records_sql = captured.captured_queries[-1]["sql"]
    assert VaccinationExemption._meta.db_table not in records_sql
    for model in (VaccinationDose, LabResult, Designation, TravelQuarantine):
        assert model._meta.db_table in records_sql


# Loading rule sets


def new_set(**changes) -> dict:
    doc = {
        "format": "jejak-rules/1",
        "slug": "2030-01",
        "name": "Test",
        "effective_from": "2030-01-01",
        "default": {"colour": "merah", "reason": "not_vaccinated"},
        "rules": [
            {"when": [{"fact": "doses", "min": 1}], "colour": "hijau", "reason": "fully_vaccinated"}
        ],
    }
    doc.update(changes)
    return doc


def test_overlapping_set_is_refused(db):
    with pytest.raises(service.RuleSetRefused) as caught:
        service.load_rule_set(document=new_set())
    assert caught.value.problems == [
        "effective range overlaps rule set '2022-07-17' (2022-07-17 00:00 - open)"
    ]


def test_close_previous_ends_the_set_in_force(db):
    created, was_new = service.load_rule_set(document=new_set(), close_previous=True)
    assert was_new
    assert RuleSet.objects.get(slug="2022-07-17").effective_until == created.effective_from
    at = dt.datetime(2030, 2, 1, tzinfo=JKT)
    assert service.rule_set_in_force(at=at).slug == "2030-01"
    assert service.rule_set_in_force(at=at - dt.timedelta(days=60)).slug == "2022-07-17"


def test_close_previous_never_swallows_a_later_set(db):
    # Starting inside 2021-09 would overlap both it and 2022-07-17: refused all the same.
    with pytest.raises(service.RuleSetRefused):
        service.load_rule_set(document=new_set(effective_from="2022-01-01"), close_previous=True)


def test_same_file_twice_changes_nothing(db):
    service.load_rule_set(document=new_set(), close_previous=True)
    _again, was_new = service.load_rule_set(document=new_set(), close_previous=True)
    assert not was_new
    assert RuleSet.objects.filter(slug="2030-01").count() == 1


def test_other_content_under_a_stored_slug_is_refused(db):
    with pytest.raises(service.RuleSetRefused) as caught:
        service.load_rule_set(document=new_set(slug="2021-09", effective_until="2030-02-01"))
    assert "exists with other content" in caught.value.problems[0]


def test_invalid_document_is_refused_with_problems(db):
    with pytest.raises(service.RuleSetRefused) as caught:
        service.load_rule_set(document=new_set(rules=[]))
    assert caught.value.problems == ["rules: must be a non-empty list"]
    assert not RuleSet.objects.filter(slug="2030-01").exists()


def test_rule_sets_come_from_the_process_cache_until_one_is_written(db, django_assert_num_queries):
    at = dt.datetime(2030, 2, 1, tzinfo=JKT)
    assert service.rule_set_in_force(at=at).slug == "2022-07-17"
    with django_assert_num_queries(0):
        assert service.rule_set_in_force(at=at).slug == "2022-07-17"
    service.load_rule_set(document=new_set(), close_previous=True)
    assert service.rule_set_in_force(at=at).slug == "2030-01"
    # A write the signals do not see (another process's) is noticed through the token.
    RuleSet.objects.filter(slug="2030-01").update(effective_from=at + dt.timedelta(days=1))
    assert service.rule_set_in_force(at=at).slug == "2030-01"
    service.invalidate_rule_sets()
    with pytest.raises(ScreeningError):  # 2022-07-17 ended where 2030-01 began
        service.rule_set_in_force(at=at)
