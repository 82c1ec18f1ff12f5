"""The entry decision as a table: pure functions, no database (checkins/decision.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import pytest

from jejak.checkins.decision import Entry, apply_capacity_and_parents, decide
from jejak.checkins.people_lock import LockedPerson
from jejak.checkins.tests.conftest import PLAIN
from jejak.screening.models import UNVERIFIED

# 10:00 in Jakarta on a weekday.
AT = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
ADULT = dt.date(1990, 5, 1)
CHILD = dt.date(2020, 5, 1)


def person(born: dt.date = ADULT, pk: int = 1) -> LockedPerson:
    return LockedPerson(pk, f"p{pk}", "self", f"idx{pk}", born, "3671**********01", AT)


def status(colour: str, *reasons: str) -> SimpleNamespace:
    return SimpleNamespace(colour=colour, reasons=list(reasons))


@pytest.mark.parametrize(
    ("colour", "visitor_type", "decision", "reasons"),
    [
        ("hijau", "guest", "allowed", []),
        ("kuning", "guest", "allowed_after_staff_check", []),
        ("merah", "guest", "denied", ["status_red"]),
        ("hitam", "guest", "denied", ["status_black"]),
        ("hijau", "employee", "allowed", []),
        ("kuning", "employee", "allowed", []),
        ("merah", "employee", "allowed", []),
        ("hitam", "employee", "denied", ["status_black"]),
        (UNVERIFIED, "guest", "denied", ["identity_unverified"]),
        (UNVERIFIED, "employee", "denied", ["identity_unverified"]),
    ],
)
def test_colour_and_visitor_type(colour, visitor_type, decision, reasons):
    entry = decide(person(), status(colour), policy=PLAIN, visitor_type=visitor_type, at=AT)
    assert (str(entry.decision), [str(r) for r in entry.reasons]) == (decision, reasons)


@pytest.mark.parametrize(
    ("opens", "closes", "visitor_type", "reasons"),
    [
        (dt.time(9), dt.time(21), "guest", []),
        (dt.time(11), dt.time(21), "guest", ["outside_hours"]),
        (dt.time(11), dt.time(21), "employee", []),  # staff work before opening
        (dt.time(18), dt.time(0), "guest", ["outside_hours"]),  # across midnight
    ],
)
def test_opening_hours_bind_guests_only(opens, closes, visitor_type, reasons):
    policy = dataclasses.replace(PLAIN, opens_at=opens, closes_at=closes)
    entry = decide(person(), status("hijau"), policy=policy, visitor_type=visitor_type, at=AT)
    assert [str(r) for r in entry.reasons] == reasons


@pytest.mark.parametrize(
    ("rule", "colour_reasons", "reasons", "waits_for_parent"),
    [
        ("allowed", [], [], False),
        ("denied", [], ["age_restricted"], False),
        ("negative_test", [], ["age_restricted"], False),
        ("negative_test", ["negative_pcr"], [], False),
        ("with_parent", [], [], True),
    ],
)
def test_children_rules(rule, colour_reasons, reasons, waits_for_parent):
    policy = dataclasses.replace(PLAIN, children_age_below=12, children_rule=rule)
    entry = decide(
        person(CHILD), status("hijau", *colour_reasons), policy=policy, visitor_type="guest", at=AT
    )
    assert [str(r) for r in entry.reasons] == reasons
    assert entry.child is waits_for_parent


def entry(born: dt.date, pk: int, *, child: bool = False, visitor_type: str = "guest") -> Entry:
    made = Entry(person(born, pk), "hijau", [], [], visitor_type=visitor_type)
    made.adult, made.child = born == ADULT, child
    return made


@pytest.mark.parametrize(
    ("inside", "capacity", "admitted", "refused"),
    [
        (0, 10, 3, {}),
        (8, 10, 2, {3: ["capacity_full"]}),  # adults first: the child loses the last place
        (9, 10, 1, {2: ["capacity_full"], 3: ["capacity_full"]}),
        # No adult got in, so the child may not enter without one.
        (10, 10, 0, {1: ["capacity_full"], 2: ["capacity_full"], 3: ["age_restricted"]}),
    ],
)
def test_capacity_goes_to_adults_first(inside, capacity, admitted, refused):
    group = [entry(ADULT, 1), entry(ADULT, 2), entry(CHILD, 3, child=True)]
    assert apply_capacity_and_parents(group, inside=inside, capacity=capacity) == admitted
    assert {e.person.pk: [str(r) for r in e.reasons] for e in group if e.reasons} == refused


def test_a_child_without_an_admitted_adult_is_refused():
    adult, child = entry(ADULT, 1), entry(CHILD, 2, child=True)
    adult.reasons.append("status_red")
    assert apply_capacity_and_parents([adult, child], inside=0, capacity=10) == 0
    assert [str(r) for r in child.reasons] == ["age_restricted"]


def test_employees_enter_a_full_venue():
    staff = entry(ADULT, 1, visitor_type="employee")
    assert apply_capacity_and_parents([staff], inside=10, capacity=10) == 1
    assert staff.reasons == []
