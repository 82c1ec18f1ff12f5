"""The audited reads of tracing: the list of cases, a case, its contacts. Each read is
recorded (who, what, how many rows) with the purpose and the people shown
(`audit.record_read`); an actor who sees only part of a case reads only that part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from jejak.accounts.capabilities import Cap, require
from jejak.audit import service as audit
from jejak.audit import subjects as audit_subjects
from jejak.audit.models import Purpose
from jejak.notifications import outbox
from jejak.tracing import access, notices
from jejak.tracing.access import cases_visible_to, contacts_visible_to
from jejak.tracing.models import Case, CaseStatus, Contact

if TYPE_CHECKING:
    from jejak.accounts.models import User
    from jejak.notifications.models import Message


def list_cases(*, actor: User, status: str = "", ip: str | None = None) -> list[Case]:
    """The cases in the actor's jurisdiction (newest first); the read is audited."""
    require(actor, Cap.TRACE_CASES)
    qs = cases_visible_to(actor, Case.objects.select_related("person", "profile", "searched_with"))
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    cases = list(qs[:500])
    audit.record_read(
        actor=actor,
        action="tracing.case.list",
        purpose=Purpose.TRACING,
        subjects=[c.person.nik_index for c in cases],
        ip=ip,
        status=status,
        count=len(cases),
    )
    return cases


def read_case(*, case: Case, actor: User | None, ip: str | None = None) -> Case:
    """Record that `actor` read the case (call after access_case, before showing it)."""
    partial = actor is not None and not access.sees_whole_case(actor, case)
    audit.record_read(
        actor=actor,
        action="tracing.case.read",
        purpose=Purpose.TRACING,
        subjects=[case.person.nik_index],
        obj=case,
        ip=ip,
        partial=partial,
    )
    return case


def contacts_of(case: Case, actor: User | None) -> QuerySet[Contact]:
    """The case's contacts the actor sees (all of them for the system)."""
    qs = Contact.objects.filter(case=case)
    return qs if actor is None else contacts_visible_to(actor, qs)


def visible_contacts(case: Case, actor: User | None) -> list[Contact]:
    """The contacts the actor sees, ranked, each explained only by the visits to venues
    whose visits of the case the actor sees. The score, minutes and close-contact flag
    stay the case's: they decide the person's quarantine wherever the minutes were."""
    contacts = list(
        contacts_of(case, actor)
        .select_related("person__account", "designated_by")
        .order_by("rank", "id")
    )
    if actor is not None:
        venue_ids = {v.get("venue_id") for c in contacts for v in c.visits}
        shown = access.venue_ids_visible_to(actor, case, venue_ids)
        for contact in contacts:
            # Read-only instances: never saved after this.
            contact.visits = [v for v in contact.visits if v.get("venue_id") in shown]
    return contacts


def read_contacts(*, case: Case, actor: User | None, ip: str | None = None) -> list[Contact]:
    """The case's contacts the actor sees, ranked; the read is audited with the number
    of rows."""
    contacts = visible_contacts(case, actor)
    audit.record_read(
        actor=actor,
        action="tracing.contacts.read",
        purpose=Purpose.TRACING,
        subjects=[c.person.nik_index for c in contacts],
        obj=case,
        ip=ip,
        rows=len(contacts),
    )
    return contacts


def read_messages(*, case: Case, actor: User, ip: str | None = None) -> list[Message]:
    """The case's outbox messages the actor sees (their recipients masked: a contact's
    masked NIK or phone number), with their delivery status; the read is audited, naming
    the recipients."""
    messages = list(
        access.case_messages_visible_to(actor, case, outbox.messages_for(notices.case_ref(case)))
    )
    accounts = audit_subjects.of_accounts(m.to_user_id for m in messages)
    audit.record_read(
        actor=actor,
        action="tracing.notifications.read",
        purpose=Purpose.TRACING,
        subjects=[
            m.to_person.nik_index if m.to_person else accounts.get(m.to_user_id or 0, "")
            for m in messages
        ],
        obj=case,
        ip=ip,
        rows=len(messages),
    )
    return messages
