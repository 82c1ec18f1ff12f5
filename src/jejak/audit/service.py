from typing import Any

from django.db.models import Model

from jejak.audit.models import AuditEvent


def record(
    *, actor: Any, action: str, obj: Model | None = None, ip: str | None = None, **detail: Any
) -> AuditEvent:
    """Write one audit row. `actor` may be anonymous or None (a command run by the system)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
        ip=ip,
    )
