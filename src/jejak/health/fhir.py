"""Health records from a FHIR R4 Bundle (JSON), as SATUSEHAT and lab systems export them.

fhir.resources 8 ships FHIR R5 at its top level and R4B (4.3) under `fhir.resources.R4B`;
there is no pure R4 package any more. R4B changed nothing in the resources read here
(Bundle, Patient, Immunization, Observation, Specimen, Organization), so R4 bundles
validate against it unchanged, whereas R5 renamed Immunization's dose number and would
refuse them.

Each entry is validated on its own, so a problem names its entry (index, type, id), and
the file is the unit of import: one invalid entry and nothing from the bundle is written.
What is read is described in docs/health-import.md.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pydantic
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.immunization import Immunization
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.specimen import Specimen

from jejak.health import codes
from jejak.health.models import LabResult, Source, VaccinationDose
from jejak.health.report import (
    Batch,
    ImportReport,
    Problem,
    RecordType,
    date_problem,
    is_valid_nik,
    moment_problem,
    nik_district,
    nik_index_for,
)

MAX_ENTRIES = 50_000
MAX_DOSE_NUMBER = 20
# pydantic can find dozens of faults in one resource; the first few say enough.
MAX_FAULTS_PER_ENTRY = 5

BUNDLE_TYPES = {
    "document",
    "message",
    "transaction",
    "transaction-response",
    "batch",
    "batch-response",
    "history",
    "searchset",
    "collection",
}
IMPORTED_OBSERVATION_STATUSES = {"final", "amended", "corrected"}
# Abstract types get_fhir_model_class knows but that no entry can be.
_ABSTRACT = {"Resource", "DomainResource"}

_LAB_MAX = LabResult._meta.get_field("lab").max_length or 150
_PRODUCT_MAX = VaccinationDose._meta.get_field("product").max_length or 100


def read_bundle(data: bytes, report: ImportReport) -> Batch:
    """Parse and check a Bundle; every problem goes to `report`, the records to the batch."""
    report.format = "fhir"
    batch = Batch()
    bundle = _load_json(data, report)
    if bundle is None:
        return batch
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        report.add(Problem.INVALID_BUNDLE, column="entry", detail="entry must be a list")
        return batch
    if len(entries) > MAX_ENTRIES:
        report.add(Problem.TOO_MANY_RECORDS, limit=MAX_ENTRIES)
        return batch
    _check_shell(bundle, entries, report)
    reader = _Reader(report, batch)
    reader.validate(entries)
    reader.index()
    reader.read_records()
    report.records = len(batch)
    report.people = batch.people()
    return batch


def _load_json(data: bytes, report: ImportReport) -> dict[str, Any] | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add(Problem.BAD_ENCODING)
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        report.add(Problem.INVALID_JSON, line=exc.lineno, column=str(exc.colno), detail=exc.msg)
        return None
    except RecursionError:
        report.add(Problem.INVALID_JSON, line=1, column="1", detail="nested too deeply")
        return None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        report.add(Problem.NOT_A_BUNDLE)
        return None
    return document


def _check_shell(bundle: dict[str, Any], entries: list[Any], report: ImportReport) -> None:
    """Validate the Bundle without its resources: those are checked one by one, later."""
    shell = {
        **bundle,
        "entry": [
            {k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else e
            for e in entries
        ],
    }
    if not entries:
        shell.pop("entry")
    try:
        Bundle.model_validate(shell)
    except pydantic.ValidationError as exc:
        for fault in exc.errors()[:20]:
            loc = list(fault["loc"])
            if len(loc) >= 2 and loc[0] == "entry" and isinstance(loc[1], int):
                path = ".".join(str(p) for p in loc[2:])
                detail = f"entry[{loc[1]}].{path}: {fault['msg']}"
                report.add(Problem.INVALID_BUNDLE, entry=loc[1], column=path, detail=detail)
            else:
                path = ".".join(str(p) for p in loc)
                report.add(Problem.INVALID_BUNDLE, column=path, detail=f"{path}: {fault['msg']}")
    kind = bundle.get("type")
    if isinstance(kind, str) and kind not in BUNDLE_TYPES:
        # fhir.resources checks that a code is a code, not that it is one of the binding's.
        report.add(Problem.INVALID_BUNDLE, column="type", detail=f"type: unknown {kind[:40]!r}")
    if not entries:
        report.add(Problem.EMPTY_FILE)


class _Entry:
    def __init__(self, index: int, full_url: str, resource: Resource) -> None:
        self.index, self.full_url, self.resource = index, full_url, resource
        rid = getattr(resource, "id", None)
        kind = resource.get_resource_type()
        self.label = f"{kind}/{rid}" if rid else kind

    def reference_keys(self) -> list[str]:
        """Every spelling another entry may use to point at this one."""
        keys = [self.full_url] if self.full_url else []
        rid = getattr(self.resource, "id", None)
        if rid:
            keys.append(f"{self.resource.get_resource_type()}/{rid}")
        return keys


class _Reader:
    def __init__(self, report: ImportReport, batch: Batch) -> None:
        self.report, self.batch = report, batch
        self.entries: list[_Entry] = []
        # Reference key -> nik_index; None for a Patient that is itself broken, so that
        # pointing at it does not add a second problem for the same mistake.
        self.patients: dict[str, str | None] = {}
        # nik_index -> the NIK's kecamatan, which lab results keep (LabResult.nik_district).
        self.districts: dict[str, str] = {}
        self.organizations: dict[str, str] = {}
        self.specimens: dict[str, Any] = {}

    def fail(self, entry: _Entry, problem: Problem, column: str = "", **params: Any) -> None:
        self.report.add(problem, entry=entry.index, resource=entry.label, column=column, **params)

    # Pass 1: every entry is a valid R4 resource ------------------------------------------

    def validate(self, entries: list[Any]) -> None:
        for index, raw in enumerate(entries):
            if not isinstance(raw, dict):
                continue  # the shell check reported it
            resource = raw.get("resource")
            if not isinstance(resource, dict):
                self.report.add(Problem.MISSING_RESOURCE, entry=index)
                continue
            kind = resource.get("resourceType")
            label = _label(resource)
            model = _model_for(kind)
            if model is None:
                self.report.add(
                    Problem.UNKNOWN_RESOURCE_TYPE,
                    entry=index,
                    resource=label,
                    column="resourceType",
                    type=str(kind)[:40],
                )
                continue
            try:
                parsed = model.model_validate(resource)
            except pydantic.ValidationError as exc:
                for fault in exc.errors()[:MAX_FAULTS_PER_ENTRY]:
                    path = ".".join(str(p) for p in fault["loc"])
                    self.report.add(
                        Problem.INVALID_RESOURCE,
                        entry=index,
                        resource=label,
                        column=path,
                        detail=f"{path}: {fault['msg']}" if path else fault["msg"],
                    )
                continue
            full_url = raw.get("fullUrl")
            self.entries.append(
                _Entry(index, full_url if isinstance(full_url, str) else "", parsed)
            )

    # Pass 2: what records may point at -------------------------------------------------------

    def index(self) -> None:
        for entry in self.entries:
            resource = entry.resource
            if isinstance(resource, Patient):
                nik_index = self._patient_nik_index(entry, resource)
                for key in entry.reference_keys():
                    self.patients[key] = nik_index
            elif isinstance(resource, Organization) and resource.name:
                for key in entry.reference_keys():
                    self.organizations[key] = str(resource.name)
            elif isinstance(resource, Specimen):
                collection = resource.collection
                collected = collection.collectedDateTime if collection else None
                for key in entry.reference_keys():
                    self.specimens[key] = collected

    def _patient_nik_index(self, entry: _Entry, patient: Patient) -> str | None:
        niks = {
            str(i.value).strip()
            for i in patient.identifier or []
            if i.system == codes.NIK_SYSTEM and i.value
        }
        if not niks:
            self.fail(entry, Problem.PATIENT_WITHOUT_NIK, "identifier")
            return None
        if len(niks) > 1:
            self.fail(entry, Problem.CONFLICTING_NIK, "identifier")
            return None
        nik = niks.pop()
        if not is_valid_nik(nik):
            self.fail(entry, Problem.BAD_NIK, "identifier")
            return None
        return self._index(nik)

    def _index(self, nik: str) -> str:
        index = nik_index_for(nik)
        self.districts[index] = nik_district(nik)
        return index

    def _resolve(self, entry: _Entry, ref: Reference | None, column: str) -> str | None:
        """The nik_index of the referenced Patient, or None after reporting why not."""
        if ref is not None and ref.identifier is not None:
            # A logical reference by NIK needs no Patient resource in the bundle.
            ident = ref.identifier
            if ident.system == codes.NIK_SYSTEM and ident.value:
                nik = str(ident.value).strip()
                if is_valid_nik(nik):
                    return self._index(nik)
                self.fail(entry, Problem.BAD_NIK, f"{column}.identifier")
                return None
        target = str(ref.reference) if ref is not None and ref.reference else ""
        for key in _reference_keys(target):
            if key in self.patients:
                return self.patients[key]  # None: the Patient's own problem was reported
        self.fail(entry, Problem.UNRESOLVED_PATIENT, column, reference=target[:80] or "-")
        return None

    # Pass 3: the records ------------------------------------------------------------------

    def read_records(self) -> None:
        for entry in self.entries:
            if isinstance(entry.resource, Immunization):
                self._immunization(entry, entry.resource)
            elif isinstance(entry.resource, Observation):
                self._observation(entry, entry.resource)

    def _keep(self, entry: _Entry, record_type: RecordType, record: Any) -> None:
        conflict = self.batch.add(record_type, record, f"entry[{entry.index}] {entry.label}")
        if conflict is not None:
            self.fail(entry, Problem.CONFLICTING_DUPLICATE, where=conflict)

    def _immunization(self, entry: _Entry, imm: Immunization) -> None:
        if imm.status != "completed":
            self.report.ignored["immunization_not_completed"] += 1
            return
        if imm.isSubpotent:
            # A subpotent dose (a broken cold chain, half a dose) does not count.
            self.report.ignored["immunization_subpotent"] += 1
            return
        problems_before = len(self.report.problems)
        nik_index = self._resolve(entry, imm.patient, "patient")

        # Required elements may still arrive as null, which fhir.resources lets through.
        concept = imm.vaccineCode
        codings = [
            (str(c.system or ""), str(c.code or ""), str(c.display or ""))
            for c in (concept.coding if concept else None) or []
        ]
        vaccine = codes.identify_vaccine(codings, str(concept.text or "") if concept else "")
        if vaccine is None:
            self.fail(entry, Problem.UNKNOWN_VACCINE, "vaccineCode")
        elif not vaccine.code:
            # A product without a CVX code (IndoVac): keep the sender's own (KFA, local).
            vaccine = codes.Vaccine(
                vaccine.product, next((c for _, c, _ in codings if c), ""), vaccine.single_dose
            )

        given_on = None
        if imm.occurrenceDateTime is None:
            self.fail(entry, Problem.MISSING_DATE, "occurrenceDateTime")
        else:
            given_on = _day(imm.occurrenceDateTime)
            if given_on is None:
                self.fail(entry, Problem.IMPRECISE_DATE, "occurrenceDateTime")
            elif found := date_problem(given_on, past_only=True):
                self.fail(entry, found[0], "occurrenceDateTime", **found[1])
                given_on = None

        dose_number = _dose_number(imm)
        if dose_number is None:
            self.fail(entry, Problem.MISSING_DOSE_NUMBER, "protocolApplied")
        elif not 1 <= dose_number <= MAX_DOSE_NUMBER:
            self.fail(entry, Problem.BAD_DOSE_NUMBER, "protocolApplied", limit=MAX_DOSE_NUMBER)

        if (
            len(self.report.problems) > problems_before
            or nik_index is None
            or vaccine is None
            or given_on is None
            or dose_number is None
        ):
            return
        dose = VaccinationDose(
            nik_index=nik_index,
            source=Source.FHIR,
            dose_number=dose_number,
            given_on=given_on,
            product=vaccine.product[:_PRODUCT_MAX],
            product_code=vaccine.code[:50],
            single_dose_product=vaccine.single_dose,
        )
        self._keep(entry, RecordType.VACCINATION, dose)

    def _observation(self, entry: _Entry, obs: Observation) -> None:
        if obs.status not in IMPORTED_OBSERVATION_STATUSES:
            self.report.ignored["observation_not_final"] += 1
            return
        problems_before = len(self.report.problems)
        loinc = [
            str(c.code or "")
            for c in (obs.code.coding if obs.code else None) or []
            if c.system == codes.LOINC_SYSTEM
        ]
        method = next((codes.LOINC_METHODS[c] for c in loinc if c in codes.LOINC_METHODS), None)
        if method is None:
            shown = ", ".join(loinc)[:80] or "-"
            self.fail(entry, Problem.UNKNOWN_TEST_CODE, "code", codes=shown)

        nik_index = self._resolve(entry, obs.subject, "subject")

        outcome = None
        if obs.valueCodeableConcept is None:
            self.fail(entry, Problem.MISSING_TEST_RESULT, "valueCodeableConcept")
        else:
            snomed = [
                str(c.code or "")
                for c in obs.valueCodeableConcept.coding or []
                if c.system == codes.SNOMED_SYSTEM
            ]
            outcome = next(
                (codes.SNOMED_OUTCOMES[c] for c in snomed if c in codes.SNOMED_OUTCOMES), None
            )
            if outcome is None:
                shown = ", ".join(snomed)[:80] or "-"
                self.fail(entry, Problem.UNKNOWN_TEST_RESULT, "valueCodeableConcept", codes=shown)

        specimen_at = self._specimen_time(entry, obs)

        if (
            len(self.report.problems) > problems_before
            or nik_index is None
            or method is None
            or outcome is None
            or specimen_at is None
        ):
            return
        result = LabResult(
            nik_index=nik_index,
            source=Source.FHIR,
            method=method,
            result=outcome,
            specimen_at=specimen_at,
            lab=self._lab(obs)[:_LAB_MAX],
            nik_district=self.districts.get(nik_index, ""),
        )
        self._keep(entry, RecordType.LAB_RESULT, result)

    def _specimen_time(self, entry: _Entry, obs: Observation) -> dt.datetime | None:
        """The collection time of the linked Specimen, else the Observation's effective time."""
        column, value = "effectiveDateTime", None
        if obs.specimen is not None and obs.specimen.reference:
            for key in _reference_keys(str(obs.specimen.reference)):
                if self.specimens.get(key) is not None:
                    column, value = "specimen", self.specimens[key]
                    break
        if value is None:
            if obs.effectiveDateTime is not None:
                value = obs.effectiveDateTime
            elif obs.effectiveInstant is not None:
                column, value = "effectiveInstant", obs.effectiveInstant
            elif obs.effectivePeriod is not None and obs.effectivePeriod.start is not None:
                column, value = "effectivePeriod.start", obs.effectivePeriod.start
        if value is None:
            self.fail(entry, Problem.MISSING_SPECIMEN_TIME, "effectiveDateTime")
            return None
        if not isinstance(value, dt.datetime):
            # A date alone cannot tell a 24-hour antigen result from a day-old one.
            self.fail(entry, Problem.IMPRECISE_TIME, column)
            return None
        moment = value if timezone.is_aware(value) else timezone.make_aware(value)
        if found := moment_problem(moment):
            self.fail(entry, found[0], column, **found[1])
            return None
        return moment

    def _lab(self, obs: Observation) -> str:
        for performer in obs.performer or []:
            for key in _reference_keys(str(performer.reference or "")):
                if key in self.organizations:
                    return self.organizations[key]
            if performer.display:
                return str(performer.display)
        return ""


def _model_for(kind: Any) -> type[Resource] | None:
    if not isinstance(kind, str) or not kind.isalpha() or kind in _ABSTRACT:
        return None
    try:
        model = get_fhir_model_class(kind)
    except ValueError:
        return None
    # The same lookup also answers for data types (Coding, Reference): not resources.
    if not isinstance(model, type) or not issubclass(model, Resource):
        return None
    return model


def _label(resource: dict[str, Any]) -> str:
    kind = str(resource.get("resourceType") or "?")[:40]
    rid = resource.get("id")
    return f"{kind}/{str(rid)[:64]}" if isinstance(rid, str) and rid else kind


def _reference_keys(reference: str) -> list[str]:
    """The keys a reference may match: as written, without a version, and as `Type/id`."""
    if not reference:
        return []
    plain = reference.split("/_history/", 1)[0]
    keys = [reference, plain]
    if "://" in plain:
        tail = plain.rstrip("/").rsplit("/", 2)[-2:]
        if len(tail) == 2:
            keys.append("/".join(tail))
    return keys


def _day(value: Any) -> dt.date | None:
    """The calendar day (in Jakarta) of a FHIR dateTime; None for "2021" or "2021-08"."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _dose_number(imm: Immunization) -> int | None:
    if not imm.protocolApplied:
        return None
    protocol = imm.protocolApplied[0]
    if protocol.doseNumberPositiveInt is not None:
        return int(protocol.doseNumberPositiveInt)
    text = str(protocol.doseNumberString or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None
