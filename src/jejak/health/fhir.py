"""Health records from a FHIR R4 Bundle (JSON), as SATUSEHAT and lab systems export them.

fhir.resources 8 ships FHIR R5 at its top level and R4B (4.3) under `fhir.resources.R4B`;
there is no pure R4 package any more. R4B changed nothing in the resources read here
(Bundle, Patient, Immunization, Observation, Specimen, Organization), so R4 bundles
validate against it unchanged, whereas R5 renamed Immunization's dose number and would
refuse them.

Each entry is validated on its own, so a problem names its entry (index, type, id), and
the file is the unit of import: one invalid entry and nothing from the bundle is written.
What is read is described in docs/health-import.md.

The bundle is streamed: ijson reads the file one entry at a time (with its C backend,
yajl2_c, when installed), and each entry is validated and at once reduced to what the
records need (a Patient to its NIK's index, an Immunization or Observation to a few
values) before the next is read. Memory grows with the records kept, never with the
parsed resources or the file's bytes. References may point forward, so the records are
made after the last entry; problems are listed in the order of the checks as if each ran
over the whole bundle in turn (the bundle itself, every resource, the patients, the
records).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import ijson
import pydantic
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.immunization import Immunization
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.specimen import Specimen
from ijson.common import ObjectBuilder

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

MAX_ENTRIES = 100_000
# Streamed, a bundle's bytes cost time, not memory: this only bounds the time.
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_DOSE_NUMBER = 20
# pydantic can find dozens of faults in one resource; the first few say enough.
MAX_FAULTS_PER_ENTRY = 5
MAX_BUNDLE_FAULTS = 20
# Deeper than any FHIR resource nests; json.loads refused JSON a thousand levels deep.
MAX_DEPTH = 200

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

_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
# ijson's Python backend says where it stopped: "Unexpected symbol '}' at 38".
_AT = re.compile(r"^Unexpected symbol .* at (\d+)$", re.DOTALL)
_CHUNK = 64 * 1024


def _backend(name: str) -> Any:
    try:
        return ijson.get_backend(name)
    except ImportError:
        return None


# yajl2_c when its wheel has it, else ijson's pure Python parser (slower, same events).
PARSERS = [b for b in (_backend("yajl2_c"), ijson.get_backend("python")) if b is not None]


def read_bundle(
    source: bytes | IO[bytes], report: ImportReport, *, max_bytes: int | None = None
) -> Batch:
    """Read and check a Bundle from bytes or a binary file (from its current position);
    every problem goes to `report`, the records to the batch."""
    report.format = "fhir"
    max_bytes = MAX_BUNDLE_BYTES if max_bytes is None else max_bytes
    stream = _Source(io.BytesIO(source) if isinstance(source, bytes) else source, max_bytes)
    batch = Batch()
    if stream.size is not None and stream.size > max_bytes:
        report.add(Problem.TOO_LARGE, limit=max_bytes // (1024 * 1024))
        return batch
    for parser in PARSERS:
        reader = _Reader(report, batch)
        try:
            reader.read(parser.basic_parse(stream, use_float=True))
        except _Refused as refused:
            report.add(refused.problem, **refused.params)
            return batch
        except ijson.JSONError as exc:
            # yajl stops at integers beyond 64 bits, which JSON allows: the Python parser
            # reads them, so it gets the file before the file is called broken.
            if parser is not PARSERS[-1] and "overflow" in _first_line(exc) and stream.rewind():
                batch = Batch()
                continue
            _json_problem(exc, stream, report)
            return batch
        reader.finish()
        break
    report.records = len(batch)
    report.people = batch.people()
    return batch


class _Refused(Exception):
    """The whole file is refused with this one problem."""

    def __init__(self, problem: Problem, **params: Any) -> None:
        super().__init__(problem.value)
        self.problem, self.params = problem, params


class _Source:
    """The file as ijson reads it: without a UTF-8 byte-order mark, counted against the
    limit, and rewound for a second look when it can be."""

    def __init__(self, stream: IO[bytes], max_bytes: int) -> None:
        self.stream, self.max_bytes = stream, max_bytes
        self.start: int | None = None
        self.size: int | None = None
        if stream.seekable():
            at = stream.tell()
            self.start = at + 3 if stream.read(3) == codecs.BOM_UTF8 else at
            self.size = stream.seek(0, io.SEEK_END) - self.start
            stream.seek(self.start)
        self.count = 0
        self.fresh = self.start is None  # a BOM still to drop from an unseekable stream

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson asks once whether the file gives bytes or text
        data = self.stream.read(size)
        if isinstance(data, str):
            data = data.encode()
        if self.fresh:
            self.fresh = False
            data = data.removeprefix(codecs.BOM_UTF8)
        self.count += len(data)
        if self.count > self.max_bytes:
            raise _Refused(Problem.TOO_LARGE, limit=self.max_bytes // (1024 * 1024))
        return data

    def rewind(self) -> bool:
        if self.start is None:
            return False
        self.stream.seek(self.start)
        self.count = 0
        return True

    def chunks(self) -> Iterator[bytes]:
        while data := self.read(_CHUNK):
            yield data


# The JSON itself --------------------------------------------------------------------------


def _first_line(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0]


def _json_problem(exc: ijson.JSONError, stream: _Source, report: ImportReport) -> None:
    """Report a file that is not JSON, where it goes wrong, as json.loads would."""
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, UnicodeDecodeError) or "invalid bytes in UTF8" in str(exc):
        report.add(Problem.BAD_ENCODING)
        return
    # yajl's message goes on with an excerpt of the file, which may hold a NIK: never
    # shown; nor the symbol in the Python parser's.
    detail = "unexpected symbol" if _AT.match(str(exc)) else _first_line(exc)
    line, column = _locate(exc, stream)
    report.add(Problem.INVALID_JSON, line=line, column=str(column), detail=detail[:80])


def _locate(exc: ijson.JSONError, stream: _Source) -> tuple[int, int]:
    """Line and column (from 1) of a syntax error: the Python parser counts characters,
    so a second, slower look finds what yajl does not say; else the end of the file."""
    found = _AT.match(str(exc))
    if found is None and stream.rewind():
        try:
            for _ in ijson.get_backend("python").basic_parse(stream, use_float=True):
                pass
        except ijson.JSONError as again:
            found = _AT.match(str(again))
        except _Refused:
            pass
    offset = int(found.group(1)) if found else None
    if not stream.rewind():
        return 0, 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    line, column, seen = 1, 1, 0
    for data in stream.chunks():
        text = decoder.decode(data)
        if offset is not None and seen + len(text) > offset:
            text = text[: offset - seen]
            offset = -1
        newlines = text.count("\n")
        line += newlines
        column = len(text) - text.rfind("\n") if newlines else column + len(text)
        seen += len(text)
        if offset == -1:
            break
    return line, column


def _value(event: str, value: Any, events: Iterator[tuple[str, Any]], depth: int) -> Any:
    """The JSON value that starts with this event, built from the events that follow."""
    if event not in _OPEN:
        return value
    builder = ObjectBuilder()
    level = 0
    while True:
        builder.event(event, value)
        if event in _OPEN:
            level += 1
            if depth + level > MAX_DEPTH:
                raise _Refused(Problem.INVALID_JSON, line=1, column="1", detail="nested too deeply")
        elif event in _CLOSE:
            level -= 1
            if level == 0:
                return builder.value
        event, value = next(events)


# The entries --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ref:
    """A reference to a patient: as written, and the NIK of an identifier it carries."""

    target: str
    nik: str | None  # the value of a NIK identifier; None without one


@dataclass(slots=True)
class _Dose:
    """An Immunization, reduced to what its dose is made from."""

    index: int
    label: str
    patient: _Ref | None
    vaccine: codes.Vaccine | None
    occurrence: Any  # occurrenceDateTime: a datetime, a date, a partial date, or None
    dose_number: int | None


@dataclass(slots=True)
class _Test:
    """An Observation, reduced to what its lab result is made from."""

    index: int
    label: str
    loinc: tuple[str, ...]
    subject: _Ref | None
    snomed: tuple[str, ...] | None  # None: no valueCodeableConcept
    specimen: str  # the Specimen reference, or ""
    effective: tuple[str, Any] | None  # (element, value) of the effective time
    performers: tuple[tuple[str, str], ...]  # (reference, display)


class _Reader:
    def __init__(self, report: ImportReport, batch: Batch) -> None:
        self.report, self.batch = report, batch
        # Problems by the check that finds them, listed in this order at the end.
        self.bundle_problems = ImportReport("")
        self.resource_problems = ImportReport("")
        self.patient_problems = ImportReport("")
        self.record_problems = ImportReport("")
        self.ignored: Counter[str] = Counter()
        self.members: dict[str, Any] = {}  # the Bundle's elements but its entries
        self.is_object = False
        self.entries = 0
        self.entry_list: bool | None = None  # None: no entry element
        self.records: list[_Dose | _Test] = []
        # Reference key -> nik_index; None for a Patient that is itself broken, so that
        # pointing at it does not add a second problem for the same mistake.
        self.patients: dict[str, str | None] = {}
        # nik_index -> the NIK's kecamatan, which lab results keep (LabResult.nik_district).
        self.districts: dict[str, str] = {}
        self.organizations: dict[str, str] = {}
        self.specimens: dict[str, Any] = {}

    # Reading: the Bundle's elements, and its entries one by one ---------------------------

    def read(self, events: Iterator[tuple[str, Any]]) -> None:
        event, _ = next(events, ("", None))
        if event != "start_map":
            for _ in events:
                pass  # still valid JSON? the parser says
            return
        self.is_object = True
        for event, key in events:
            if event != "map_key":
                continue  # the end of the Bundle
            event, value = next(events)
            if key == "entry" and self.entry_list is not None:
                # json.loads kept the last; a stream cannot go back to the first.
                raise _Refused(Problem.INVALID_BUNDLE, column="entry", detail="entry appears twice")
            if key == "entry" and event == "start_array":
                self.entry_list = True
                self._entries(events)
            elif key == "entry":
                self.entry_list = False
                _value(event, value, events, 1)
            else:
                self.members[key] = _value(event, value, events, 1)
                if key == "resourceType" and value != "Bundle":
                    raise _Refused(Problem.NOT_A_BUNDLE)

    def _entries(self, events: Iterator[tuple[str, Any]]) -> None:
        for event, value in events:
            if event == "end_array":
                return  # the end of `entry`: each entry is read whole below
            if self.entries == MAX_ENTRIES:
                raise _Refused(Problem.TOO_MANY_RECORDS, limit=MAX_ENTRIES)
            self.entry(self.entries, _value(event, value, events, 2))
            self.entries += 1

    def entry(self, index: int, raw: Any) -> None:
        """Check one entry, keep what the records need from it, drop the rest."""
        if not isinstance(raw, dict):
            detail = f"entry[{index}]: not a JSON object"
            self.bundle_problems.add(Problem.INVALID_BUNDLE, entry=index, detail=detail)
            return
        self._check_shell(index, {k: v for k, v in raw.items() if k != "resource"})
        resource = raw.get("resource")
        if not isinstance(resource, dict):
            self.resource_problems.add(Problem.MISSING_RESOURCE, entry=index)
            return
        parsed = self._validate(index, resource)
        if parsed is not None:
            full_url = raw.get("fullUrl")
            self._keep(index, full_url if isinstance(full_url, str) else "", parsed)

    def _check_shell(self, index: int, shell: dict[str, Any]) -> None:
        """The entry's own elements (fullUrl, request, ...); its resource comes next."""
        try:
            BundleEntry.model_validate(shell)
        except pydantic.ValidationError as exc:
            for fault in exc.errors()[:MAX_FAULTS_PER_ENTRY]:
                path = ".".join(str(p) for p in fault["loc"])
                detail = f"entry[{index}].{path}: {fault['msg']}"
                self.bundle_problems.add(
                    Problem.INVALID_BUNDLE, entry=index, column=path, detail=detail
                )

    def _validate(self, index: int, resource: dict[str, Any]) -> Resource | None:
        """Pass 1: the entry is a valid R4 resource."""
        kind = resource.get("resourceType")
        label = _label(resource)
        model = _model_for(kind)
        if model is None:
            self.resource_problems.add(
                Problem.UNKNOWN_RESOURCE_TYPE,
                entry=index,
                resource=label,
                column="resourceType",
                type=str(kind)[:40],
            )
            return None
        try:
            return model.model_validate(resource)
        except pydantic.ValidationError as exc:
            for fault in exc.errors()[:MAX_FAULTS_PER_ENTRY]:
                path = ".".join(str(p) for p in fault["loc"])
                self.resource_problems.add(
                    Problem.INVALID_RESOURCE,
                    entry=index,
                    resource=label,
                    column=path,
                    detail=f"{path}: {fault['msg']}" if path else fault["msg"],
                )
            return None

    # Pass 2: what records may point at, and the records reduced -----------------------------

    def _keep(self, index: int, full_url: str, resource: Resource) -> None:
        rid = getattr(resource, "id", None)
        kind = resource.get_resource_type()
        label = f"{kind}/{rid}" if rid else kind
        # Every spelling another entry may use to point at this one.
        keys = [full_url] if full_url else []
        if rid:
            keys.append(f"{kind}/{rid}")
        if isinstance(resource, Patient):
            nik_index = self._patient_nik_index(index, label, resource)
            for key in keys:
                self.patients[key] = nik_index
        elif isinstance(resource, Organization) and resource.name:
            for key in keys:
                self.organizations[key] = str(resource.name)
        elif isinstance(resource, Specimen):
            collection = resource.collection
            collected = collection.collectedDateTime if collection else None
            for key in keys:
                self.specimens[key] = collected
        elif isinstance(resource, Immunization):
            self._reduce_immunization(index, label, resource)
        elif isinstance(resource, Observation):
            self._reduce_observation(index, label, resource)

    def _patient_nik_index(self, index: int, label: str, patient: Patient) -> str | None:
        niks = {
            str(i.value).strip()
            for i in patient.identifier or []
            if i.system == codes.NIK_SYSTEM and i.value
        }
        problem = None
        if not niks:
            problem = Problem.PATIENT_WITHOUT_NIK
        elif len(niks) > 1:
            problem = Problem.CONFLICTING_NIK
        elif not is_valid_nik(nik := niks.pop()):
            problem = Problem.BAD_NIK
        if problem is not None:
            self.patient_problems.add(problem, entry=index, resource=label, column="identifier")
            return None
        return self._index(nik)

    def _index(self, nik: str) -> str:
        index = nik_index_for(nik)
        self.districts[index] = nik_district(nik)
        return index

    def _reduce_immunization(self, index: int, label: str, imm: Immunization) -> None:
        if imm.status != "completed":
            self.ignored["immunization_not_completed"] += 1
            return
        if imm.isSubpotent:
            # A subpotent dose (a broken cold chain, half a dose) does not count.
            self.ignored["immunization_subpotent"] += 1
            return
        # Required elements may still arrive as null, which fhir.resources lets through.
        concept = imm.vaccineCode
        codings = [
            (str(c.system or ""), str(c.code or ""), str(c.display or ""))
            for c in (concept.coding if concept else None) or []
        ]
        vaccine = codes.identify_vaccine(codings, str(concept.text or "") if concept else "")
        if vaccine is not None and not vaccine.code:
            # A product without a CVX code (IndoVac): keep the sender's own (KFA, local).
            vaccine = codes.Vaccine(
                vaccine.product, next((c for _, c, _ in codings if c), ""), vaccine.single_dose
            )
        self.records.append(
            _Dose(
                index,
                label,
                _ref(imm.patient),
                vaccine,
                imm.occurrenceDateTime,
                _dose_number(imm),
            )
        )

    def _reduce_observation(self, index: int, label: str, obs: Observation) -> None:
        if obs.status not in IMPORTED_OBSERVATION_STATUSES:
            self.ignored["observation_not_final"] += 1
            return
        value = obs.valueCodeableConcept
        effective: tuple[str, Any] | None = None
        if obs.effectiveDateTime is not None:
            effective = ("effectiveDateTime", obs.effectiveDateTime)
        elif obs.effectiveInstant is not None:
            effective = ("effectiveInstant", obs.effectiveInstant)
        elif obs.effectivePeriod is not None and obs.effectivePeriod.start is not None:
            effective = ("effectivePeriod.start", obs.effectivePeriod.start)
        self.records.append(
            _Test(
                index,
                label,
                tuple(
                    str(c.code or "")
                    for c in (obs.code.coding if obs.code else None) or []
                    if c.system == codes.LOINC_SYSTEM
                ),
                _ref(obs.subject),
                None
                if value is None
                else tuple(
                    str(c.code or "") for c in value.coding or [] if c.system == codes.SNOMED_SYSTEM
                ),
                str(obs.specimen.reference or "") if obs.specimen is not None else "",
                effective,
                tuple((str(p.reference or ""), str(p.display or "")) for p in obs.performer or []),
            )
        )

    # Pass 3: the records, once every entry is known ------------------------------------------

    def finish(self) -> None:
        """After the last entry: check the Bundle itself, make the records, list problems."""
        report = self.report
        if not self.is_object or self.members.get("resourceType") != "Bundle":
            report.add(Problem.NOT_A_BUNDLE)
            return
        if self.entry_list is False:
            report.add(Problem.INVALID_BUNDLE, column="entry", detail="entry must be a list")
            return
        for record in self.records:
            if isinstance(record, _Dose):
                self._dose(record)
            else:
                self._lab_result(record)
        self._check_bundle()
        for found in (
            self.bundle_problems,
            self.resource_problems,
            self.patient_problems,
            self.record_problems,
        ):
            report.problems.extend(found.problems)
        report.ignored.update(self.ignored)

    def _check_bundle(self) -> None:
        """The Bundle's own elements, before the problems of its entries."""
        top = ImportReport("")
        try:
            Bundle.model_validate(self.members)
        except pydantic.ValidationError as exc:
            for fault in exc.errors()[:MAX_BUNDLE_FAULTS]:
                path = ".".join(str(p) for p in fault["loc"])
                top.add(Problem.INVALID_BUNDLE, column=path, detail=f"{path}: {fault['msg']}")
        kind = self.members.get("type")
        if isinstance(kind, str) and kind not in BUNDLE_TYPES:
            # fhir.resources checks that a code is a code, not that it is one of the binding's.
            top.add(Problem.INVALID_BUNDLE, column="type", detail=f"type: unknown {kind[:40]!r}")
        if not self.entries:
            top.add(Problem.EMPTY_FILE)
        self.bundle_problems.problems[:0] = top.problems

    def fail(
        self, record: _Dose | _Test, problem: Problem, column: str = "", **params: Any
    ) -> None:
        self.record_problems.add(
            problem, entry=record.index, resource=record.label, column=column, **params
        )

    def _resolve(self, record: _Dose | _Test, ref: _Ref | None, column: str) -> str | None:
        """The nik_index of the referenced Patient, or None after reporting why not."""
        if ref is not None and ref.nik is not None:
            # A logical reference by NIK needs no Patient resource in the bundle.
            if is_valid_nik(ref.nik):
                return self._index(ref.nik)
            self.fail(record, Problem.BAD_NIK, f"{column}.identifier")
            return None
        target = ref.target if ref is not None else ""
        for key in _reference_keys(target):
            if key in self.patients:
                return self.patients[key]  # None: the Patient's own problem was reported
        self.fail(record, Problem.UNRESOLVED_PATIENT, column, reference=target[:80] or "-")
        return None

    def _add(self, record: _Dose | _Test, record_type: RecordType, made: Any) -> None:
        conflict = self.batch.add(record_type, made, f"entry[{record.index}] {record.label}")
        if conflict is not None:
            self.fail(record, Problem.CONFLICTING_DUPLICATE, where=conflict)

    def _dose(self, dose: _Dose) -> None:
        problems_before = len(self.record_problems.problems)
        nik_index = self._resolve(dose, dose.patient, "patient")
        vaccine = dose.vaccine
        if vaccine is None:
            self.fail(dose, Problem.UNKNOWN_VACCINE, "vaccineCode")

        given_on = None
        if dose.occurrence is None:
            self.fail(dose, Problem.MISSING_DATE, "occurrenceDateTime")
        else:
            given_on = _day(dose.occurrence)
            if given_on is None:
                self.fail(dose, Problem.IMPRECISE_DATE, "occurrenceDateTime")
            elif found := date_problem(given_on, past_only=True):
                self.fail(dose, found[0], "occurrenceDateTime", **found[1])
                given_on = None

        dose_number = dose.dose_number
        if dose_number is None:
            self.fail(dose, Problem.MISSING_DOSE_NUMBER, "protocolApplied")
        elif not 1 <= dose_number <= MAX_DOSE_NUMBER:
            self.fail(dose, Problem.BAD_DOSE_NUMBER, "protocolApplied", limit=MAX_DOSE_NUMBER)

        if (
            len(self.record_problems.problems) > problems_before
            or nik_index is None
            or vaccine is None
            or given_on is None
            or dose_number is None
        ):
            return
        made = VaccinationDose(
            nik_index=nik_index,
            source=Source.FHIR,
            dose_number=dose_number,
            given_on=given_on,
            product=vaccine.product[:_PRODUCT_MAX],
            product_code=vaccine.code[:50],
            single_dose_product=vaccine.single_dose,
        )
        self._add(dose, RecordType.VACCINATION, made)

    def _lab_result(self, test: _Test) -> None:
        problems_before = len(self.record_problems.problems)
        methods = codes.LOINC_METHODS
        method = next((methods[c] for c in test.loinc if c in methods), None)
        if method is None:
            shown = ", ".join(test.loinc)[:80] or "-"
            self.fail(test, Problem.UNKNOWN_TEST_CODE, "code", codes=shown)

        nik_index = self._resolve(test, test.subject, "subject")

        outcome = None
        if test.snomed is None:
            self.fail(test, Problem.MISSING_TEST_RESULT, "valueCodeableConcept")
        else:
            outcome = next(
                (codes.SNOMED_OUTCOMES[c] for c in test.snomed if c in codes.SNOMED_OUTCOMES), None
            )
            if outcome is None:
                shown = ", ".join(test.snomed)[:80] or "-"
                self.fail(test, Problem.UNKNOWN_TEST_RESULT, "valueCodeableConcept", codes=shown)

        specimen_at = self._specimen_time(test)

        if (
            len(self.record_problems.problems) > problems_before
            or nik_index is None
            or method is None
            or outcome is None
            or specimen_at is None
        ):
            return
        made = LabResult(
            nik_index=nik_index,
            source=Source.FHIR,
            method=method,
            result=outcome,
            specimen_at=specimen_at,
            lab=self._lab(test)[:_LAB_MAX],
            nik_district=self.districts.get(nik_index, ""),
        )
        self._add(test, RecordType.LAB_RESULT, made)

    def _specimen_time(self, test: _Test) -> dt.datetime | None:
        """The collection time of the linked Specimen, else the Observation's effective time."""
        column, value = "effectiveDateTime", None
        for key in _reference_keys(test.specimen):
            if self.specimens.get(key) is not None:
                column, value = "specimen", self.specimens[key]
                break
        if value is None and test.effective is not None:
            column, value = test.effective
        if value is None:
            self.fail(test, Problem.MISSING_SPECIMEN_TIME, "effectiveDateTime")
            return None
        if not isinstance(value, dt.datetime):
            # A date alone cannot tell a 24-hour antigen result from a day-old one.
            self.fail(test, Problem.IMPRECISE_TIME, column)
            return None
        moment = value if timezone.is_aware(value) else timezone.make_aware(value)
        if found := moment_problem(moment):
            self.fail(test, found[0], column, **found[1])
            return None
        return moment

    def _lab(self, test: _Test) -> str:
        for reference, display in test.performers:
            for key in _reference_keys(reference):
                if key in self.organizations:
                    return self.organizations[key]
            if display:
                return display
        return ""


def _ref(ref: Reference | None) -> _Ref | None:
    if ref is None:
        return None
    nik = None
    ident = ref.identifier
    if ident is not None and ident.system == codes.NIK_SYSTEM and ident.value:
        nik = str(ident.value).strip()
    return _Ref(str(ref.reference) if ref.reference else "", nik)


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
