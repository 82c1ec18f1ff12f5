"""Closing an account: the request, what it erases now, what a legal hold keeps and until
when, and finishing held requests once their holds end (docs/erasure.md).

`request_closure` records the request (deadline: 72 hours) and `process` answers it at
once: everything no hold keeps is erased now; what stays is listed on the request with
its date, and `jejak run-periodic` (`periodic_step`) processes the request again until
nothing is held. Each run appends to the erasure log (erasure/log.py) so that a restore
can replay it, and audits counts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError, Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)

from jejak.accounts.models import ApiToken, OneTimeCode, PrivacyAcceptance, SignInGuard, User
from jejak.audit import service as audit
from jejak.checkins import partitions
from jejak.checkins.models import CheckIn, CheckInRequest, HeldCheckIn
from jejak.erasure import log
from jejak.erasure.holds import Holds, holds_for
from jejak.erasure.models import ErasureRequest, ErasureStatus
from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.notifications.models import Message
from jejak.partners.models import Connection, DailyUser, PartnerCheckIn
from jejak.people.models import DependantRequest, IdentityRefusal, NikClaimAttempt, Person
from jejak.screening.models import StatusPass

# How often `jejak run-periodic` looks for requests whose holds may have ended.
EVERY_SECONDS = 600.0


@dataclass
class Plan:
    """What erasing now would take (querysets, not yet evaluated) and what stays."""

    erase: dict[str, QuerySet[Any]]
    holds: Holds
    account: User | None

    def counts(self) -> dict[str, int]:
        return _as_checkins({name: rows.count() for name, rows in self.erase.items()})


def _as_checkins(counts: dict[str, int]) -> dict[str, int]:
    """Held check-ins (PostgreSQL) are check-ins to the citizen: counted as such."""
    counts["checkins"] = counts.get("checkins", 0) + counts.pop("held_checkins", 0)
    return counts


def _account_rows(account: User | None) -> dict[str, QuerySet[Any]]:
    if account is None:
        return {}
    guards = Q(pk__in=[])
    if account.phone_index:
        guards = Q(key=f"phone:{account.phone_index}") | Q(
            key__startswith=f"pair:{account.phone_index}:"
        )
    return {
        "api_tokens": ApiToken.objects.filter(user=account),
        "consents": PrivacyAcceptance.objects.filter(user=account),
        "one_time_codes": OneTimeCode.objects.filter(phone_index=account.phone_index or "-"),
        "sign_in_guards": SignInGuard.objects.filter(guards),
        "claim_attempts": NikClaimAttempt.objects.filter(attempted_by=account),
        "identity_refusals": IdentityRefusal.objects.filter(account=account),
        "dependant_requests": DependantRequest.objects.filter(account=account),
        # Partner apps (docs/partners.md): the consents, and every token given to them.
        "partner_refresh_tokens": get_refresh_token_model().objects.filter(user=account),
        "partner_tokens": get_access_token_model().objects.filter(user=account),
        "partner_grants": get_grant_model().objects.filter(user=account),
        "partner_connections": Connection.objects.filter(account=account),
        "partner_checkins": PartnerCheckIn.objects.filter(account=account),
        "partner_usage": DailyUser.objects.filter(account=account),
    }


def plan(nik_indexes: list[str], account: User | None, now: dt.datetime | None = None) -> Plan:
    """What erasing the people with `nik_indexes` (and `account`) would take now."""
    now = now or timezone.now()
    held = holds_for(nik_indexes, now)
    people = Person.objects.filter(nik_index__in=nik_indexes)
    to_person = Q(to_person__in=people)
    if account is not None:
        to_person |= Q(to_user=account)
    checkins = CheckIn.objects.filter(person__in=people).exclude(pk__in=held.checkins)
    erase: dict[str, QuerySet[Any]] = {
        "checkins": checkins,
        # PostgreSQL: rows of dropped days a hold kept, and keeps no more.
        "held_checkins": HeldCheckIn.objects.filter(person__in=people).exclude(
            pk__in=held.checkins
        ),
        "status_passes": StatusPass.objects.filter(person__in=people),
        "messages": Message.objects.filter(to_person),
        "doses": VaccinationDose.objects.filter(nik_index__in=nik_indexes),
        "lab_results": LabResult.objects.filter(nik_index__in=nik_indexes).exclude(
            pk__in=held.lab_results
        ),
        "designations": Designation.objects.filter(nik_index__in=nik_indexes).exclude(
            pk__in=held.designations
        ),
        "quarantines": TravelQuarantine.objects.filter(nik_index__in=nik_indexes),
        "exemptions": VaccinationExemption.objects.filter(nik_index__in=nik_indexes),
        **_account_rows(account),
        "people": people.exclude(pk__in=held.people),
    }
    return Plan(erase=erase, holds=held, account=account)


def _people_of(account: User) -> list[str]:
    return sorted(Person.objects.filter(account=account).values_list("nik_index", flat=True))


def preview(account: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """What closing the account would erase now (counts per class) and what a legal hold
    keeps, with the date it goes: shown to the citizen before they confirm."""
    found = plan(_people_of(account), account, now)
    counts = {name: n for name, n in found.counts().items() if n}
    return {
        "erase_now": counts,
        "account": "delete" if found.holds.empty else "deactivate",
        "held": found.holds.as_list(),
    }


def pending_for(account: User) -> ErasureRequest | None:
    return (
        ErasureRequest.objects.filter(account=account)
        .exclude(status=ErasureStatus.COMPLETED)
        .first()
    )


def request_closure(account: User, *, ip: str | None = None) -> ErasureRequest:
    """Record the request (one pending per account) and answer it at once."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=account.pk).first()
        request = pending_for(account)
        if request is None:
            request = ErasureRequest.objects.create(
                account=account, account_ref=account.pk, nik_indexes=_people_of(account)
            )
            audit.record(
                actor=account,
                action="erasure.requested",
                obj=request,
                ip=ip,
                request=request.public_id,
                deadline=request.deadline.isoformat(),
                people=len(request.nik_indexes),
            )
    return process(request)


def _pseudonymise(people: QuerySet[Person], now: dt.datetime) -> int:
    """Held people keep their blind index (the hold is keyed by it) and lose the rest
    that names them: the name and the NIK's ciphertext. The masked NIK, birth date and
    sex stay for the officers of the open case. Marked verified ("erased") so that
    re-verification never tries to decrypt the dropped NIK."""
    n = 0
    for person in people.exclude(identity_backend="erased"):
        person.full_name = ""
        person.nik_encrypted = b""
        person.identity_backend = "erased"
        person.identity_verified_at = person.identity_verified_at or now
        person.save(
            update_fields=[
                "full_name",
                "nik_encrypted",
                "identity_backend",
                "identity_verified_at",
            ]
        )
        n += 1
    return n


def _close_account(account: User, *, keep: bool) -> str:
    """Delete the account, or (something held still points at it, or something
    protects it) deactivate it with no phone, name or password left."""
    if not keep:
        try:
            with transaction.atomic():
                account.delete()
        except ProtectedError:
            pass
        else:
            return "deleted"
    account.is_active = False
    account.set_unusable_password()  # also ends every session (their hash changes)
    account.phone_index = None
    account.phone_encrypted = None
    account.phone_masked = ""
    account.phone = ""
    account.email = ""
    account.first_name = ""
    account.last_name = ""
    account.username = f"erased-{account.pk}"
    account.save()
    return "deactivated"


def erase(
    nik_indexes: list[str],
    account: User | None,
    *,
    now: dt.datetime | None = None,
) -> tuple[dict[str, int], Holds, str]:
    """Erase now what no hold keeps; returns (counts, holds, what became of the account)."""
    now = now or timezone.now()
    found = plan(nik_indexes, account, now)
    counts: dict[str, int] = {}
    with transaction.atomic():
        # What points at held rows has no relation Django could cascade along.
        partitions.cascade(list(found.erase["held_checkins"].values_list("pk", flat=True)))
        for name, rows in found.erase.items():
            counts[name] = rows.count()
            if counts[name]:
                rows.delete()
        counts = _as_checkins(counts)
        if account is not None:
            emptied = CheckInRequest.objects.filter(account=account, checkins__isnull=True)
            counts["checkin_requests"] = emptied.delete()[0]
        counts["people_pseudonymised"] = _pseudonymise(
            Person.objects.filter(pk__in=found.holds.people), now
        )
        outcome = "none"
        if account is not None:
            keep = (
                bool(found.holds.people)
                or CheckIn.objects.filter(account=account).exists()
                or HeldCheckIn.objects.filter(account=account).exists()
            )
            outcome = _close_account(account, keep=keep)
    return {k: v for k, v in counts.items() if v}, found.holds, outcome


def process(request: ErasureRequest, *, now: dt.datetime | None = None) -> ErasureRequest:
    """Erase what can go now; record what stays held; log and audit the run."""
    now = now or timezone.now()
    account = User.objects.filter(pk=request.account_id).first() if request.account_id else None
    counts, held, outcome = erase(request.nik_indexes, account, now=now)
    request.holds = held.as_list()
    request.answered_at = request.answered_at or now
    if held.empty:
        request.status = ErasureStatus.COMPLETED
        request.completed_at = now
    else:
        request.status = ErasureStatus.PARTLY_ERASED
    request.save(update_fields=["holds", "answered_at", "status", "completed_at"])
    if counts or outcome != "none" or request.status == ErasureStatus.COMPLETED:
        log.append(
            log.Entry(
                request=request.public_id,
                at=now,
                account=request.account_ref,
                nik_indexes=list(request.nik_indexes),
            )
        )
    audit.record(
        actor=None,
        action="erasure.processed",
        obj=request,
        request=request.public_id,
        status=request.status,
        account=outcome,
        held=sum(h["count"] for h in request.holds),
        erased=counts,
    )
    return request


def process_pending(now: dt.datetime | None = None) -> dict[str, int]:
    """Process every request not completed (new ones, and held ones whose holds may have
    ended); returns how many ran and how many are now completed."""
    ran = completed = 0
    for request in ErasureRequest.objects.exclude(status=ErasureStatus.COMPLETED).order_by("pk"):
        process(request, now=now)
        ran += 1
        completed += request.status == ErasureStatus.COMPLETED
    return {"processed": ran, "completed": completed}


def periodic_step() -> dict[str, int]:
    return process_pending()


def replay(entry: log.Entry, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Re-apply one logged erasure to a restored database (idempotent: what is gone stays
    gone). The account goes only if it existed at the erasure: an id reused since is
    another person's. What a restored hold keeps gets its pending request back, so
    `jejak run-periodic` finishes it."""
    account = User.objects.filter(pk=entry.account, date_joined__lte=entry.at).first()
    counts, held, outcome = erase(entry.nik_indexes, account, now=now)
    if not held.empty:
        ErasureRequest.objects.update_or_create(
            public_id=entry.request,
            defaults={
                "account_ref": entry.account,
                "nik_indexes": entry.nik_indexes,
                "requested_at": entry.at,
                "deadline": entry.at,
                "answered_at": entry.at,
                "status": ErasureStatus.PARTLY_ERASED,
                "holds": held.as_list(),
            },
        )
    if counts or outcome != "none":
        audit.record(
            actor=None,
            action="erasure.replayed",
            request=entry.request,
            account=outcome,
            erased=counts,
        )
    return counts


def replay_all(source: Any = None) -> dict[str, int]:
    """Replay every line of the log; returns how many lines and how many erased rows."""
    lines = rows = 0
    for entry in log.entries(source):
        lines += 1
        rows += sum(replay(entry).values())
    return {"entries": lines, "rows": rows}
