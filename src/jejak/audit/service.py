from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Model

from jejak.audit.models import AuditEvent

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
