"""Dependants off the holder's family card: requested by the visitor, decided by an officer.

An elderly parent on another KK, or a ward, is a real family member the registry cannot
vouch for as one. The visitor asks with a reason; a health officer of the holder's
region approves or rejects it with a reason of their own; both are audited and the
visitor is told. The registry has matched the NIK, name and birth date before anything
is stored, so an approval never binds an identity the registry does not know.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, NoReturn

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from jejak.accounts.capabilities import Cap, has_capability
from jejak.accounts.jurisdiction import is_national
from jejak.audit import service as audit
from jejak.audit import subjects as audit_subjects
from jejak.audit.models import Purpose
from jejak.core.crypto import decrypt, encrypt
from jejak.core.reencryption import reencrypt_rows
from jejak.notifications import outbox
from jejak.people import service, verification
from jejak.people.errors import PeopleError, Reason
from jejak.people.masking import mask_nik
from jejak.people.models import DependantRequest, Person, Relation, RequestStatus
from jejak.people.nik import nik_index, parse_nik

if TYPE_CHECKING:
    from jejak.accounts.models import User

MAX_REASON_LENGTH = 500


def _aad(request: DependantRequest) -> bytes:
    return b"people.dependant_request.nik:" + request.public_id.encode("ascii")


def clean_reason(reason: str) -> str:
    return service.clean_text(reason, limit=MAX_REASON_LENGTH, refusal=Reason.REASON_REQUIRED)


def request_dependant(
    *,
    account: User,
    nik: str,
    full_name: str,
    birth_date: dt.date,
    sex: str,
    relation: str,
    reason: str,
) -> DependantRequest:
    """Ask an officer to add a dependant the registry does not put on the holder's card."""
    name = service._clean_name(full_name)
    service._check_sex(sex)
    service._check_dependant_relation(relation)
    parse_nik(nik, birth_date=birth_date, sex=sex)
    text = clean_reason(reason)
    index = nik_index(nik)
    holder = service.verified_holder(account=account)
    found = verification.check_identity(
        account=account,
        nik=nik,
        full_name=name,
        birth_date=birth_date,
        purpose="dependant_request",
    )
    region = verification.district_of(service.decrypt_nik(holder))

    def write() -> DependantRequest:
        service._check_nik_free(account=account, index=index, person=None)
        if DependantRequest.objects.filter(
            account=account, nik_index=index, status=RequestStatus.PENDING
        ).exists():
            raise PeopleError(Reason.REQUEST_PENDING)
        request = DependantRequest(
            account=account,
            nik_index=index,
            nik_masked=mask_nik(nik),
            full_name=name,
            birth_date=birth_date,
            sex=sex,
            relation=relation,
            family_card_index=found.family_card_index,
            identity_backend=found.backend,
            region_code=region,
            reason=text,
        )
        request.nik_encrypted = encrypt(nik.encode("ascii"), aad=_aad(request))
        request.save()
        audit.record(
            actor=account,
            action="people.dependant_requested",
            obj=request,
            nik_masked=request.nik_masked,
            relation=relation,
        )
        return request

    return service._write(account=account, index=index, write=write)


def requests_of(*, account: User) -> list[DependantRequest]:
    """The visitor's own requests, newest first."""
    return list(DependantRequest.objects.filter(account=account))


def requests_visible_to(officer: User) -> QuerySet[DependantRequest]:
    """Requests an officer may decide: capability, then the holder's region."""
    if not has_capability(officer, Cap.APPROVE_DEPENDANTS):
        return DependantRequest.objects.none()
    qs = DependantRequest.objects.all()
    if is_national(officer):
        return qs
    region = getattr(officer, "region", None)
    if region is None:
        return qs.none()
    return qs.filter(Q(region_code=region.code) | Q(region_code__startswith=region.code + "."))


def pending_for(officer: User) -> list[DependantRequest]:
    """The officer's queue of pending requests (audited: names and masked NIKs)."""
    found = list(requests_visible_to(officer).filter(status=RequestStatus.PENDING))
    audit.record_read(
        actor=officer,
        action="people.dependant_requests_read",
        purpose=Purpose.DEPENDANTS,
        subjects=_subjects(found),
        count=len(found),
        requests=[r.public_id for r in found],
    )
    return found


def _subjects(requests: list[DependantRequest]) -> list[str]:
    """Whom a request is about: the person asked for, and the account holder asking
    (their own person), whose reason and family it shows."""
    holders = audit_subjects.of_accounts(r.account_id for r in requests)
    return [key for r in requests for key in (r.nik_index, holders.get(r.account_id, ""))]


class _NotVisible(Exception):
    pass


def _access(officer: User, public_id: str) -> DependantRequest:
    found = requests_visible_to(officer).select_for_update().filter(public_id=public_id).first()
    if found is None:
        raise _NotVisible
    if found.status != RequestStatus.PENDING:
        raise PeopleError(Reason.REQUEST_DECIDED)
    return found


def _refuse_unseen(officer: User, public_id: str) -> NoReturn:
    # Written after the decision's transaction has rolled back, so it survives; it names
    # the people of the request when it exists (probing shows to them).
    audit.record_read(
        actor=officer,
        action="people.dependant_request_refused",
        purpose=Purpose.DEPENDANTS,
        subjects=_subjects(list(DependantRequest.objects.filter(public_id=public_id[:12]))),
        request=public_id[:12],
    )
    raise PeopleError(Reason.REQUEST_NOT_FOUND)


def _tell(request: DependantRequest) -> None:
    outbox.enqueue(
        template="dependant_request_decided",
        context={
            "name": request.full_name,
            "approved": request.status == RequestStatus.APPROVED,
            "reason": request.decision_reason,
        },
        channels=["inapp", "sms"],
        to_user=request.account,
        ref=f"people.dependant_request:{request.pk}",
    )


def approve(*, officer: User, public_id: str, reason: str) -> Person:
    """Add the requested dependant to the visitor's account, verified by the registry's
    earlier match; the officer's reason is recorded."""
    text = clean_reason(reason)
    try:
        with transaction.atomic():
            request = _access(officer, public_id)
            account = request.account
            service._lock_account(account)
            holder = Person.objects.filter(nik_index=request.nik_index).first()
            if holder is not None:
                raise PeopleError(
                    Reason.NIK_ALREADY_ADDED
                    if holder.account_id == account.pk
                    else Reason.NIK_CLAIMED
                )
            service._check_dependant_count(account)
            nik = _nik(request)
            person = Person(
                account=account,
                relation=request.relation or Relation.OTHER,
                full_name=request.full_name,
                birth_date=request.birth_date,
                sex=request.sex,
                identity_verified_at=timezone.now(),
                identity_backend=request.identity_backend,
                family_card_index=request.family_card_index,
            )
            service._set_nik(person, nik)
            person.save()
            request.person = person
            _decide(request, officer=officer, status=RequestStatus.APPROVED, reason=text)
    except _NotVisible:
        _refuse_unseen(officer, public_id)
    return person


def reject(*, officer: User, public_id: str, reason: str) -> DependantRequest:
    """Refuse the request with a reason the visitor is told."""
    text = clean_reason(reason)
    try:
        with transaction.atomic():
            request = _access(officer, public_id)
            _decide(request, officer=officer, status=RequestStatus.REJECTED, reason=text)
    except _NotVisible:
        _refuse_unseen(officer, public_id)
    return request


def _decide(request: DependantRequest, *, officer: User, status: str, reason: str) -> None:
    """Record the officer's decision on the request, audit it and tell the visitor."""
    request.status = status
    request.decided_by = officer
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save()
    audit.record_read(
        actor=officer,
        action=f"people.dependant_request_{status}",
        purpose=Purpose.DEPENDANTS,
        subjects=_subjects([request]),
        obj=request,
        nik_masked=request.nik_masked,
        reason=reason,
    )
    _tell(request)


def _nik(request: DependantRequest) -> str:
    return decrypt(request.nik_encrypted, aad=_aad(request)).decode("ascii")


def reencrypt_requests() -> int:
    """Re-encrypt requests' NIKs not under the first JEJAK_DATA_KEYS entry."""
    requests = DependantRequest.objects.only("public_id", "nik_encrypted")
    return reencrypt_rows(requests, {"nik_encrypted": _aad})
