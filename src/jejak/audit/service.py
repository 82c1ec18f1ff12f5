from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

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


def record_read(
    *,
    actor: RequestUser | None,
    action: str,
    purpose: str,
    subjects: Iterable[str],
    obj: Model | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Write the audit row of a read of personal data and one subject row per person shown.

    `subjects` are the people's NIK blind indexes (blank ones are skipped, repeats
    collapsed); `purpose` one of `Purpose`. A read that showed nobody (an empty list, a
    refused look-up) still writes its event, with no subject."""
    row = event(actor=actor, action=action, obj=obj, ip=ip, **detail)
    row.purpose = purpose
    if row.actor is not None:
        row.actor_role = str(getattr(row.actor, "role", "") or "")
        row.actor_org = _org(row.actor)
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
