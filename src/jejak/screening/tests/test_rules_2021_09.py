"""The rule set of September 2021: every colour and every boundary, one row each."""

from __future__ import annotations

import datetime as dt

import pytest

from jejak.screening.tests.cases import run_case
from jejak.screening.tests.factories import (
    JKT,
    antigen_negative,
    contact,
    designation,
    dose,
    doses,
    exemption,
    pcr_negative,
    positive,
    quarantine,
)

AT = dt.datetime(2021, 10, 15, 10, 0, tzinfo=JKT)


CASES = [
    # (case, records, colour, reasons)
    ("no records", [], "merah", ["not_vaccinated"]),
    ("first dose only", [dose(1)], "kuning", ["partially_vaccinated"]),
    ("two doses", doses(2), "hijau", ["fully_vaccinated"]),
    ("three doses", doses(3), "hijau", ["fully_vaccinated"]),
    ("single-dose vaccine is complete", [dose(1, single=True)], "hijau", ["fully_vaccinated"]),
    (
        "same dose from two sources counts once",
        [dose(1, days_ago=60), dose(1, days_ago=59)],
        "kuning",
        ["partially_vaccinated"],
    ),
    ("dose given tomorrow not counted yet", [dose(1, days_ago=-1)], "merah", ["not_vaccinated"]),
    ("antigen negative 23 h ago", [antigen_negative(hours_ago=23)], "hijau", ["negative_antigen"]),
    ("antigen negative 25 h ago", [antigen_negative(hours_ago=25)], "merah", ["not_vaccinated"]),
    (
        "antigen negative 25 h ago, one dose",
        [antigen_negative(hours_ago=25), dose(1)],
        "kuning",
        ["partially_vaccinated"],
    ),
    ("PCR negative 47 h ago", [pcr_negative(hours_ago=47)], "hijau", ["negative_pcr"]),
    ("PCR negative 49 h ago", [pcr_negative(hours_ago=49)], "merah", ["not_vaccinated"]),
    (
        "antigen 47 h ago is not a PCR",
        [antigen_negative(hours_ago=47)],
        "merah",
        ["not_vaccinated"],
    ),
    (
        "result taken after the moment is ignored",
        [pcr_negative(hours_ago=-1)],
        "merah",
        ["not_vaccinated"],
    ),
    (
        "vaccinated and tested: both reasons",
        [*doses(2), pcr_negative(hours_ago=10)],
        "hijau",
        ["negative_pcr", "fully_vaccinated"],
    ),
    (
        "recovered 89 days ago with one dose",
        [positive(days_ago=89), dose(1)],
        "hijau",
        ["recovered_vaccinated"],
    ),
    (
        "recovered 91 days ago with one dose",
        [positive(days_ago=91), dose(1)],
        "kuning",
        ["partially_vaccinated"],
    ),
    (
        "recovered 89 days ago, no dose",
        [positive(days_ago=89)],
        "kuning",
        ["recovered_unvaccinated"],
    ),
    ("recovered 91 days ago, no dose", [positive(days_ago=91)], "merah", ["not_vaccinated"]),
    ("recovered 90 days ago, no dose", [positive(days_ago=90)], "merah", ["not_vaccinated"]),
    (
        "positive on day 9, vaccinated",
        [positive(days_ago=9), *doses(2)],
        "hitam",
        ["positive_isolation"],
    ),
    ("positive today", [positive(hours_ago=1)], "hitam", ["positive_isolation"]),
    (
        "positive on day 10 is released",
        [positive(days_ago=10), *doses(2)],
        "hijau",
        ["recovered_vaccinated", "fully_vaccinated"],
    ),
    (
        "positive then negative on the same day",
        [positive(hours_ago=2), antigen_negative(hours_ago=1), *doses(2)],
        "hitam",
        ["positive_isolation"],
    ),
    (
        "negative then positive on the same day",
        [pcr_negative(hours_ago=3), positive(hours_ago=1)],
        "hitam",
        ["positive_isolation"],
    ),
    (
        "positive-case designation",
        [designation("positive_case", days_ago=3)],
        "hitam",
        ["positive_isolation"],
    ),
    (
        "positive-case designation lifted early",
        [designation("positive_case", days_ago=3, ended_hours_ago=1), *doses(2)],
        "hijau",
        ["recovered_vaccinated", "fully_vaccinated"],
    ),
    ("close contact on day 10", [contact(10), *doses(2)], "hitam", ["close_contact"]),
    ("close contact on day 11", [contact(11), *doses(2)], "hijau", ["fully_vaccinated"]),
    ("close contact on day 11, unvaccinated", [contact(11)], "merah", ["not_vaccinated"]),
    # A designation with its own length (a measles profile's 21 days) outlasts the rule's.
    ("21-day contact on day 21", [contact(21, days=21), *doses(2)], "hitam", ["close_contact"]),
    ("21-day contact on day 22", [contact(22, days=21), *doses(2)], "hijau", ["fully_vaccinated"]),
    (
        "close contact with a negative test after exposure",
        [contact(3), antigen_negative(hours_ago=30), *doses(2)],
        "hijau",
        ["fully_vaccinated"],
    ),
    (
        "close contact with a negative test before exposure",
        [contact(3), pcr_negative(days_ago=4), *doses(2)],
        "hitam",
        ["close_contact"],
    ),
    (
        "close contact lifted by an officer",
        [contact(3, ended_hours_ago=2), *doses(2)],
        "hijau",
        ["fully_vaccinated"],
    ),
    (
        "positive and close contact: both reasons",
        [positive(days_ago=1), contact(2)],
        "hitam",
        ["positive_isolation", "close_contact"],
    ),
    (
        "travel quarantine",
        [quarantine(started_days_ago=2, ends_in_days=5), *doses(2)],
        "hitam",
        ["travel_quarantine"],
    ),
    (
        "travel quarantine, last day",
        [quarantine(started_days_ago=7, ends_in_days=0)],
        "hitam",
        ["travel_quarantine"],
    ),
    (
        "travel quarantine over yesterday",
        [quarantine(started_days_ago=8, ends_in_days=-1), *doses(2)],
        "hijau",
        ["fully_vaccinated"],
    ),
    ("medical exemption is not a rule of 2021", [exemption()], "merah", ["not_vaccinated"]),
]


@pytest.mark.parametrize(
    ("records", "colour", "reasons"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_rule_set_2021_09(db, records, colour, reasons):
    result = run_case(records, at=AT)
    assert (result.colour, result.reasons, result.rule_set) == (colour, reasons, "2021-09")


def test_every_colour_is_covered():
    assert {case[2] for case in CASES} == {"hijau", "kuning", "merah", "hitam"}
