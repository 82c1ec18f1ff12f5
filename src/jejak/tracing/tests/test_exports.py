"""Contact lists exported for a case are safe to open in a spreadsheet whatever people and
venues are called, and carry what an officer needs to call each contact."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from jejak.audit.models import AuditEvent
from jejak.core.exports import FORMULA_TRIGGERS
from jejak.tracing import cases, exports, search
from jejak.tracing.tests.conftest import NOW, T0, at, stay

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Printable text behind the prefixes a spreadsheet reads as a formula (or none).
NAMES = st.builds(
    lambda prefix, rest: (prefix + rest)[:150],
    st.sampled_from([*FORMULA_TRIGGERS, "", "=HYPERLINK(", "+1", "@SUM("]),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60),
)


@pytest.fixture
def traced(person, hotel):
    case_person, contact = person("Kasus"), person("Kontak")
    stay(case_person, hotel, at(0), at(1))
    stay(contact, hotel, at(0), at(1))
    case = cases.open_case(
        person=case_person, actor=None, specimen_date=T0.date(), isolation_started_at=at(1),
        now=NOW,
    )  # fmt: skip
    search.search_contacts(case=case, actor=None, now=NOW)
    return case, contact, hotel


def cells_of_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def cells_of_xlsx(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@FUZZ
@given(name=NAMES, venue_name=NAMES)
def test_no_exported_cell_is_a_formula(officer, traced, name, venue_name):
    case, contact, hotel = traced
    contact.full_name = name
    contact.save()
    hotel.name = venue_name[:200]
    hotel.save()
    search.search_contacts(case=case, actor=None, now=NOW)  # the visits name the venue anew

    csv_content, _kind, _name = exports.export_contacts(case=case, actor=officer, fmt="csv")
    xlsx_content, _kind, _name = exports.export_contacts(case=case, actor=officer, fmt="xlsx")

    csv_table, xlsx_table = cells_of_csv(csv_content), cells_of_xlsx(xlsx_content)
    for table in (csv_table, xlsx_table):
        assert len(table) == 2
        for cell in table[1]:
            assert not (isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS)), cell
    # Shown as typed, behind an apostrophe when it would be a formula. (XLSX, being XML,
    # turns a carriage return into a line feed, so the exact text is checked in the CSV.)
    assert csv_table[1][1] == ("'" + name if name.startswith(FORMULA_TRIGGERS) else name)


def test_the_export_lists_the_ranked_contacts_with_their_visits(officer, traced):
    case, contact, hotel = traced

    content, kind, filename = exports.export_contacts(case=case, actor=officer, fmt="csv")

    assert kind.startswith("text/csv")
    assert filename.startswith(f"kontak-kasus-{case.pk}-")
    header, row = cells_of_csv(content)
    assert header == exports.EXPORT_HEADERS
    assert row[:7] == ["1", "Kontak", contact.nik_masked, "", "ya", "tidak", "60"]
    assert hotel.name in row[-1] and "60.0 min" in row[-1]
    event = AuditEvent.objects.get(action="tracing.contacts.export")
    assert (event.actor, event.object_id, event.detail["rows"]) == (officer, str(case.pk), 1)


def test_the_trace_command_prints_json_and_csv(traced, capsys):
    case, contact, _hotel = traced

    call_command("trace", str(case.pk))
    document = json.loads(capsys.readouterr().out)
    call_command("trace", str(case.pk), "--format", "csv")
    table = cells_of_csv(capsys.readouterr().out.encode())

    assert document["case"] == case.pk
    [found] = document["contacts"]
    assert (found["person"], found["minutes"], found["close_contact"]) == (
        contact.public_id,
        60,
        True,
    )
    assert table[1][1] == "Kontak"
    actions = list(AuditEvent.objects.filter(actor=None).values_list("action", flat=True))
    assert "tracing.contacts.read" in actions


def test_the_trace_command_refuses_an_unknown_case(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("trace", "424242")
