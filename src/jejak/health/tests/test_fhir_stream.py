"""A bundle is read from its file one entry at a time: the same report and records
whatever the source, and memory that grows with the records kept (a few hundred bytes
each), not with the parsed resources or the file."""

from __future__ import annotations

import datetime as dt
import io
import json
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from jejak.health import fhir
from jejak.health.models import LabResult
from jejak.health.report import ImportReport
from jejak.health.service import import_health_file
from jejak.health.tests.helpers import index, stored, upload

NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"


def nik(i: int) -> str:
    """A distinct well-formed NIK per person (Kota Tangerang, a woman born in 1985)."""
    return f"367101{41 + i % 28:02d}{1 + i // 28 % 12:02d}85{1 + i % 9999:04d}"


def entries(i: int, at: dt.datetime) -> list[dict[str, Any]]:
    patient_url = f"urn:uuid:{uuid.UUID(int=i, version=4)}"
    patient = {
        "fullUrl": patient_url,
        "resource": {
            "resourceType": "Patient",
            "identifier": [{"system": NIK_SYSTEM, "value": nik(i)}],
            "name": [{"text": f"Pasien {i}"}],
        },
    }
    observation = {
        "fullUrl": f"https://lab.example.org/Observation/OBS{i}",
        "resource": {
            "resourceType": "Observation",
            "id": f"OBS{i}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
            "subject": {"reference": patient_url},
            "effectiveDateTime": at.isoformat(),
            "performer": [{"reference": "Organization/LAB01"}],
            "valueCodeableConcept": {
                "coding": [{"system": "http://snomed.info/sct", "code": "260373001"}]
            },
        },
    }
    # Every other result comes before its patient: references may point forward.
    return [observation, patient] if i % 2 else [patient, observation]


def write_bundle(path: Path, people: int, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """Write a collection Bundle of `people` positive PCR results, entry by entry; return
    the (NIK, specimen time) of each."""
    lab = {
        "fullUrl": "https://lab.example.org/Organization/LAB01",
        "resource": {"resourceType": "Organization", "id": "LAB01", "name": "Labkesda"},
    }
    expected = []
    with path.open("w", encoding="utf-8") as out:
        out.write('{"resourceType": "Bundle", "type": "collection", "entry": [\n')
        out.write(json.dumps(lab))
        for i in range(people):
            at = (now - dt.timedelta(minutes=i + 1)).replace(microsecond=0)
            for item in entries(i, at):
                out.write(",\n" + json.dumps(item))
            expected.append((nik(i), at))
        out.write("\n]}\n")
    return expected


@pytest.mark.django_db
def test_a_bundle_read_from_its_file_gives_the_records_and_report_of_its_bytes(tmp_path):
    path = tmp_path / "positif.json"
    expected = write_bundle(path, 300, timezone.now())

    from_file = import_health_file(path, actor=None)

    assert from_file.ok, from_file.problems[:3]
    assert (from_file.format, from_file.filename) == ("fhir", "positif.json")
    assert (from_file.records, from_file.people) == (300, 300)
    assert from_file.created["lab_result"] == 300
    rows = LabResult.objects.values_list("nik_index", "specimen_at", "method", "result", "lab")
    assert sorted(rows) == sorted(
        (index(n), at, "pcr", "positive", "Labkesda") for n, at in expected
    )
    assert set(LabResult.objects.values_list("nik_district", flat=True)) == {"36.71.01"}

    LabResult.objects.all().delete()
    from_bytes = import_health_file(upload(path.read_bytes(), "positif.json"), actor=None)
    assert from_bytes.as_json() == from_file.as_json()

    # And the reader alone: the same batch from bytes as from the open file.
    with path.open("rb") as opened:
        streamed = fhir.read_bundle(opened, ImportReport("a"))
    whole = fhir.read_bundle(path.read_bytes(), ImportReport("b"))
    assert list(streamed.records) == list(whole.records)


@pytest.mark.django_db
def test_a_broken_entry_late_in_a_streamed_bundle_is_named_and_nothing_is_stored(tmp_path):
    path = tmp_path / "positif.json"
    write_bundle(path, 200, timezone.now())
    text = path.read_text().replace(
        '"code": "94500-6"}]}, "subject": {"reference": '
        '"urn:uuid:00000000-0000-4000-8000-0000000000c7"',
        '"code": "94563-4"}]}, "subject": {"reference": '
        '"urn:uuid:00000000-0000-4000-8000-0000000000c7"',
    )
    path.write_text(text)

    report = import_health_file(path, actor=None)

    [problem] = report.problems
    # Person 199 (0xc7): the Organization, then 199 pairs, then its Observation first.
    assert (problem.code, problem.entry, problem.resource) == (
        "unknown_test_code",
        1 + 2 * 199,
        "Observation/OBS199",
    )
    assert stored() == 0


@pytest.mark.django_db
def test_the_limits_of_a_streamed_bundle(tmp_path, monkeypatch):
    path = tmp_path / "positif.json"
    write_bundle(path, 30, timezone.now())

    # A bundle is not held to the 10 MB of a CSV sheet, which is read whole.
    monkeypatch.setattr("jejak.health.service.MAX_FILE_BYTES", 1000)
    assert import_health_file(path, actor=None).ok

    monkeypatch.setattr(fhir, "MAX_ENTRIES", 60)
    report = import_health_file(path, actor=None)
    assert [p.code for p in report.problems] == ["too_many_records"]

    monkeypatch.setattr(fhir, "MAX_BUNDLE_BYTES", 5000)
    report = import_health_file(io.BytesIO(path.read_bytes()), actor=None)
    assert [p.code for p in report.problems] == ["too_large"]


def peak_bytes(path: Path) -> int:
    tracemalloc.start()
    try:
        with path.open("rb") as opened:
            report = ImportReport("x")
            fhir.read_bundle(opened, report)
        assert report.ok, report.problems[:3]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_grows_with_the_records_kept_not_with_the_resources(tmp_path):
    now = timezone.now()
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    write_bundle(small, 500, now)  # 1,001 entries
    write_bundle(large, 2000, now)  # 4,001 entries
    peak_bytes(small)  # loads what a first read loads (pydantic's validators, ...)

    per_entry_small = peak_bytes(small) / 1001
    per_entry_large = peak_bytes(large) / 4001

    # Reading the whole bundle and its parsed resources took about 8.6 KB an entry; what
    # is kept now (a lab result, its patient's index) is under 1.5 KB, and the same at
    # four times the entries.
    assert per_entry_large < 2000, per_entry_large
    assert per_entry_large < per_entry_small * 1.25, (per_entry_small, per_entry_large)
