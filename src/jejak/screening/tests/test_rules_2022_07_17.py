"""The rule set of 17 July 2022 (boosters for adults): every colour and every boundary."""

from __future__ import annotations

import datetime as dt

import pytest

from jejak.screening.tests.cases import run_case
from jejak.screening.tests.factories import (
    JKT,
    antigen_negative,
    contact,
    dose,
    doses,
    exemption,
    pcr_negative,
    positive,
    quarantine,
)

AT = dt.datetime(2022, 9, 1, 10, 0, tzinfo=JKT)
ADULT = None  # born 1990
AGE_18 = (18, 0)  # 18th birthday today
AGE_17 = (18, 1)  # turns 18 tomorrow
AGE_6 = (6, 0)
AGE_5 = (6, 1)  # turns 6 tomorrow


CASES = [
    # (case, age, records, colour, reasons)
    ("adult, no records", ADULT, [], "merah", ["not_vaccinated"]),
    ("adult, one dose", ADULT, [dose(1)], "kuning", ["partially_vaccinated"]),
    ("adult, two doses", ADULT, doses(2), "kuning", ["booster_missing"]),
    ("adult, booster", ADULT, doses(3), "hijau", ["booster_complete"]),
    (
        "adult, single-dose vaccine only",
        ADULT,
        [dose(1, single=True)],
        "kuning",
        ["booster_missing"],
    ),
    (
        "adult, single-dose vaccine and a booster",
        ADULT,
        [dose(1, single=True), dose(2)],
        "hijau",
        ["booster_complete"],
    ),
    ("18 today, two doses", AGE_18, doses(2), "kuning", ["booster_missing"]),
    ("18 today, booster", AGE_18, doses(3), "hijau", ["booster_complete"]),
    ("17 (18 tomorrow), two doses", AGE_17, doses(2), "hijau", ["fully_vaccinated"]),
    ("17, one dose", AGE_17, [dose(1)], "kuning", ["partially_vaccinated"]),
    ("17, single-dose vaccine", AGE_17, [dose(1, single=True)], "hijau", ["fully_vaccinated"]),
    ("6 today, two doses", AGE_6, doses(2), "hijau", ["fully_vaccinated"]),
    ("6 today, no records", AGE_6, [], "merah", ["not_vaccinated"]),
    ("5 (6 tomorrow), no records", AGE_5, [], "hijau", ["below_vaccination_age"]),
    ("5, close contact", AGE_5, [contact(2)], "hitam", ["close_contact"]),
    ("adult, medical exemption", ADULT, [exemption()], "hijau", ["medical_exemption"]),
    (
        "adult, exempt and positive",
        ADULT,
        [exemption(), positive(days_ago=2)],
        "hitam",
        ["positive_isolation"],
    ),
    (
        "antigen negative 23 h ago",
        ADULT,
        [antigen_negative(hours_ago=23)],
        "hijau",
        ["negative_antigen"],
    ),
    (
        "antigen negative 25 h ago",
        ADULT,
        [antigen_negative(hours_ago=25)],
        "merah",
        ["not_vaccinated"],
    ),
    (
        "PCR negative 47 h ago, two doses",
        ADULT,
        [pcr_negative(hours_ago=47), *doses(2)],
        "hijau",
        ["negative_pcr"],
    ),
    (
        "PCR negative 49 h ago, two doses",
        ADULT,
        [pcr_negative(hours_ago=49), *doses(2)],
        "kuning",
        ["booster_missing"],
    ),
    (
        "recovered 89 days ago with one dose",
        ADULT,
        [positive(days_ago=89), dose(1)],
        "hijau",
        ["recovered_vaccinated"],
    ),
    (
        "recovered 91 days ago with one dose",
        ADULT,
        [positive(days_ago=91), dose(1)],
        "kuning",
        ["partially_vaccinated"],
    ),
    (
        "recovered 89 days ago, no dose",
        ADULT,
        [positive(days_ago=89)],
        "kuning",
        ["recovered_unvaccinated"],
    ),
    ("recovered 91 days ago, no dose", ADULT, [positive(days_ago=91)], "merah", ["not_vaccinated"]),
    (
        "positive and negative on the same day",
        ADULT,
        [antigen_negative(hours_ago=1), positive(hours_ago=2), *doses(3)],
        "hitam",
        ["positive_isolation"],
    ),
    (
        "positive on day 9",
        ADULT,
        [positive(days_ago=9), *doses(3)],
        "hitam",
        ["positive_isolation"],
    ),
    ("close contact on day 10", ADULT, [contact(10), *doses(3)], "hitam", ["close_contact"]),
    ("close contact on day 11", ADULT, [contact(11), *doses(3)], "hijau", ["booster_complete"]),
    (
        "travel quarantine",
        ADULT,
        [quarantine(started_days_ago=1, ends_in_days=3), *doses(3)],
        "hitam",
        ["travel_quarantine"],
    ),
]


@pytest.mark.parametrize(
    ("age", "records", "colour", "reasons"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_rule_set_2022_07_17(db, age, records, colour, reasons):
    result = run_case(records, at=AT, age=age)
    assert (result.colour, result.reasons, result.rule_set) == (colour, reasons, "2022-07-17")


def test_every_colour_is_covered():
    assert {case[3] for case in CASES} == {"hijau", "kuning", "merah", "hitam"}
