from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.health.models import LabResult, Source, VaccinationDose
from jejak.health.report import ImportReport
from jejak.health.service import import_health_file
from jejak.health.tests.helpers import (
    BUDI,
    BUNDLE_PATH,
    SITI,
    bundle,
    entry,
    index,
    stored,
    upload,
)

pytestmark = pytest.mark.django_db

CVX = "http://hl7.org/fhir/sid/cvx"
JAKARTA = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def officer(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.HEALTH_OFFICER)


def problems(report: ImportReport) -> list[tuple[int | None, str, str, str]]:
    return [(p.entry, p.resource, p.column, p.code) for p in report.problems]


def assert_refused(report: ImportReport) -> None:
    assert not report.ok
    assert stored() == 0
    assert not AuditEvent.objects.filter(action="health.import").exists()


# A good bundle --------------------------------------------------------------------------------


def test_valid_bundle_imports_doses_and_lab_results(officer):
    report = import_health_file(BUNDLE_PATH, actor=officer)

    assert report.ok, report.problems
    assert report.format == "fhir"
    assert report.filename == "bundle.json"
    assert report.created["vaccination"] == 3
    assert report.created["lab_result"] == 2
    assert report.people == 2
    assert report.ignored == {"immunization_not_completed": 1, "observation_not_final": 1}

    siti = VaccinationDose.objects.filter(nik_index=index(SITI)).order_by("dose_number")
    assert [(d.dose_number, d.given_on, d.product_code) for d in siti] == [
        (1, dt.date(2021, 7, 1), "511"),
        (2, dt.date(2021, 7, 29), "511"),  # recognised by its display, stored as CVX
    ]
    assert {d.source for d in siti} == {Source.FHIR}
    janssen = VaccinationDose.objects.get(nik_index=index(BUDI))
    assert janssen.single_dose_product and janssen.product == "Janssen (Ad26.COV2.S)"

    pcr = LabResult.objects.get(nik_index=index(SITI))
    assert (pcr.method, pcr.result, pcr.lab) == ("pcr", "positive", "Labkesda Kota Tangerang")
    assert pcr.specimen_at == dt.datetime(2021, 10, 20, 8, 30, tzinfo=JAKARTA)
    antigen = LabResult.objects.get(nik_index=index(BUDI))
    assert (antigen.method, antigen.result, antigen.lab) == (
        "antigen",
        "negative",
        "Klinik Pratama Contoh",
    )
    # The Specimen's collection time wins over the Observation's effectiveDateTime.
    assert antigen.specimen_at == dt.datetime(2021, 10, 21, 7, 15, tzinfo=JAKARTA)


def test_import_writes_one_audit_row_with_counts_and_no_nik(officer):
    import_health_file(BUNDLE_PATH, actor=officer)

    event = AuditEvent.objects.get(action="health.import")
    assert event.actor == officer
    assert event.detail["filename"] == "bundle.json"
    assert event.detail["format"] == "fhir"
    assert event.detail["created"] == {"vaccination": 3, "lab_result": 2}
    assert event.detail["people"] == 2
    text = json.dumps(event.detail)
    assert SITI not in text and BUDI not in text


def test_reimporting_the_same_bundle_changes_nothing(officer):
    import_health_file(BUNDLE_PATH, actor=officer)
    before = sorted(VaccinationDose.objects.values_list("pk", "nik_index", "given_on"))

    again = import_health_file(BUNDLE_PATH, actor=officer)

    assert again.ok
    assert sum(again.created.values()) == 0
    assert again.unchanged["vaccination"] == 3 and again.unchanged["lab_result"] == 2
    assert sorted(VaccinationDose.objects.values_list("pk", "nik_index", "given_on")) == before
    assert LabResult.objects.count() == 2
    assert AuditEvent.objects.filter(action="health.import").count() == 2


def test_records_of_an_unregistered_nik_are_kept_under_its_blind_index(officer):
    # Nobody with these NIKs has registered: the records wait under the index the people
    # app computes when the person registers.
    import_health_file(BUNDLE_PATH, actor=officer)

    registering_person_index = index(SITI)
    assert VaccinationDose.objects.filter(nik_index=registering_person_index).count() == 2
    assert LabResult.objects.filter(nik_index=registering_person_index).count() == 1
    assert not VaccinationDose.objects.filter(nik_index=SITI).exists()


def test_a_patient_can_be_referenced_by_nik_identifier_alone(officer):
    document = bundle()
    document["entry"] = [e for e in document["entry"] if e["resource"]["resourceType"] != "Patient"]
    nik_ref = {"identifier": {"system": "https://fhir.kemkes.go.id/id/nik", "value": SITI}}
    for item in document["entry"]:
        resource = item["resource"]
        if resource["resourceType"] == "Immunization":
            resource["patient"] = nik_ref
        elif resource["resourceType"] in ("Observation", "Specimen"):
            resource["subject"] = nik_ref

    report = import_health_file(upload(document), actor=officer)

    assert report.ok, report.problems
    assert report.people == 1
    assert VaccinationDose.objects.filter(nik_index=index(SITI)).count() == 3


def test_the_same_record_twice_in_one_bundle_is_kept_once(officer):
    document = bundle()
    copy = json.loads(json.dumps(document["entry"][3]))
    copy["resource"]["id"] = "IMM01-copy"
    copy["fullUrl"] = "https://fhir.example.org/Immunization/IMM01-copy"
    document["entry"].append(copy)

    report = import_health_file(upload(document), actor=officer)

    assert report.ok
    assert report.created["vaccination"] == 3


def test_the_system_may_import_without_an_actor():
    report = import_health_file(BUNDLE_PATH, actor=None)
    assert report.ok
    assert AuditEvent.objects.get(action="health.import").actor is None


def test_roles_without_the_capability_are_refused(make_user):
    with pytest.raises(PermissionDenied):
        import_health_file(BUNDLE_PATH, actor=make_user(Role.VENUE_STAFF))
    assert stored() == 0


# Broken bundles: the problem names the entry, and nothing is stored ---------------------


def test_invalid_json_reports_where(officer):
    report = import_health_file(upload('{"resourceType": "Bundle",\n "entry": [}'), actor=officer)

    assert_refused(report)
    [problem] = report.problems
    assert (problem.code, problem.line) == ("invalid_json", 2)


def test_json_that_is_not_a_bundle_is_refused(officer):
    report = import_health_file(upload({"resourceType": "Patient", "id": "x"}), actor=officer)

    assert_refused(report)
    assert [p.code for p in report.problems] == ["not_a_bundle"]


def test_bundle_without_type_is_refused(officer):
    document = bundle()
    del document["type"]

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(None, "", "type", "invalid_bundle")]


def test_immunization_missing_patient_names_the_entry(officer):
    document = bundle()
    del entry(document, "IMM01")["patient"]

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(3, "Immunization/IMM01", "patient", "invalid_resource")]
    assert "patient" in report.problems[0].message


def test_unknown_patient_reference_names_the_entry(officer):
    document = bundle()
    entry(document, "IMM03")["patient"] = {"reference": "Patient/P999"}

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(5, "Immunization/IMM03", "patient", "unresolved_patient")]
    assert "Patient/P999" in report.problems[0].message


def test_unknown_loinc_code_names_the_entry(officer):
    document = bundle()
    # An antibody test: says nothing about a current infection.
    entry(document, "OBS01")["code"]["coding"][0]["code"] = "94563-4"

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(7, "Observation/OBS01", "code", "unknown_test_code")]
    assert "94563-4" in report.problems[0].message


def test_unknown_snomed_result_names_the_entry(officer):
    document = bundle()
    entry(document, "OBS02")["valueCodeableConcept"] = {
        "coding": [{"system": "http://snomed.info/sct", "code": "419984006"}]
    }

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [
        (9, "Observation/OBS02", "valueCodeableConcept", "unknown_test_result")
    ]


def test_patient_without_nik_names_the_entry(officer):
    document = bundle()
    entry(document, "P002")["identifier"] = [
        {"system": "https://fhir.kemkes.go.id/id/ihs-number", "value": "P00000000002"}
    ]

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    # Only the Patient is named: the records pointing at it add no second problem.
    assert problems(report) == [(1, "Patient/P002", "identifier", "patient_without_nik")]


def test_a_malformed_nik_is_refused_without_echoing_it(officer):
    document = bundle()
    entry(document, "P002")["identifier"][1]["value"] = "36710205058500"

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(1, "Patient/P002", "identifier", "bad_nik")]
    assert "36710205058500" not in json.dumps([p.as_json() for p in report.problems])


def test_resource_failing_fhir_validation_names_entry_and_field(officer):
    document = bundle()
    entry(document, "IMM03")["occurrenceDateTime"] = "10/09/2021"

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(5, "Immunization/IMM03", "occurrenceDateTime", "invalid_resource")]
    assert "Immunization/IMM03" in report.problems[0].where()


def test_unknown_resource_type_names_the_entry(officer):
    document = bundle()
    document["entry"].append({"resource": {"resourceType": "Coding", "code": "x"}})

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(11, "Coding", "resourceType", "unknown_resource_type")]


def test_every_broken_entry_is_reported_at_once(officer):
    document = bundle()
    del entry(document, "IMM01")["patient"]
    entry(document, "OBS01")["code"]["coding"][0]["code"] = "00000-0"

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert {p.entry for p in report.problems} == {3, 7}


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        # A date alone cannot tell a 24-hour antigen result from a day-old one.
        ({"effectiveDateTime": "2021-10-20"}, "effectiveDateTime", "imprecise_time"),
        ({"effectiveDateTime": "2999-01-01T00:00:00+07:00"}, "effectiveDateTime", "in_future"),
        ({"effectiveDateTime": "2019-06-01T00:00:00+07:00"}, "effectiveDateTime", "too_early"),
        ({"valueCodeableConcept": None}, "valueCodeableConcept", "missing_test_result"),
        ({"effectiveDateTime": None}, "effectiveDateTime", "missing_specimen_time"),
    ],
)
def test_lab_result_checks(officer, change, column, code):
    document = bundle()
    observation = entry(document, "OBS01")
    for key, value in change.items():
        if value is None:
            del observation[key]
        else:
            observation[key] = value

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(7, "Observation/OBS01", column, code)]


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"occurrenceDateTime": "2021-07"}, "occurrenceDateTime", "imprecise_date"),
        (
            {"occurrenceDateTime": None, "occurrenceString": "Juli"},
            "occurrenceDateTime",
            "missing_date",
        ),
        ({"protocolApplied": None}, "protocolApplied", "missing_dose_number"),
        (
            {"protocolApplied": [{"doseNumberPositiveInt": 99}]},
            "protocolApplied",
            "bad_dose_number",
        ),
        (
            # Measles: a CVX code outside the COVID-19 table must never count as a dose.
            {"vaccineCode": {"coding": [{"system": CVX, "code": "05"}]}},
            "vaccineCode",
            "unknown_vaccine",
        ),
        ({"vaccineCode": {"text": "Vaksin"}}, "vaccineCode", "unknown_vaccine"),
    ],
)
def test_immunization_checks(officer, change, column, code):
    document = bundle()
    immunization = entry(document, "IMM01")
    for key, value in change.items():
        if value is None:
            del immunization[key]
        else:
            immunization[key] = value

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(3, "Immunization/IMM01", column, code)]


def test_same_dose_twice_with_different_products_is_a_conflict(officer):
    document = bundle()
    copy = json.loads(json.dumps(document["entry"][3]))
    copy["resource"]["id"] = "IMM01-other"
    copy["resource"]["vaccineCode"]["coding"][0]["code"] = "510"
    document["entry"].append(copy)

    report = import_health_file(upload(document), actor=officer)

    assert_refused(report)
    assert problems(report) == [(11, "Immunization/IMM01-other", "", "conflicting_duplicate")]
    assert "entry[3]" in report.problems[0].message


def test_empty_bundle_is_refused(officer):
    report = import_health_file(
        upload({"resourceType": "Bundle", "type": "collection"}), actor=officer
    )
    assert_refused(report)
    assert [p.code for p in report.problems] == ["empty_file"]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    # An earlier change may have replaced a container on this path: then skip it.
    with contextlib.suppress(KeyError, IndexError, TypeError):
        node = document
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**20),
    st.text(max_size=30),
    st.sampled_from(["2021-07", "2021-10-20", "Patient/P002", SITI, "94500-6", "212", []]),
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(st.tuples(st.sampled_from(_paths(bundle())), _VALUES), max_size=3))
def test_a_damaged_bundle_gives_a_report_never_an_exception(officer, changes):
    document = bundle()
    for path, value in changes:
        _set(document, path, value)

    report = import_health_file(upload(document), actor=officer)

    assert report.ok or stored() == 0
    if report.ok:
        VaccinationDose.objects.all().delete()
        LabResult.objects.all().delete()
