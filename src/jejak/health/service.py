"""Every write to health records: file imports and the designations tracing will make."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cache, partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jejak.accounts.capabilities import Cap, has_capability
from jejak.audit import service as audit
from jejak.audit.models import AuditEvent
from jejak.core import sql
from jejak.health.csv_import import read_csv
from jejak.health.fhir import read_bundle
from jejak.health.models import (
    Designation,
    DesignationKind,
    HealthRecord,
    LabOutcome,
    LabResult,
    Source,
)
from jejak.health.report import (
    Batch,
    ImportReport,
    Problem,
    natural_key,
    natural_key_fields,
)
from jejak.health.signals import positive_results_recorded

if TYPE_CHECKING:
    from jejak.accounts.models import User

# A CSV sheet is read whole; a FHIR Bundle is streamed, up to fhir.MAX_BUNDLE_BYTES.
MAX_FILE_BYTES = 10 * 1024 * 1024  # the same as DATA_UPLOAD_MAX_MEMORY_SIZE
# Natural keys are looked up by nik_index in chunks that stay under SQLite's
# variable limit.
QUERY_CHUNK = 500
DESIGNATION_RECORDED = "health.designation.record"
_BOM = b"\xef\xbb\xbf"


class HealthRecordError(Exception):
    """A refused change to a health record; `code` is the stable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def import_health_file(
    file: str | os.PathLike[str] | IO[bytes] | bytes,
    *,
    actor: User | None,
    filename: str | None = None,
) -> ImportReport:
    """Import a FHIR R4 Bundle (JSON) or a CSV sheet of health records: all of it, or none.

    `actor` None is the system (a command run by IT staff); otherwise the actor needs
    Cap.IMPORT_HEALTH_RECORDS. Records already present are left as they are. A bundle
    is read from the file entry by entry, never whole (fhir.py).
    """
    if actor is not None and not has_capability(actor, Cap.IMPORT_HEALTH_RECORDS):
        raise PermissionDenied(Cap.IMPORT_HEALTH_RECORDS.value)
    with _opened(file) as (name, stream):
        report = ImportReport(filename=filename or name)
        # A bundle is a JSON object; a CSV sheet never starts with "{".
        head = _head(stream)
        if head.removeprefix(_BOM).lstrip().startswith(b"{"):
            batch = read_bundle(stream, report)
        else:
            # One byte over the limit is enough to know it is too large.
            data = stream.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                report.add(Problem.TOO_LARGE, limit=MAX_FILE_BYTES // (1024 * 1024))
                return report
            batch = read_csv(data, report)
    if report.ok:
        _save(batch, actor, report)
    return report


@contextlib.contextmanager
def _opened(
    file: str | os.PathLike[str] | IO[bytes] | bytes,
) -> Iterator[tuple[str, IO[bytes]]]:
    """The file's name and a seekable binary stream of it, at its start."""
    if isinstance(file, bytes):
        yield "", io.BytesIO(file)
    elif isinstance(file, str | os.PathLike):
        path = Path(file)
        with path.open("rb") as opened:
            yield path.name, opened
    else:
        name = os.path.basename(str(getattr(file, "name", "") or ""))
        if _seekable(file):
            yield name, file
        else:
            # One byte over the limit is enough to know it is too large.
            data = file.read(MAX_FILE_BYTES + 1)
            yield name, io.BytesIO(data.encode() if isinstance(data, str) else data)


def _seekable(file: IO[bytes]) -> bool:
    try:
        return bool(file.seekable()) and isinstance(file.read(0), bytes)
    except (AttributeError, OSError, ValueError):
        return False


def _head(stream: IO[bytes]) -> bytes:
    """The file's first bytes, up to its first one that is not white space; the stream is
    put back where it was."""
    at = stream.tell()
    head = b""
    while len(head) <= MAX_FILE_BYTES and (chunk := stream.read(4096)):
        head += chunk
        if head.removeprefix(_BOM).strip():
            break
    stream.seek(at)
    return head


def _save(batch: Batch, actor: User | None, report: ImportReport) -> None:
    by_model: dict[type[HealthRecord], list[tuple[str, HealthRecord]]] = defaultdict(list)
    for record_type, record, _where in batch.records.values():
        if isinstance(record, Designation) and getattr(actor, "is_authenticated", False):
            record.created_by = actor
        by_model[type(record)].append((record_type, record))
    positives: set[str] = set()
    with transaction.atomic():
        for model, items in by_model.items():
            present = _present_keys(model, {record.nik_index for _, record in items})
            new = [(t, r) for t, r in items if natural_key(r) not in present]
            # ignore_conflicts: a concurrent import of the same records must not fail this
            # one; it may then count as created a row the other import wrote first.
            model._default_manager.bulk_create(
                [r for _, r in new], batch_size=500, ignore_conflicts=True
            )
            for record_type, _record in new:
                report.created[record_type] += 1
            positives.update(
                r.nik_index
                for _, r in new
                if isinstance(r, LabResult) and r.result == LabOutcome.POSITIVE
            )
            for record_type, record in items:
                if natural_key(record) in present:
                    report.unchanged[record_type] += 1
        audit.record(
            actor=actor,
            action="health.import",
            filename=report.filename,
            format=report.format,
            records=report.records,
            people=report.people,
            created=dict(report.created),
            unchanged=dict(report.unchanged),
            ignored=dict(report.ignored),
        )
        if positives:
            # Contact tracing opens a case for each registered person with a new positive
            # result once the records are committed; a failure there never undoes the import.
            transaction.on_commit(
                lambda: _announce_positives(positives, report.filename), robust=True
            )


def _announce_positives(nik_indexes: set[str], source: str = "") -> None:
    positive_results_recorded.send_robust(sender=LabResult, nik_indexes=nik_indexes, source=source)


def _present_keys(model: type[HealthRecord], nik_indexes: set[str]) -> set[tuple[Any, ...]]:
    fields = natural_key_fields(model)
    ordered = sorted(nik_indexes)
    present: set[tuple[Any, ...]] = set()
    for start in range(0, len(ordered), QUERY_CHUNK):
        chunk = ordered[start : start + QUERY_CHUNK]
        present.update(
            tuple(row)
            for row in model._default_manager.filter(nik_index__in=chunk).values_list(*fields)
        )
    return present


def record_designation(
    *,
    nik_index: str,
    kind: DesignationKind | str,
    starts_at: dt.datetime,
    actor: User | None,
    reason: str = "",
    source: Source | str = Source.TRACING,
    days: int | None = None,
) -> Designation:
    """Designate a NIK a positive case or close contact from `starts_at` (for `days`
    after it when given, else as long as the screening rule set says); idempotent."""
    if kind not in DesignationKind.values:
        raise HealthRecordError("unknown_kind", f"Unknown designation kind {kind!r}.")
    if timezone.is_naive(starts_at):
        raise HealthRecordError("naive_datetime", "starts_at must be timezone-aware.")
    with transaction.atomic():
        designation, created = Designation.objects.get_or_create(
            nik_index=nik_index,
            kind=kind,
            starts_at=starts_at,
            defaults={
                "reason": reason[:200],
                "days": days,
                "source": source,
                "created_by": actor if getattr(actor, "is_authenticated", False) else None,
            },
        )
        if created:
            audit.record(
                actor=actor,
                action=DESIGNATION_RECORDED,
                obj=designation,
                kind=str(kind),
                starts_at=starts_at.isoformat(),
                source=str(source),
                reason=reason[:200],
            )
    return designation


def record_designations(
    starts: Iterable[tuple[str, dt.datetime]],
    *,
    kind: DesignationKind | str,
    actor: User | None,
    reason: str = "",
    source: Source | str = Source.TRACING,
    days: int | None = None,
) -> dict[tuple[str, dt.datetime], int]:
    """record_designation for many (NIK index, starts_at) pairs of one kind and reason (a
    case's close contacts): the same rows and audit rows, in a few statements. Returns
    the id of each pair's designation, the one already there or the new one;
    idempotent."""
    if kind not in DesignationKind.values:
        raise HealthRecordError("unknown_kind", f"Unknown designation kind {kind!r}.")
    wanted = set(starts)
    if any(timezone.is_naive(starts_at) for _index, starts_at in wanted):
        raise HealthRecordError("naive_datetime", "starts_at must be timezone-aware.")
    created_by = actor if getattr(actor, "is_authenticated", False) else None
    if sql.vendor() == "postgresql" and wanted:
        inserted = _insert_designations(
            sorted(wanted),
            kind=str(kind),
            reason=reason[:200],
            source=str(source),
            days=days,
            actor=actor,
        )
        # The ones already there (or written meanwhile by another designation) are kept
        # as they are, and only those are looked up.
        return inserted | _designation_ids(wanted - set(inserted), kind)
    with transaction.atomic():
        found = _designation_ids(wanted, kind)
        missing = sorted(wanted - set(found))

        def rows() -> list[Designation]:
            return [
                Designation(
                    nik_index=index,
                    kind=kind,
                    starts_at=starts_at,
                    reason=reason[:200],
                    days=days,
                    source=source,
                    created_by=created_by,
                )
                for index, starts_at in missing
            ]

        try:
            with transaction.atomic():
                made = Designation.objects.bulk_create(rows(), batch_size=500)
            created = {(d.nik_index, d.starts_at): d.pk for d in made}
        except IntegrityError:
            # Another designation wrote one of them meanwhile: keep it as it is.
            Designation.objects.bulk_create(rows(), batch_size=500, ignore_conflicts=True)
            created = _designation_ids(set(missing), kind)
        audit.record_many(
            [
                audit.event(
                    actor=actor,
                    action=DESIGNATION_RECORDED,
                    obj=Designation(pk=pk),
                    kind=str(kind),
                    starts_at=starts_at.isoformat(),
                    source=str(source),
                    reason=reason[:200],
                )
                for (_index, starts_at), pk in created.items()
            ]
        )
    return found | created


def _insert_designations(
    starts: list[tuple[str, dt.datetime]],
    *,
    kind: str,
    reason: str,
    source: str,
    days: int | None,
    actor: User | None,
) -> dict[tuple[str, dt.datetime], int]:
    """record_designations' rows and their audit rows on PostgreSQL, in one statement
    (a mass run designates tens of thousands of contacts: two ORM bulk inserts building a
    model instance per row were a fifth of a tracing worker's time). The audit rows are
    those `audit.record` writes for `record_designation`: `audit.event` makes the fields
    they share, the statement each one's object id and detail. Pairs already designated
    are skipped (ON CONFLICT on the natural key) and not returned."""
    shared = audit.event(actor=actor, action=DESIGNATION_RECORDED, obj=Designation())
    params: list[Any] = [
        [index for index, _starts_at in starts],
        [starts_at for _index, starts_at in starts],
        [starts_at.isoformat() for _index, starts_at in starts],
        source,
        shared.at,
        kind,
        days,
        reason,
        shared.actor_id,
        shared.at,
        shared.actor_id,
        shared.action,
        shared.object_type,
        shared.purpose,
        shared.actor_role,
        shared.actor_org,
        kind,
        source,
        reason,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_designations_sql(sql.vendor()), params)
        return {(index, starts_at): pk for pk, index, starts_at in cursor.fetchall()}


@cache
def _designations_sql(vendor: str) -> str:
    del vendor  # part of the cache key only
    designation, event = partial(sql.column, Designation), partial(sql.column, AuditEvent)

    def columns(column: Callable[[str], str], *names: str) -> str:
        return ", ".join(column(name) for name in names)

    # Names from the models' metadata; every value is a parameter.
    return (
        "WITH i AS (SELECT * FROM unnest(%s::varchar[], %s::timestamptz[], %s::text[]) "  # noqa: S608
        "AS i(nik, starts, iso)), "
        f"made AS (INSERT INTO {sql.table(Designation)} ("
        f"{columns(designation, 'nik_index', 'source', 'recorded_at', 'kind', 'starts_at')}, "
        f"{columns(designation, 'days', 'reason', 'created_by')}) "
        "SELECT nik, %s, %s, %s, starts, %s, %s, %s FROM i "
        f"ON CONFLICT ({columns(designation, 'nik_index', 'kind', 'starts_at')}) DO NOTHING "
        f"RETURNING {designation('id')} AS id, {designation('nik_index')} AS nik, "
        f"{designation('starts_at')} AS starts), "
        f"logged AS (INSERT INTO {sql.table(AuditEvent)} ("
        f"{columns(event, 'at', 'actor', 'action', 'object_type', 'object_id')}, "
        f"{columns(event, 'purpose', 'actor_role', 'actor_org', 'detail')}) "
        "SELECT %s, %s, %s, %s, made.id::text, %s, %s, %s, jsonb_build_object("
        "'kind', %s::text, 'starts_at', i.iso, 'source', %s::text, 'reason', %s::text) "
        "FROM made JOIN i ON i.nik = made.nik AND i.starts = made.starts) "
        "SELECT id, nik, starts FROM made"  # nosec B608
    )


def _designation_ids(
    keys: set[tuple[str, dt.datetime]], kind: str
) -> dict[tuple[str, dt.datetime], int]:
    indexes = sorted({index for index, _starts_at in keys})
    found = {}
    for start in range(0, len(indexes), QUERY_CHUNK):
        chunk = indexes[start : start + QUERY_CHUNK]
        members = set(chunk)
        starts = sorted({starts_at for index, starts_at in keys if index in members})
        rows = Designation.objects.filter(
            kind=kind, nik_index__in=chunk, starts_at__in=starts
        ).values_list("nik_index", "starts_at", "pk")
        for index, starts_at, pk in rows:
            if (index, starts_at) in keys:
                found[(index, starts_at)] = pk
    return found


def end_designation(
    *, designation: Designation, ended_at: dt.datetime, actor: User | None, reason: str = ""
) -> Designation:
    """Lift a designation early (a contact's negative test, an officer's decision)."""
    if timezone.is_naive(ended_at):
        raise HealthRecordError("naive_datetime", "ended_at must be timezone-aware.")
    with transaction.atomic():
        # Locked so two officers lifting it at once write one end and one audit row.
        current = Designation.objects.select_for_update().get(pk=designation.pk)
        if current.ended_at is not None:
            return current
        if ended_at < current.starts_at:
            raise HealthRecordError(
                "ends_before_start", "A designation cannot end before it starts."
            )
        current.ended_at = ended_at
        current.save(update_fields=["ended_at"])
        audit.record(
            actor=actor,
            action="health.designation.end",
            obj=current,
            kind=current.kind,
            ended_at=ended_at.isoformat(),
            reason=reason[:200],
        )
    return current
