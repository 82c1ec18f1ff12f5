"""The citizen's copy of their data: everything Jejak holds about one account and the
people under it, as one JSON-ready document (schema `jejak.export/1`, docs/rights.md).

The owner gets their own data in full (NIKs and phone number in clear). What belongs to
others never enters: a case lists its own dates, not its contacts; a read names the
reader's role and organisation, never the officer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from jejak.accounts.models import ApiToken, PrivacyAcceptance
from jejak.checkins.models import CheckIn, HeldCheckIn
from jejak.core.crypto import DecryptionError
from jejak.core.phone import open_phone
from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.notifications import rendering
from jejak.notifications.models import Message
from jejak.people.models import DependantRequest, Person
from jejak.people.service import decrypt_nik
from jejak.rights import reads
from jejak.screening.errors import ScreeningError
from jejak.screening.service import people_of, statuses_for_people
from jejak.tracing.models import Case

if TYPE_CHECKING:
    from jejak.accounts.models import User

SCHEMA = "jejak.export/1"

Progress = Callable[[int], None]


def when(moment: dt.datetime | None) -> str | None:
    """A moment as ISO 8601 in Asia/Jakarta (with its +07:00 offset)."""
    return timezone.localtime(moment).isoformat() if moment is not None else None


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def count_rows(account: User) -> int:
    """About how many rows an export of `account` holds: what decides whether it is
    answered at once or built in the background."""
    people = list(Person.objects.filter(account=account).values_list("pk", "nik_index"))
    ids = [pk for pk, _index in people]
    indexes = [index for _pk, index in people]
    health = sum(
        model.objects.filter(nik_index__in=indexes).count()
        for model in (VaccinationDose, LabResult, Designation, TravelQuarantine)
    )
    return (
        len(people)
        + health
        + CheckIn.objects.filter(person_id__in=ids).count()
        + HeldCheckIn.objects.filter(person_id__in=ids).count()
        + Message.objects.filter(Q(to_user=account) | Q(to_person_id__in=ids)).count()
        + reads.reads_for(account).count()
    )


def _account(account: User) -> dict[str, Any]:
    phone = ""
    if account.phone_index and account.phone_encrypted:
        try:
            phone = open_phone(index=account.phone_index, blob=account.phone_encrypted)
        except DecryptionError:
            phone = account.phone_masked
    return {
        "phone": phone,
        "created_at": when(account.date_joined),
        "last_login": when(account.last_login),
        "privacy_notice_version": account.privacy_notice_version,
    }


def _health(index: str) -> dict[str, Any]:
    return {
        "doses": [
            {
                "dose_number": d.dose_number,
                "given_on": day(d.given_on),
                "product": d.product,
                "product_code": d.product_code,
                "source": d.source,
                "recorded_at": when(d.recorded_at),
            }
            for d in VaccinationDose.objects.filter(nik_index=index).order_by("given_on")
        ],
        "lab_results": [
            {
                "method": r.method,
                "result": r.result,
                "specimen_at": when(r.specimen_at),
                "lab": r.lab,
                "source": r.source,
                "recorded_at": when(r.recorded_at),
            }
            for r in LabResult.objects.filter(nik_index=index).order_by("specimen_at")
        ],
        "designations": [
            {
                "kind": d.kind,
                "starts_at": when(d.starts_at),
                "ended_at": when(d.ended_at),
                "reason": d.reason,
                "source": d.source,
            }
            for d in Designation.objects.filter(nik_index=index).order_by("starts_at")
        ],
        "travel_quarantines": [
            {"starts_on": day(q.starts_on), "ends_on": day(q.ends_on), "source": q.source}
            for q in TravelQuarantine.objects.filter(nik_index=index).order_by("starts_on")
        ],
        "exemptions": [
            {
                "starts_on": day(e.starts_on),
                "ends_on": day(e.ends_on),
                "reason": e.reason,
                "source": e.source,
            }
            for e in VaccinationExemption.objects.filter(nik_index=index).order_by("starts_on")
        ],
    }


def _checkins(person: Person) -> list[dict[str, Any]]:
    # With those past retention that a hold keeps (PostgreSQL: docs/partitions.md).
    rows: list[CheckIn | HeldCheckIn] = sorted(
        [
            *CheckIn.objects.filter(person=person).select_related("venue", "entry_point"),
            *HeldCheckIn.objects.filter(person=person).select_related("venue", "entry_point"),
        ],
        key=lambda c: (c.scanned_at, c.pk),
    )
    return [
        {
            "id": c.public_id,
            "venue": c.venue.name,
            "venue_code": c.venue.short_code,
            "entrance": c.entry_point.name,
            "visitor_type": c.visitor_type,
            "decision": c.decision,
            "reasons": list(c.reasons),
            "colour": c.colour,
            "colour_reasons": list(c.colour_reasons),
            "rule_set": c.rule_set,
            "scanned_at": when(c.scanned_at),
            "checked_in_at": when(c.checked_in_at),
            "checked_out_at": when(c.checked_out_at),
            "checkout_method": c.checkout_method,
        }
        for c in rows
    ]


def _cases(person: Person) -> list[dict[str, Any]]:
    # The case's own dates only: its visits and contacts are other people's data.
    return [
        {
            "opened_at": when(c.opened_at),
            "source": c.source,
            "specimen_date": day(c.specimen_date),
            "symptom_onset": day(c.symptom_onset),
            "isolation_started_at": when(c.isolation_started_at),
            "window_start": when(c.window_start),
            "window_end": when(c.window_end),
            "status": c.status,
            "closed_at": when(c.closed_at),
        }
        for c in Case.objects.filter(person=person).order_by("opened_at", "pk")
    ]


def _person(person: Person, status: Any, read_rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": person.public_id,
        "relation": person.relation,
        "nik": decrypt_nik(person),
        "full_name": person.full_name,
        "birth_date": day(person.birth_date),
        "sex": person.sex,
        "created_at": when(person.created_at),
        "identity": {
            "verified_at": when(person.identity_verified_at),
            "backend": person.identity_backend,
        },
        "status": status.as_json() if status is not None else None,
        "health_records": _health(person.nik_index),
        "checkins": _checkins(person),
        "cases": _cases(person),
        "reads": read_rows,
    }


def _messages(account: User, people: list[Person]) -> list[dict[str, Any]]:
    rows = rendering.fill(
        Message.objects.filter(Q(to_user=account) | Q(to_person__in=people)).order_by(
            "created_at", "pk"
        )
    )
    return [
        {
            "channel": m.channel,
            "address": m.address_masked,
            "subject": m.subject,
            "text": m.body,
            "status": m.status,
            "created_at": when(m.created_at),
            "sent_at": when(m.sent_at),
            "read_at": when(m.read_at),
        }
        for m in rows
    ]


def _tokens(account: User) -> list[dict[str, Any]]:
    # Never the digest: it is what a stolen copy of this document would try against.
    return [
        {
            "name": t.name,
            "created_at": when(t.created_at),
            "last_used_at": when(t.last_used_at),
            "expires_at": when(t.expires_at),
            "revoked_at": when(t.revoked_at),
        }
        for t in ApiToken.objects.filter(user=account).order_by("created_at", "pk")
    ]


def _consents(account: User) -> list[dict[str, Any]]:
    return [
        {"notice_version": a.version, "accepted_at": when(a.accepted_at), "channel": a.channel}
        for a in PrivacyAcceptance.objects.filter(user=account).order_by("accepted_at", "pk")
    ]


def _dependant_requests(account: User) -> list[dict[str, Any]]:
    return [
        {
            "full_name": r.full_name,
            "nik_masked": r.nik_masked,
            "relation": r.relation,
            "reason": r.reason,
            "status": r.status,
            "requested_at": when(r.requested_at),
            "decided_at": when(r.decided_at),
            "decision_reason": r.decision_reason,
        }
        for r in DependantRequest.objects.filter(account=account).order_by("requested_at", "pk")
    ]


def build(
    account: User, *, at: dt.datetime | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """The export document of `account` (docs/rights.md); `progress` is told the percent
    done after each part."""
    at = at or timezone.now()
    tell = progress or (lambda _percent: None)
    people = people_of(account=account)
    try:
        found: list[Any] = statuses_for_people(people, at=at)
    except ScreeningError:
        # No rule set in force: the rest of the data is still the owner's to have.
        found = [None] * len(people)
    by_person = reads.as_rows(reads.reads_for(account, people), people)
    tell(5)
    out_people = []
    for n, (person, status) in enumerate(zip(people, found, strict=True), start=1):
        out_people.append(_person(person, status, by_person.get(person.nik_index, [])))
        tell(5 + 80 * n // len(people))
    document = {
        "schema": SCHEMA,
        "generated_at": when(at),
        "account": _account(account),
        "people": out_people,
        "dependant_requests": _dependant_requests(account),
        "messages": _messages(account, people),
        "tokens": _tokens(account),
        "consents": _consents(account),
    }
    tell(90)
    return document
