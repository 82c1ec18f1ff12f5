"""Every write to a breach: record and amend its facts, choose the people affected, draft
and send the notices, note the report to the authority, close it. Each checks
MANAGE_BREACHES (an actor of None is the system: the `jejak breach` command) and writes an
audit row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from jejak.accounts.capabilities import Cap, require
from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.breaches import selection as select
from jejak.breaches.errors import BreachError, BreachErrorCode
from jejak.breaches.models import Breach, BreachStatus, BreachSubject, DataClass
from jejak.breaches.notices import language_of
from jejak.breaches.tasks import send_notices, tasks_run_inline

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser

# A phone's or a laptop's clock a little ahead of the server's is not "the future".
CLOCK_SKEW = dt.timedelta(minutes=5)
# Rows written per INSERT when the notices are drafted.
DRAFT_CHUNK = 2000


def _check(actor: RequestUser | None) -> None:
    if actor is not None:
        require(actor, Cap.MANAGE_BREACHES)


def access_breach(user: RequestUser | None, public_id: str) -> Breach:
    """The breach with this public id, for a caller allowed to manage breaches."""
    _check(user)
    breach = Breach.objects.filter(public_id=public_id).first()
    if breach is None:
        raise BreachError(BreachErrorCode.BREACH_NOT_FOUND)
    return breach


def _clean_facts(
    *,
    discovered_at: dt.datetime,
    occurred_from: dt.datetime | None,
    occurred_to: dt.datetime | None,
    data_classes: Iterable[str],
) -> list[str]:
    if discovered_at > timezone.now() + CLOCK_SKEW:
        raise BreachError(BreachErrorCode.DISCOVERED_IN_FUTURE)
    if occurred_from and occurred_to and occurred_to < occurred_from:
        raise BreachError(BreachErrorCode.OCCURRED_ORDER)
    classes = list(dict.fromkeys(data_classes))
    if not classes:
        raise BreachError(BreachErrorCode.NO_DATA_CLASSES)
    if set(classes) - set(DataClass.values):
        raise BreachError(BreachErrorCode.UNKNOWN_DATA_CLASS)
    # In the choices' order, whatever order they came in.
    return [c for c in DataClass.values if c in classes]


def record_breach(
    *,
    actor: RequestUser | None,
    title: str,
    description: str,
    discovered_at: dt.datetime,
    data_classes: Sequence[str],
    occurred_from: dt.datetime | None = None,
    occurred_to: dt.datetime | None = None,
    cause: str = "",
    measures: str = "",
) -> Breach:
    """Record a breach; its 72-hour deadline runs from `discovered_at`."""
    _check(actor)
    classes = _clean_facts(
        discovered_at=discovered_at,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        data_classes=data_classes,
    )
    with transaction.atomic():
        breach = Breach.objects.create(
            title=title,
            description=description,
            discovered_at=discovered_at,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            data_classes=classes,
            cause=cause,
            measures=measures,
            recorded_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit.record(
            actor=actor,
            action="breaches.recorded",
            obj=breach,
            discovered_at=discovered_at.isoformat(),
            data_classes=classes,
        )
    return breach


def update_breach(
    *,
    actor: RequestUser | None,
    breach: Breach,
    title: str,
    description: str,
    discovered_at: dt.datetime,
    data_classes: Sequence[str],
    occurred_from: dt.datetime | None = None,
    occurred_to: dt.datetime | None = None,
    cause: str = "",
    measures: str = "",
) -> Breach:
    """Amend the facts (the handling and recovery evolve) until the breach is closed.
    Notices already queued keep what they said; the audit row keeps what changed."""
    _check(actor)
    classes = _clean_facts(
        discovered_at=discovered_at,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        data_classes=data_classes,
    )
    with transaction.atomic():
        breach = _locked(breach)
        if breach.status == BreachStatus.CLOSED:
            raise BreachError(BreachErrorCode.WRONG_STATUS)
        new = {
            "title": title,
            "description": description,
            "discovered_at": discovered_at,
            "occurred_from": occurred_from,
            "occurred_to": occurred_to,
            "data_classes": classes,
            "cause": cause,
            "measures": measures,
        }
        changed = sorted(k for k, v in new.items() if getattr(breach, k) != v)
        for name, value in new.items():
            setattr(breach, name, value)
        breach.save(update_fields=list(new))
        audit.record(actor=actor, action="breaches.updated", obj=breach, changed=changed)
    return breach


def set_selection(
    *, actor: RequestUser | None, breach: Breach, selection: select.Selection
) -> Breach:
    """Choose the people affected. Any draft made before is dropped: the notices go to
    the people the current selection finds."""
    _check(actor)
    select.validate(selection)
    with transaction.atomic():
        breach = _locked(breach)
        if breach.status != BreachStatus.OPEN:
            raise BreachError(BreachErrorCode.SELECTION_FROZEN)
        breach.select_all_accounts = selection.all_accounts
        breach.select_venues = list(selection.venues)
        breach.select_checkins_from = selection.checkins_from
        breach.select_checkins_to = selection.checkins_to
        breach.select_venue_regions = list(selection.venue_regions)
        breach.select_residence_regions = list(selection.residence_regions)
        breach.select_data_classes = list(selection.data_classes)
        breach.drafted_at = None
        breach.drafted_by = None
        breach.save()
        BreachSubject.objects.filter(breach=breach).delete()
        audit.record(
            actor=actor,
            action="breaches.selection_set",
            obj=breach,
            all_accounts=selection.all_accounts,
            venues=list(selection.venues),
            checkins_from=selection.checkins_from.isoformat() if selection.checkins_from else "",
            checkins_to=selection.checkins_to.isoformat() if selection.checkins_to else "",
            venue_regions=list(selection.venue_regions),
            residence_regions=list(selection.residence_regions),
            data_classes=list(selection.data_classes),
        )
    return breach


def draft_notices(*, actor: RequestUser | None, breach: Breach) -> int:
    """Freeze the people the selection finds now as the notices' recipients (a draft
    made before is replaced); returns how many. Audited as a read of those people's
    data, for the protection of their data."""
    _check(actor)
    with transaction.atomic():
        breach = _locked(breach)
        if breach.status != BreachStatus.OPEN:
            raise BreachError(BreachErrorCode.SELECTION_FROZEN)
        chosen = select.Selection.of(breach)
        select.validate(chosen)
        BreachSubject.objects.filter(breach=breach).delete()
        found = select.people(chosen).select_related("account").order_by("pk")
        keys: list[str] = []
        rows: list[BreachSubject] = []
        for person in found.iterator(chunk_size=DRAFT_CHUNK):
            account = person.account
            rows.append(
                BreachSubject(
                    breach=breach,
                    person=person,
                    nik_index=person.nik_index,
                    account=account,
                    language=language_of(account),
                    has_phone=bool(account.phone_index or account.phone),
                )
            )
            keys.append(person.nik_index)
            if len(rows) >= DRAFT_CHUNK:
                BreachSubject.objects.bulk_create(rows)
                rows = []
        BreachSubject.objects.bulk_create(rows)
        breach.drafted_at = timezone.now()
        breach.drafted_by = actor if actor is not None and actor.is_authenticated else None
        breach.save(update_fields=["drafted_at", "drafted_by"])
        audit.record_read(
            actor=actor,
            action="breaches.notices_drafted",
            purpose=Purpose.DATA_PROTECTION,
            subjects=keys,
            obj=breach,
            count=len(keys),
        )
    return len(keys)


def start_sending(*, actor: RequestUser | None, breach: Breach) -> int:
    """Start sending the drafted notices; returns how many people they go to. The
    batches run in the task worker, or with none, in `jejak run-periodic` (the command
    `jejak breach notify` sends them itself). Again on a breach being notified: kicks
    its sending again (a lost task)."""
    _check(actor)
    with transaction.atomic():
        breach = _locked(breach)
        if breach.status not in (BreachStatus.OPEN, BreachStatus.NOTIFYING):
            raise BreachError(BreachErrorCode.WRONG_STATUS)
        if breach.drafted_at is None:
            raise BreachError(BreachErrorCode.NOT_DRAFTED)
        subjects = BreachSubject.objects.filter(breach=breach).count()
        if not subjects:
            raise BreachError(BreachErrorCode.NO_SUBJECTS)
        if breach.status == BreachStatus.OPEN:
            breach.status = BreachStatus.NOTIFYING
            breach.save(update_fields=["status"])
        audit.record(actor=actor, action="breaches.sending_started", obj=breach, count=subjects)
        if not tasks_run_inline():
            breach_id = breach.pk
            transaction.on_commit(lambda: send_notices.enqueue(breach_id=breach_id))
    return subjects


def mark_reported(
    *, actor: RequestUser | None, breach: Breach, at: dt.datetime | None = None
) -> Breach:
    """Note when the written report reached the authority (Art. 46 (1))."""
    _check(actor)
    at = at or timezone.now()
    if at > timezone.now() + CLOCK_SKEW:
        raise BreachError(BreachErrorCode.DISCOVERED_IN_FUTURE)
    with transaction.atomic():
        breach = _locked(breach)
        if breach.status == BreachStatus.CLOSED:
            raise BreachError(BreachErrorCode.WRONG_STATUS)
        breach.reported_to_authority_at = at
        breach.save(update_fields=["reported_to_authority_at"])
        audit.record(
            actor=actor, action="breaches.reported_to_authority", obj=breach, at=at.isoformat()
        )
    return breach


def close_breach(*, actor: RequestUser | None, breach: Breach) -> Breach:
    """Close a breach whose notices are not being sent."""
    _check(actor)
    with transaction.atomic():
        breach = _locked(breach)
        if breach.status not in (BreachStatus.OPEN, BreachStatus.NOTIFIED):
            raise BreachError(BreachErrorCode.WRONG_STATUS)
        breach.status = BreachStatus.CLOSED
        breach.closed_at = timezone.now()
        breach.save(update_fields=["status", "closed_at"])
        audit.record(actor=actor, action="breaches.closed", obj=breach)
    return breach


def report_generated(*, actor: RequestUser | None, breach: Breach, via: str) -> None:
    """Audit a produced authority report (the page's download, the command's file)."""
    _check(actor)
    audit.record(actor=actor, action="breaches.report_generated", obj=breach, via=via)


def _locked(breach: Breach) -> Breach:
    # Two officers (or an officer and the sender) never change one breach at once.
    return Breach.objects.select_for_update().get(pk=breach.pk)
