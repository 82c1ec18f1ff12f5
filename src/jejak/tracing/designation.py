"""Designating close contacts: each confirmed contact gets a close-contact designation
and is told; the visitors below the threshold get the informational notice, and the
case's exposure sites are published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from jejak.accounts.capabilities import Cap
from jejak.audit import service as audit
from jejak.health.models import DesignationKind
from jejak.health.service import record_designation
from jejak.tracing import access, profiles
from jejak.tracing.access import refuse
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.guards import check_case, check_open
from jejak.tracing.models import Case, CaseStatus, ExposureSite
from jejak.tracing.notices import case_ref, notify
from jejak.tracing.reads import contacts_of

if TYPE_CHECKING:
    from jejak.accounts.models import User


@dataclass(frozen=True)
class Designated:
    designated: int
    informed: int
    sites_published: int


def designate_contacts(
    *,
    case: Case,
    actor: User | None,
    contact_ids: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Designated:
    """Confirm contacts as close contacts (all close ones when `contact_ids` is None):
    each gets a close-contact designation from their last exposure, which screening turns
    black until day 11 or a negative test, and an SMS and in-app message. The case's
    exposure sites are published, and the visitors below the threshold are sent the
    informational notice (once).

    An officer who sees only part of the case designates, informs and publishes only
    within it (a contact outside it is refused, audited), and leaves the case's status to
    the officers who see all of it."""
    check_case(actor, case, Cap.DESIGNATE_CONTACTS)
    check_open(case)
    if case.searched_at is None:
        raise TracingError(Reason.NOT_SEARCHED)
    now = now or timezone.now()
    whole = actor is None or access.sees_whole_case(actor, case)
    ids: set[int] = set()
    if contact_ids is not None:
        ids = {int(i) for i in contact_ids}
        if not ids:
            raise TracingError(Reason.NO_CONTACTS_CHOSEN)
        # Before the transaction, so the refusal's audit row is not rolled back with it.
        seen = contacts_of(case, actor).filter(pk__in=ids).values_list("pk", flat=True)
        if missing := ids - set(seen):
            refuse(
                actor,
                Reason.CONTACT_NOT_FOUND,
                attempt="tracing.contacts.designate",
                obj=case,
                ip=ip,
                contacts=sorted(missing),
            )
    with transaction.atomic():
        # of=self: the jurisdiction filter joins the case, whose row is not ours to lock.
        contacts = contacts_of(case, actor).select_for_update(of=("self",))
        if contact_ids is None:
            chosen = list(contacts.filter(is_close=True).select_related("person__account"))
        else:
            chosen = list(contacts.filter(pk__in=ids).select_related("person__account"))
            if len(chosen) != len(ids):
                # A new search removed one between the check and the lock.
                raise TracingError(Reason.CONTACT_NOT_FOUND)
        ref = case_ref(case)
        days = profiles.for_case(case).designation_days
        designated = 0
        for contact in chosen:
            if contact.designated_at is not None:
                continue
            designation = record_designation(
                nik_index=contact.person.nik_index,
                kind=DesignationKind.CLOSE_CONTACT,
                starts_at=contact.last_exposure_at,
                actor=actor,
                reason=f"Kontak erat kasus #{case.pk}",
                days=days,
            )
            notify(contact, template="exposure_close_contact", ref=ref)
            contact.designation = designation
            contact.designated_at = contact.notified_at = now
            contact.designated_by = actor if getattr(actor, "is_authenticated", False) else None
            contact.save(
                update_fields=["designation", "designated_at", "notified_at", "designated_by"]
            )
            designated += 1
        informed = 0
        below = contacts.filter(
            is_close=False, designated_at__isnull=True, informed_at__isnull=True
        ).select_related("person__account")
        for contact in below:
            notify(contact, template="exposure_informational", ref=ref)
            contact.informed_at = now
            contact.save(update_fields=["informed_at"])
            informed += 1
        sites = ExposureSite.objects.filter(case=case, published_at__isnull=True)
        if actor is not None:
            sites = access.exposure_sites_visible_to(actor, sites)
        published = ExposureSite.objects.filter(pk__in=list(sites.values_list("pk", flat=True)))
        published_count = published.update(published_at=now)
        if whole:
            case.status = CaseStatus.NOTIFIED
            case.notified_at = now
            case.save(update_fields=["status", "notified_at"])
        audit.record(
            actor=actor,
            action="tracing.contacts.designate",
            obj=case,
            ip=ip,
            contacts=[c.pk for c in chosen],
            designated=designated,
            informed=informed,
            sites_published=published_count,
            partial=not whole,
        )
    return Designated(designated=designated, informed=informed, sites_published=published_count)
