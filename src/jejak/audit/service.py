from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Model

from jejak.audit.models import AuditEvent, AuditSubject

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser


def event(
    *,
    actor: RequestUser | None,
    action: str,
    obj: Model | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """An audit row, not yet written (`record` writes one, `record_many` several)."""
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
        ip=ip,
    )


def record(
    *,
    actor: RequestUser | None,
    action: str,
    obj: Model | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Write one audit row. `actor` may be anonymous or None (a command run by the system)."""
    row = event(actor=actor, action=action, obj=obj, ip=ip, **detail)
    row.save(force_insert=True)
    return row


def record_many(rows: list[AuditEvent]) -> None:
    """Write several rows made by `event` in one statement (a batch of check-ins)."""
    AuditEvent.objects.bulk_create(rows)


def _org(actor: Any) -> str:
    """The reader's organisation as the citizen is told it: an agency, else the venues
    they work at, else their city or regency (never their name)."""
    agency = getattr(actor, "agency", None)
    if agency is not None:
        return str(agency)[:200]
    venues = getattr(actor, "venues", None)
    if venues is not None and getattr(actor, "pk", None):
        names = [str(v) for v in venues.all()[:3]]
        if names:
            return ", ".join(names)[:200]
    region = getattr(actor, "region", None)
    return str(region)[:200] if region is not None else ""


def read_event(
    *,
    actor: RequestUser | None,
    action: str,
    purpose: str,
    obj: Model | None = None,
    ip: str | None = None,
    reader: tuple[str, str] | None = None,
    **detail: Any,
) -> AuditEvent:
    """The row of a read of personal data, not yet written (`record_read` writes it with
    its subjects). `purpose` one of `Purpose`; `reader` (role, organisation) names a
    reader that is not an account (a partner app)."""
    row = event(actor=actor, action=action, obj=obj, ip=ip, **detail)
    row.purpose = purpose
    if row.actor is not None:
        row.actor_role = str(getattr(row.actor, "role", "") or "")
        row.actor_org = _org(row.actor)
    elif reader is not None:
        row.actor_role, row.actor_org = reader[0][:32], reader[1][:200]
    return row


def record_reads(reads: list[tuple[AuditEvent, Iterable[str]]]) -> None:
    """Write reads made by `read_event`, each with its subjects (NIK blind indexes; blank
    ones skipped, repeats collapsed), however many (a batch of partner check-ins): on
    PostgreSQL in one statement, elsewhere in two."""
    if not reads:
        return
    keyed = [
        (n, key)
        for n, (_row, subjects) in enumerate(reads, start=1)
        for key in sorted({key for key in subjects if key})
    ]
    if connection.vendor != "postgresql":
        AuditEvent.objects.bulk_create([row for row, _subjects in reads])
        AuditSubject.objects.bulk_create(
            [
                AuditSubject(event=reads[n - 1][0], nik_index=key, at=reads[n - 1][0].at)
                for n, key in keyed
            ]
        )
        return
    # The ORM's two bulk inserts cost a partner check-in batch more CPU than the rest of
    # its partner bookkeeping together; the values are prepared as the ORM would.
    fields = _event_fields()
    columns = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for row, _subjects in reads]
        for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            _reads_sql(connection.vendor), [*columns, [n for n, _ in keyed], [k for _, k in keyed]]
        )


def record_read_at_once(
    *,
    actor: RequestUser | None,
    action: str,
    purpose: str,
    subjects: Iterable[str],
    reader: tuple[str, str] | None = None,
    **detail: Any,
) -> None:
    """`record_read` for a hot path (a partner's check-in): on PostgreSQL the event and
    its subjects in one statement, so one round trip and one commit; elsewhere as
    `record_read`, in a transaction."""
    row = read_event(actor=actor, action=action, purpose=purpose, reader=reader, **detail)
    keys = sorted({key for key in subjects if key})
    if connection.vendor != "postgresql" or not keys:
        with transaction.atomic():
            row.save(force_insert=True)
            AuditSubject.objects.bulk_create(
                [AuditSubject(event=row, nik_index=key, at=row.at) for key in keys]
            )
        return
    fields = _event_fields()
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_read_sql(connection.vendor), [*values, keys])


@cache
def _reads_sql(vendor: str) -> str:
    """Events with ids taken from their sequence first, so that each subject row names
    its event (by its place in the arrays) in the same statement."""
    del vendor  # part of the cache key only
    qn = connection.ops.quote_name
    fields = _event_fields()
    event_table, subject_table = AuditEvent._meta.db_table, AuditSubject._meta.db_table
    pk_column = str(AuditEvent._meta.pk.column)
    pk = qn(pk_column)
    names = [qn(f.column) for f in fields]
    aliases = [f"c{i}" for i in range(len(fields))]
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    by_name = {f.name: f.column for f in AuditSubject._meta.concrete_fields}
    subject_columns = ", ".join(qn(str(by_name[n])) for n in ("event", "nik_index", "at"))
    at = aliases[[f.name for f in fields].index("at")]
    # Names from the models' metadata; every value is a parameter.
    return (
        f"WITH v AS MATERIALIZED (SELECT nextval(pg_get_serial_sequence('{event_table}', "
        f"'{pk_column}')) AS id, u.* FROM unnest({arrays}) "
        f"WITH ORDINALITY AS u({', '.join(aliases)}, n)), "
        f"e AS (INSERT INTO {qn(event_table)} ({pk}, {', '.join(names)}) "
        f"SELECT id, {', '.join(aliases)} FROM v) "
        f"INSERT INTO {qn(subject_table)} ({subject_columns}) "
        f"SELECT v.id, s.k, v.{at} FROM unnest(%s::bigint[], %s::varchar[]) AS s(n, k) "
        f"JOIN v ON v.n = s.n"  # nosec B608
    )


def _event_fields() -> list[Any]:
    return [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


@cache
def _read_sql(vendor: str) -> str:
    del vendor  # part of the cache key only
    qn = connection.ops.quote_name
    event_table, subject_table = AuditEvent._meta.db_table, AuditSubject._meta.db_table
    fields = _event_fields()
    names = ", ".join(qn(f.column) for f in fields)
    by_name = {f.name: f.column for f in AuditSubject._meta.concrete_fields}
    subject_columns = ", ".join(qn(str(by_name[n])) for n in ("event", "nik_index", "at"))
    # Names from the models' metadata; every value is a parameter.
    return (
        f"WITH e AS (INSERT INTO {qn(event_table)} ({names}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn('id')}, {qn('at')}) "
        f"INSERT INTO {qn(subject_table)} ({subject_columns}) "
        f"SELECT e.{qn('id')}, k, e.{qn('at')} FROM e, unnest(%s::varchar[]) AS k"  # nosec B608
    )


def record_read(
    *,
    actor: RequestUser | None,
    action: str,
    purpose: str,
    subjects: Iterable[str],
    obj: Model | None = None,
    ip: str | None = None,
    reader: tuple[str, str] | None = None,
    **detail: Any,
) -> AuditEvent:
    """Write the audit row of a read of personal data and one subject row per person shown.

    `subjects` are the people's NIK blind indexes (blank ones are skipped, repeats
    collapsed); `purpose` one of `Purpose`. A read that showed nobody (an empty list, a
    refused look-up) still writes its event, with no subject. `reader` (role,
    organisation) names a reader that is not an account (a partner app)."""
    row = read_event(
        actor=actor, action=action, purpose=purpose, obj=obj, ip=ip, reader=reader, **detail
    )
    row.save(force_insert=True)
    keys = sorted({key for key in subjects if key})
    if keys:
        AuditSubject.objects.bulk_create(
            [AuditSubject(event=row, nik_index=key, at=row.at) for key in keys]
        )
    return row


def reads_of(nik_indexes: Iterable[str], *, since: dt.datetime | None = None) -> Any:
    """Audited reads of these people's data by someone other than the people's own
    account, newest first: (subject key, event) rows for "who read my data"."""
    rows = AuditSubject.objects.filter(nik_index__in=list(nik_indexes)).select_related("event")
    if since is not None:
        rows = rows.filter(at__gte=since)
    return rows.order_by("-at", "-pk")
