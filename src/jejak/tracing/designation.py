"""Designating close contacts: each confirmed contact gets a close-contact designation
and is told; the visitors below the threshold get the informational notice, and the
case's exposure sites are published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from jejak.accounts.capabilities import Cap
from jejak.audit import service as audit
from jejak.core import sql
from jejak.health.models import DesignationKind
from jejak.health.service import record_designations
from jejak.tracing import access, notices, profiles
from jejak.tracing.access import refuse
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.guards import check_case, check_open
from jejak.tracing.models import Case, CaseStatus, Contact, ExposureSite
from jejak.tracing.notices import case_ref
from jejak.tracing.reads import contacts_of

if TYPE_CHECKING:
    from jejak.accounts.models import User


# The fields a designation without its notices reads (a mass run's).
LEAN = ["id", "case_id", "person_id", "designated_at", "last_exposure_at", "person__nik_index"]


@dataclass(frozen=True)
class Designated:
    designated: int
    informed: int
    sites_published: int
    # With notify=False: the contacts designated now and those below the threshold to
    # inform, whose messages are the caller's to send (tracing/mass.py: one per person).
    to_notify: tuple[int, ...] = ()
    to_inform: tuple[int, ...] = ()


def designate_contacts(
    *,
    case: Case,
    actor: User | None,
    contact_ids: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    ip: str | None = None,
    notify: bool = True,
    complete: bool = True,
) -> Designated:
    """Confirm contacts as close contacts (all close ones when `contact_ids` is None):
    each gets a close-contact designation from their last exposure, which screening turns
    black until day 11 or a negative test, and an SMS and in-app message (someone told
    for another case in the last 24 hours gets the short update instead). The case's
    exposure sites are published, and the visitors below the threshold are sent the
    informational notice (once).

    `notify=False` (a mass run) sends nothing: the contacts are designated (their
    `notified_at` and the visitors' `informed_at` stay empty) and returned, for the
    caller to tell. `complete=False` leaves the case `contacts_identified`: close
    contacts remain for the officers.

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
            wanted = contacts.filter(is_close=True)
        else:
            wanted = contacts.filter(pk__in=ids)
        if notify:
            wanted = wanted.select_related("person__account")
        else:
            # Nothing to tell yet: what the designation needs, not the explanations.
            wanted = wanted.select_related("person").only(*LEAN)
        chosen = list(wanted)
        if contact_ids is not None and len(chosen) != len(ids):
            # A new search removed one between the check and the lock.
            raise TracingError(Reason.CONTACT_NOT_FOUND)
        ref = case_ref(case)
        fresh = [c for c in chosen if c.designated_at is None]
        designations = record_designations(
            [(c.person.nik_index, c.last_exposure_at) for c in fresh],
            kind=DesignationKind.CLOSE_CONTACT,
            actor=actor,
            reason=f"Kontak erat kasus #{case.pk}",
            days=profiles.for_case(case).designation_days,
        )
        by = actor if getattr(actor, "is_authenticated", False) else None
        for contact in fresh:
            contact.case = case  # the notices read the case's profile
            key = (contact.person.nik_index, contact.last_exposure_at)
            contact.designation_id = designations[key]
            contact.designated_at = now
            contact.notified_at = now if notify else None
            contact.designated_by = by
        _mark_designated(fresh, now=now, notified=notify, by=by)
        designated = len(fresh)
        below = contacts.filter(
            is_close=False, designated_at__isnull=True, informed_at__isnull=True
        )
        if notify:
            notices.notify_close_contacts(fresh, ref=ref, now=now)
            informed_rows = list(below.select_related("person__account"))
            for contact in informed_rows:
                contact.case = case
            notices.inform(informed_rows, ref=ref)
            to_inform = [c.pk for c in informed_rows]
            Contact.objects.filter(pk__in=to_inform).update(informed_at=now)
        else:
            to_inform = list(below.values_list("pk", flat=True))
        informed = len(to_inform)
        sites = ExposureSite.objects.filter(case=case, published_at__isnull=True)
        if actor is not None:
            sites = access.exposure_sites_visible_to(actor, sites)
        published = ExposureSite.objects.filter(pk__in=list(sites.values_list("pk", flat=True)))
        published_count = published.update(published_at=now)
        if whole and complete:
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
    return Designated(
        designated=designated,
        informed=informed,
        sites_published=published_count,
        to_notify=() if notify else tuple(c.pk for c in fresh),
        to_inform=() if notify else tuple(to_inform),
    )


def _mark_designated(
    contacts: Sequence[Contact], *, now: dt.datetime, notified: bool, by: User | None
) -> None:
    """Write what designation changed on the contacts in one statement per 500 (a mass
    run designates hundreds per case; bulk_update's CASE per row costs more in Python
    than the database takes, and two updates of a row, the shared times then its
    designation, write two new versions of it and of its index entries)."""
    table, column = sql.table(Contact), partial(sql.column, Contact)
    # Prepared as the ORM would (SQLite stores datetimes as text of its own format).
    at = sql.prepare(Contact, "designated_at", now)
    shared = [at, at if notified else None, by.pk if by is not None else None]
    for start in range(0, len(contacts), 500):
        chunk = contacts[start : start + 500]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        # VALUES names its columns column1, column2 on PostgreSQL and SQLite alike.
        statement = (
            f"UPDATE {table} SET {column('designated_at')} = %s, "  # noqa: S608 (the model's table)
            f"{column('notified_at')} = %s, {column('designated_by')} = %s, "
            f"{column('designation')} = v.column2 "
            f"FROM (VALUES {values}) AS v WHERE {table}.{column('id')} = v.column1"  # nosec B608
        )
        with connection.cursor() as cursor:
            cursor.execute(
                statement, [*shared, *(x for c in chunk for x in (c.pk, c.designation_id))]
            )
