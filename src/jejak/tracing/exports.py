"""A case's contact list exported as CSV or XLSX (formula-safe), of the contacts the
actor sees; every export is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from jejak.accounts.capabilities import Cap
from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.core.exports import to_csv, to_xlsx
from jejak.tracing import access
from jejak.tracing.guards import check_case
from jejak.tracing.models import Case, Contact
from jejak.tracing.reads import visible_contacts
from jejak.tracing.window import JAKARTA

if TYPE_CHECKING:
    from jejak.accounts.models import User

EXPORT_HEADERS = [
    "rank",
    "name",
    "nik",
    "phone",
    "close_contact",
    "employee",
    "minutes",
    "score",
    "last_exposure",
    "designated_at",
    "visits",
]


def export_rows(contacts: Iterable[Contact]) -> list[list[Any]]:
    yes, no = _("ya"), _("tidak")
    rows = []
    for c in contacts:
        visits = "; ".join(
            f"{v.get('venue', '')} ({v.get('short_code', '')}) "
            f"{_local(v['start']):%d-%m-%Y %H:%M}-{_local(v['end']):%H:%M} "
            f"{v.get('minutes', 0)} min"
            for v in c.visits
        )
        rows.append(
            [
                c.rank,
                c.person.full_name,
                c.person.nik_masked,
                c.person.account.phone_masked if c.person.account_id else "",
                yes if c.is_close else no,
                yes if c.is_employee else no,
                c.minutes,
                float(c.score),
                f"{c.last_exposure_at.astimezone(JAKARTA):%Y-%m-%d %H:%M}",
                f"{c.designated_at.astimezone(JAKARTA):%Y-%m-%d %H:%M}" if c.designated_at else "",
                visits,
            ]
        )
    return rows


def _local(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).astimezone(JAKARTA)


def export_contacts(
    *, case: Case, actor: User | None, fmt: str, ip: str | None = None
) -> tuple[bytes, str, str]:
    """The case's contact list as CSV or XLSX (formula-safe): (content, content type,
    file name), of the contacts the actor sees. Audited: who, when, which case, how many
    rows."""
    check_case(actor, case, Cap.EXPORT_CONTACTS)
    contacts = visible_contacts(case, actor)
    rows = export_rows(contacts)
    name = f"kontak-kasus-{case.pk}-{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        content = to_xlsx(EXPORT_HEADERS, rows, title=_("Kasus %(pk)s") % {"pk": case.pk})
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        fmt = "csv"
        content = to_csv(EXPORT_HEADERS, rows).encode("utf-8")
        kind = "text/csv; charset=utf-8"
    audit.record_read(
        actor=actor,
        action="tracing.contacts.export",
        purpose=Purpose.TRACING,
        subjects=[c.person.nik_index for c in contacts],
        obj=case,
        ip=ip,
        format=fmt,
        rows=len(rows),
        partial=actor is not None and not access.sees_whole_case(actor, case),
    )
    return content, kind, f"{name}.{fmt}"
