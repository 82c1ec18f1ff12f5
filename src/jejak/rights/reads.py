"""Who read my data: the audited reads of the personal data of an account's people by
anyone else (audit.service.record_read), as the citizen is told them: when, the reader's
role and organisation at the time, and the purpose. Never the officer's name, user name
or id: the audit log keeps those for oversight, not for the citizen."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from jejak.accounts.roles import Role
from jejak.audit.models import PARTNER_ROLE, AuditSubject, Purpose
from jejak.audit.service import reads_of
from jejak.people.models import Person

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from jejak.accounts.models import User


def reads_for(account: User, people: Iterable[Person] | None = None) -> QuerySet[AuditSubject]:
    """Reads of the data of `people` (default: everyone of the account), newest first;
    the account's own reads (not audited anyway) are left out."""
    chosen = Person.objects.filter(account=account) if people is None else people
    indexes = [p.nik_index for p in chosen]
    rows: QuerySet[AuditSubject] = reads_of(indexes)
    return rows.exclude(event__actor_id=account.pk)


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _role(value: str) -> str:
    if value == PARTNER_ROLE:
        # A partner app the citizen connected, read through its token (partners app).
        return _("Aplikasi mitra")
    return _label(Role, value) if value else ""


def describe(row: AuditSubject, person: Person | None) -> dict[str, Any]:
    """One read as the citizen reads it (API and pages)."""
    event = row.event
    return {
        "person": person.public_id if person is not None else "",
        "person_name": person.full_name if person is not None else "",
        "at": timezone.localtime(row.at),
        "role": _role(event.actor_role),
        "organisation": event.actor_org,
        "purpose": _label(Purpose, event.purpose) if event.purpose else "",
        "purpose_code": event.purpose,
    }


def as_rows(
    rows: QuerySet[AuditSubject], people: Sequence[Person]
) -> dict[str, list[dict[str, Any]]]:
    """Every read, grouped by the person's NIK index, for the export document."""
    by_index = {p.nik_index: p for p in people}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows.iterator(chunk_size=2000):
        found = describe(row, by_index.get(row.nik_index))
        grouped[row.nik_index].append(
            {
                "at": found["at"].isoformat(),
                "role": found["role"],
                "organisation": found["organisation"],
                "purpose": found["purpose"],
                "purpose_code": found["purpose_code"],
            }
        )
    return grouped
