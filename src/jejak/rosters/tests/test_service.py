"""Roster writes: adding and ending entries (encrypted, masked, audited), CSV import
(all or nothing, errors by line) and the check-in path's look-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.core.phone import phone_index
from jejak.people.nik import nik_index
from jejak.rosters import service
from jejak.rosters.errors import RosterError
from jejak.rosters.models import RosterEntry
from jejak.rosters.tests.conftest import nik

pytestmark = pytest.mark.django_db

TODAY = dt.date(2021, 10, 20)
NOW = dt.datetime(2021, 10, 20, 3, 0, tzinfo=dt.UTC)  # 10:00 in Jakarta


def audit_rows() -> list[tuple[str, dict[str, Any]]]:
    rows = AuditEvent.objects.filter(action__startswith="rosters.").order_by("id")
    return list(rows.values_list("action", "detail"))


def test_a_phone_entry_is_stored_encrypted_and_audited_masked(manager, hall):
    entry = service.add_entry(
        actor=manager, venue=hall, phone="0812-3456-7890", role="Satpam", now=NOW
    )
    assert entry.phone_index == phone_index("+6281234567890")
    assert entry.phone_masked == "+62812****7890" and entry.nik_index == ""
    assert b"81234567890" not in bytes(entry.phone_encrypted)
    assert (entry.valid_from, entry.valid_until, entry.created_by) == (TODAY, None, manager)
    [(action, detail)] = audit_rows()
    assert action == "rosters.entry_added"
    assert detail == {
        "venue": "PUSPEM-UJI",
        "identifier": "phone",
        "masked": "+62812****7890",
        "role": "Satpam",
        "valid_from": "2021-10-20",
        "valid_until": None,
        "source": "form",
    }
    assert "81234567890" not in str(
        AuditEvent.objects.filter(action__startswith="rosters.").get().detail
    )


def test_a_nik_entry_is_found_by_the_nik_index(manager, hall):
    entry = service.add_entry(
        actor=manager,
        venue=hall,
        nik=nik(7),
        role="Kasir",
        valid_from=TODAY,
        valid_until=TODAY + dt.timedelta(days=90),
        now=NOW,
    )
    assert (
        entry.nik_index == nik_index(nik(7)) and entry.nik_masked == nik(7)[:4] + "*" * 8 + "0007"
    )
    assert audit_rows()[0][1]["masked"] == entry.nik_masked


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, "identifier_missing"),
        ({"phone": "0812-3456-7890", "nik": nik()}, "identifier_missing"),
        ({"phone": "021-555-1234"}, "phone_invalid"),
        ({"nik": "1234"}, "nik_invalid"),
        ({"nik": nik(), "role": " "}, "role_invalid"),
        ({"nik": nik(), "role": "Satpam\x00"}, "role_invalid"),
        ({"nik": nik(), "valid_until": TODAY - dt.timedelta(days=1)}, "period_invalid"),
    ],
)
def test_invalid_entries_are_refused_with_a_code(manager, hall, fields, code):
    fields = {"role": "Satpam"} | fields
    with pytest.raises(RosterError) as refused:
        service.add_entry(actor=manager, venue=hall, now=NOW, **fields)
    assert refused.value.code == code
    assert not RosterEntry.objects.exists() and audit_rows() == []


def test_the_same_person_twice_for_an_overlapping_period_is_refused(manager, hall, other_hall):
    service.add_entry(
        actor=manager, venue=hall, nik=nik(), role="Satpam", valid_until=TODAY, now=NOW
    )
    with pytest.raises(RosterError) as refused:
        service.add_entry(actor=manager, venue=hall, nik=nik(), role="Kasir", now=NOW)
    assert refused.value.code == "already_on_roster"
    # After the period, or at another venue, the person may be added again.
    service.add_entry(
        actor=manager, venue=hall, nik=nik(), role="Kasir", valid_from=TODAY + dt.timedelta(1)
    )
    service.add_entry(actor=manager, venue=other_hall, nik=nik(), role="Satpam", now=NOW)


def test_ending_an_entry_is_audited_and_stops_it_counting(manager, hall, make_user):
    from jejak.accounts.roles import Role
    from jejak.screening.tests.factories import make_person

    account = make_user(Role.VISITOR)
    person = make_person(account, serial=3)
    entry = service.add_entry(actor=manager, venue=hall, nik=nik(3), role="Satpam", now=NOW)
    assert person.nik_index == entry.nik_index
    claim = (person.pk, hall.pk, NOW + dt.timedelta(hours=1))
    assert service.rostered(claims=[claim]) == {claim}
    ended = service.end_entry(
        actor=manager, venue=hall, entry_id=entry.pk, now=NOW + dt.timedelta(minutes=30)
    )
    assert ended.ended_by == manager
    assert service.rostered(claims=[claim]) == set()
    before = (person.pk, hall.pk, NOW + dt.timedelta(minutes=10))
    assert service.rostered(claims=[before]) == {before}  # an offline scan before the end
    assert [a for a, _d in audit_rows()] == ["rosters.entry_added", "rosters.entry_ended"]
    # Ending it again changes nothing and writes nothing.
    service.end_entry(actor=manager, venue=hall, entry_id=entry.pk)
    assert len(audit_rows()) == 2


def test_an_entry_of_another_venue_cannot_be_ended(manager, hall, other_hall):
    entry = service.add_entry(actor=manager, venue=other_hall, nik=nik(), role="Satpam")
    with pytest.raises(RosterError) as refused:
        service.end_entry(actor=manager, venue=hall, entry_id=entry.pk)
    assert refused.value.code == "entry_not_found"
    assert RosterEntry.objects.get().ended_at is None


def test_no_claims_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert service.rostered(claims=[]) == set()


# --- CSV import ---------------------------------------------------------------------


def test_a_csv_import_adds_every_line(manager, hall):
    data = (
        "phone,nik,role,valid_from,valid_until\n"
        "0812-3456-7890,,Satpam,2021-10-01,\n"
        f",{nik(2)},Kasir,,2022-03-31\n"
    ).encode()
    result = service.import_csv(actor=manager, venue=hall, data=data, now=NOW)
    assert result.errors == []
    first, second = result.created
    assert (first.phone_masked, first.role, first.valid_from) == (
        "+62812****7890",
        "Satpam",
        dt.date(2021, 10, 1),
    )
    assert (second.nik_index, second.valid_from, second.valid_until) == (
        nik_index(nik(2)),
        TODAY,
        dt.date(2022, 3, 31),
    )
    sources = [d["source"] for a, d in audit_rows() if a == "rosters.entry_added"]
    assert sources == ["csv", "csv"]


def test_a_csv_from_an_indonesian_spreadsheet_is_read(manager, hall):
    # Semicolons, a byte-order mark, Indonesian column names and day-first dates.
    data = (
        "\ufeffNomor HP;Jabatan;Berlaku Mulai;Berlaku Sampai\n"
        "0812 3456 7890;Satpam;01/10/2021;31/12/2021\n"
    )
    result = service.import_csv(actor=manager, venue=hall, data=data.encode(), now=NOW)
    assert result.errors == []
    [entry] = result.created
    assert (entry.valid_from, entry.valid_until) == (dt.date(2021, 10, 1), dt.date(2021, 12, 31))


def test_a_csv_with_errors_writes_nothing_and_reports_each_line(manager, hall):
    service.add_entry(actor=manager, venue=hall, nik=nik(9), role="Satpam", now=NOW)
    before = len(audit_rows())
    data = (
        "phone,nik,role,valid_from,valid_until\n"
        "0812-3456-7890,,Satpam,,\n"  # fine
        "12345,,Satpam,,\n"  # 3: not a mobile number
        f",{nik(2)},,,\n"  # 4: no role
        f",{nik(3)},Kasir,2021-13-01,\n"  # 5: no such date
        "\n"
        f",{nik(4)},Kasir,2021-10-10,2021-10-01\n"  # 7: ends before it starts
        "0812-3456-7890,,Kasir,,\n"  # 8: twice in the file
        ",,Kasir,,\n"  # 9: nobody
    ).encode()
    result = service.import_csv(actor=manager, venue=hall, data=data, now=NOW)
    assert result.created == []
    assert [(e.row, e.code) for e in result.errors] == [
        (3, "phone_invalid"),
        (4, "role_invalid"),
        (5, "date_invalid"),
        (7, "period_invalid"),
        (8, "duplicate_in_file"),
        (9, "identifier_missing"),
    ]
    assert all(e.message for e in result.errors)
    assert RosterEntry.objects.count() == 1 and len(audit_rows()) == before


def test_a_csv_naming_someone_already_on_the_roster_writes_nothing(manager, hall):
    service.add_entry(actor=manager, venue=hall, nik=nik(9), role="Satpam", now=NOW)
    data = f"nik,role\n{nik(1)},Kasir\n{nik(9)},Kasir\n".encode()
    result = service.import_csv(actor=manager, venue=hall, data=data, now=NOW)
    assert [(e.row, e.code) for e in result.errors] == [(3, "already_on_roster")]
    assert RosterEntry.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"name,city\nBudi,Tangerang\n",  # no identifier or role column
        "phone,role\n0812-3456-7890,Satpam\n".encode("utf-16"),
        b"phone,role\n",  # no lines
    ],
)
def test_a_file_that_is_not_a_roster_is_refused_as_a_whole(manager, hall, data):
    result = service.import_csv(actor=manager, venue=hall, data=data, now=NOW)
    assert [(e.row, e.code) for e in result.errors] == [(1, "csv_invalid")]
    assert not RosterEntry.objects.exists()


def test_too_many_lines_are_refused(manager, hall, monkeypatch):
    monkeypatch.setattr(service, "MAX_IMPORT_ROWS", 2)
    data = "nik,role\n" + "".join(f"{nik(n)},Kasir\n" for n in range(1, 4))
    result = service.import_csv(actor=manager, venue=hall, data=data.encode(), now=NOW)
    assert [e.code for e in result.errors] == ["csv_invalid"]


def test_today_is_the_local_day(manager, hall):
    late = dt.datetime(2021, 10, 20, 18, 0, tzinfo=dt.UTC)  # 01:00 on the 21st in Jakarta
    entry = service.add_entry(actor=manager, venue=hall, nik=nik(), role="Satpam", now=late)
    assert entry.valid_from == timezone.localtime(late).date() == dt.date(2021, 10, 21)
