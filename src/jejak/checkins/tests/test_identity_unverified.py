"""A person whose identity the registry has not confirmed is not screened and does not
enter, whatever their records say and whatever visitor type is claimed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role
from jejak.checkins.models import CheckIn
from jejak.checkins.tests.conftest import COLOUR_RECORDS, add_person
from jejak.screening.tests.factories import make_person

pytestmark = pytest.mark.django_db


def _unverified_visitor(make_user: Any, colour: str) -> Any:
    account = make_user(Role.VISITOR)
    person = make_person(account, unverified=True, serial=7001)
    for build in COLOUR_RECORDS[colour]:
        build(person.nik_index, timezone.now())
    return account


def test_an_unverified_hijau_person_is_denied_identity_unverified(
    make_user: Any, check_in: Any, policy: Any
) -> None:
    account = _unverified_visitor(make_user, "hijau")

    [entry] = check_in(account)["people"]

    assert entry["decision"] == "denied"
    assert entry["reasons"] == ["identity_unverified"]
    assert (entry["colour"], entry["colour_reasons"]) == ("unverified", ["identity_unverified"])
    stored = CheckIn.objects.get()
    assert (stored.decision, stored.colour) == ("denied", "unverified")


def test_claiming_to_be_an_employee_does_not_help_an_unverified_person(
    make_user: Any, check_in: Any, policy: Any
) -> None:
    account = _unverified_visitor(make_user, "hijau")

    [entry] = check_in(account, visitor_type="employee")["people"]

    assert entry["decision"] == "denied"
    assert "identity_unverified" in entry["reasons"]


def test_a_verified_family_member_still_enters_beside_an_unverified_one(
    make_user: Any, check_in: Any, policy: Any
) -> None:
    account = _unverified_visitor(make_user, "hijau")
    relative = add_person(account, "hijau", relation="spouse", full_name="Istri")

    entries = check_in(account, people=["self", relative.public_id])["people"]

    assert [e["decision"] for e in entries] == ["denied", "allowed"]


def test_my_status_says_unverified_and_not_the_records_colour(make_user: Any) -> None:
    account = _unverified_visitor(make_user, "hitam")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user=account, name='x')[1]}")

    [row] = client.get("/api/v1/me/status").json()

    assert (row["colour"], row["reasons"]) == ("unverified", ["identity_unverified"])
