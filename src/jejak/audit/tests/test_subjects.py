"""An account's subject key: its own person's NIK blind index, never a dependant's."""

import datetime as dt

import pytest

from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.audit import subjects
from jejak.audit.admin_reads import mask_search
from jejak.people.models import Person

pytestmark = pytest.mark.django_db


def _person(account, relation, key):
    return Person.objects.create(
        account=account,
        relation=relation,
        nik_index=key,
        nik_encrypted=b"-",
        nik_masked="3671********0001",
        full_name="Uji",
        birth_date=dt.date(1990, 1, 1),
        sex="M",
    )


def test_an_account_is_keyed_by_its_own_person_only():
    holder = UserFactory(role=Role.VISITOR, phone_index="p" * 64)
    _person(holder, "child", "c" * 64)
    _person(holder, "self", "s" * 64)
    staff = UserFactory(role=Role.HEALTH_OFFICER)

    assert subjects.of_accounts([holder.pk, staff.pk, None]) == {holder.pk: "s" * 64}
    assert subjects.of_phone_indexes(["p" * 64, "q" * 64, ""]) == {"p" * 64: "s" * 64}
    assert subjects.of_accounts([]) == {} and subjects.of_phone_indexes([]) == {}


def test_a_search_term_keeps_no_identifier_in_clear():
    assert mask_search(" Sari 081234567890 ") == "S*** 0812********"
    assert mask_search("3671014409990004") == "3671************"
    assert mask_search("PUSPEM-TNG 12") == "P*****-T** 12"
    assert len(mask_search("9" * 500)) == 100
