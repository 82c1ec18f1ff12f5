"""Writes to a visitor's own profile and dependants, and the reads only their owner makes.

A NIK is parsed (nik.py), encrypted with its row's public id as associated data, indexed
by its keyed hash and masked once, at write time, so that nothing displayed later needs
to decrypt. A NIK belongs to one account: a claim on a NIK held by another account is
refused, recorded where that NIK's owner sees it, and audited.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jejak.audit import service as audit
from jejak.core.crypto import decrypt, encrypt
from jejak.core.reencryption import reencrypt_rows
from jejak.people import verification
from jejak.people.errors import PeopleError, Reason
from jejak.people.masking import mask_nik
from jejak.people.models import (
    DependantRequest,
    NikClaimAttempt,
    Person,
    Relation,
    RequestStatus,
    Sex,
)
from jejak.people.nik import nik_index, parse_nik

if TYPE_CHECKING:
    from jejak.accounts.models import User
    from jejak.identity.port import Verification

T = TypeVar("T")

MAX_DEPENDANTS = 10
# Each refusal tells the caller that a NIK is registered; capping refusals per account
# keeps the add form from becoming a way to test which NIKs have an account.
MAX_REFUSED_CLAIMS_PER_DAY = 5
MAX_NAME_LENGTH = 150


def _aad(person: Person) -> bytes:
    # Binds the ciphertext to its row: a blob copied onto another person does not decrypt.
    return b"people.nik:" + person.public_id.encode("ascii")


def decrypt_nik(person: Person) -> str:
    """The NIK in clear, for its owner's own view only."""
    return decrypt(person.nik_encrypted, aad=_aad(person)).decode("ascii")


def _set_nik(person: Person, nik: str) -> None:
    person.nik_index = nik_index(nik)
    person.nik_encrypted = encrypt(nik.encode("ascii"), aad=_aad(person))
    person.nik_masked = mask_nik(nik)
    person.nik_claimed_at = timezone.now()


def clean_text(value: str, *, limit: int, refusal: Reason) -> str:
    """One line of text as people type it (spaces folded), or PeopleError(refusal) when
    empty, longer than `limit` or holding control characters (a NUL breaks PostgreSQL)."""
    text = " ".join(str(value or "").split())
    if (
        not text
        or len(text) > limit
        or any(unicodedata.category(ch).startswith("C") for ch in text)
    ):
        raise PeopleError(refusal)
    return text


def _clean_name(full_name: str) -> str:
    return clean_text(full_name, limit=MAX_NAME_LENGTH, refusal=Reason.NAME_INVALID)


def _check_sex(sex: str) -> None:
    if sex not in Sex.values:
        raise PeopleError(Reason.SEX_INVALID)


def _check_dependant_relation(relation: str) -> None:
    if relation not in Relation.values or relation == Relation.SELF:
        raise PeopleError(Reason.RELATION_INVALID)


class _HeldElsewhere(Exception):
    def __init__(self, holder: Person) -> None:
        super().__init__(holder.pk)
        self.holder = holder


def _lock_account(account: User) -> None:
    # Serialises one account's writes, so two tabs cannot both add the tenth dependant.
    list(get_user_model().objects.select_for_update().filter(pk=account.pk).values("pk"))


def _check_nik_free(*, account: User, index: str, person: Person | None) -> None:
    holders = Person.objects.filter(nik_index=index)
    if person is not None and person.pk is not None:
        holders = holders.exclude(pk=person.pk)
    holder = holders.first()
    if holder is None:
        return
    if holder.account_id == account.pk:
        raise PeopleError(Reason.NIK_ALREADY_ADDED)
    raise _HeldElsewhere(holder)


def _check_claim_budget(account: User, index: str) -> None:
    if Person.objects.filter(account=account, nik_index=index).exists():
        return  # a NIK the account already holds reveals nothing new
    since = timezone.now() - dt.timedelta(days=1)
    refused = NikClaimAttempt.objects.filter(attempted_by=account, at__gte=since).count()
    if refused >= MAX_REFUSED_CLAIMS_PER_DAY:
        raise PeopleError(Reason.TOO_MANY_CLAIM_ATTEMPTS)


def _refuse_claim(*, account: User, holder: Person) -> NoReturn:
    # Written after the refused write's transaction has rolled back, so it survives.
    with transaction.atomic():
        NikClaimAttempt.objects.create(nik_index=holder.nik_index, attempted_by=account)
        audit.record(
            actor=account,
            action="people.nik_claim_refused",
            obj=holder,
            nik_masked=holder.nik_masked,
        )
    raise PeopleError(Reason.NIK_CLAIMED)


def _write(*, account: User, index: str | None, write: Callable[[], T]) -> T:
    """Run `write` in a transaction; turn a NIK held elsewhere into a recorded refusal."""
    if index is not None:
        _check_claim_budget(account, index)
    try:
        with transaction.atomic():
            _lock_account(account)
            return write()
    except _HeldElsewhere as held:
        _refuse_claim(account=account, holder=held.holder)
    except IntegrityError:
        # Another request took the same NIK between our check and our insert.
        holder = Person.objects.filter(nik_index=index).first() if index else None
        if holder is None:
            raise
        if holder.account_id == account.pk:
            raise PeopleError(Reason.NIK_ALREADY_ADDED) from None
        _refuse_claim(account=account, holder=holder)


def _changed(person: Person, **values: Any) -> list[str]:
    fields = [name for name, value in values.items() if getattr(person, name) != value]
    for name in fields:
        setattr(person, name, values[name])
    return fields


def set_own_profile(
    *, account: User, nik: str, full_name: str, birth_date: dt.date, sex: str
) -> Person:
    """Create or update the account holder's own person (relation `self`).

    The NIK, name and birth date must match the civil registry (verification.py). Once
    verified, the NIK is bound: only an officer's correction changes it, so a person
    under isolation cannot become someone else by typing another NIK.
    """
    name = _clean_name(full_name)
    _check_sex(sex)
    parse_nik(nik, birth_date=birth_date, sex=sex)
    index = nik_index(nik)
    current = own_profile(account=account)
    if verification.is_verified(current):
        assert current is not None
        if current.nik_index != index:
            _refuse_locked(account=account, person=current)
        if (current.full_name, current.birth_date, current.sex) == (name, birth_date, sex):
            return current
    found = verification.check_identity(
        account=account, nik=nik, full_name=name, birth_date=birth_date, purpose="profile"
    )

    def write() -> Person:
        person = Person.objects.filter(account=account, relation=Relation.SELF).first()
        if verification.is_verified(person) and person is not None and person.nik_index != index:
            raise PeopleError(Reason.IDENTITY_LOCKED)
        _check_nik_free(account=account, index=index, person=person)
        if person is None:
            person = Person(account=account, relation=Relation.SELF)
            _changed(person, full_name=name, birth_date=birth_date, sex=sex)
            _set_nik(person, nik)
            verification.mark_verified(person, found)
            person.save()
            audit.record(
                actor=account,
                action="people.profile_create",
                obj=person,
                nik_masked=person.nik_masked,
                identity_backend=found.backend,
            )
            return person
        previous = person.nik_masked
        fields = _changed(person, full_name=name, birth_date=birth_date, sex=sex)
        if person.nik_index != index:
            _set_nik(person, nik)
            fields.append("nik")
        verification.mark_verified(person, found)
        person.save()
        audit.record(
            actor=account,
            action="people.profile_update",
            obj=person,
            fields=fields,
            nik_masked=person.nik_masked,
            previous_nik_masked=previous,
            identity_backend=found.backend,
        )
        return person

    return _write(account=account, index=index, write=write)


def _refuse_locked(*, account: User, person: Person) -> NoReturn:
    audit.record(
        actor=account,
        action="people.identity_change_refused",
        obj=person,
        nik_masked=person.nik_masked,
    )
    raise PeopleError(Reason.IDENTITY_LOCKED)


def own_profile(*, account: User) -> Person | None:
    """The account holder's own person, if they have filled in their profile."""
    return Person.objects.filter(account=account, relation=Relation.SELF).first()


def dependants_of(*, account: User) -> list[Person]:
    """The account's dependants, oldest entry first."""
    return list(
        Person.objects.filter(account=account)
        .exclude(relation=Relation.SELF)
        .order_by("created_at", "id")
    )


def access_dependant(*, account: User, public_id: str) -> Person:
    """The account's dependant with this public id, or PeopleError dependant_not_found."""
    person = (
        Person.objects.filter(account=account, public_id=public_id)
        .exclude(relation=Relation.SELF)
        .first()
    )
    if person is None:
        raise PeopleError(Reason.DEPENDANT_NOT_FOUND)
    return person


def verified_holder(*, account: User) -> Person:
    """The account holder's own verified person, or PeopleError holder_not_verified:
    a family card can only be compared with a holder the registry knows."""
    holder = own_profile(account=account)
    if not verification.is_verified(holder) or holder is None or not holder.family_card_index:
        raise PeopleError(Reason.HOLDER_NOT_VERIFIED)
    return holder


def _check_family_card(*, account: User, holder: Person, found: Verification, nik: str) -> None:
    if found.family_card_index and found.family_card_index == holder.family_card_index:
        return
    audit.record(
        actor=account,
        action="people.dependant_not_on_family_card",
        obj=holder,
        nik_masked=mask_nik(nik),
    )
    raise PeopleError(Reason.NOT_ON_FAMILY_CARD)


def add_dependant(
    *,
    account: User,
    nik: str,
    full_name: str,
    birth_date: dt.date,
    sex: str,
    relation: str,
) -> Person:
    """Add a family member with their own NIK under this account.

    Accepted when the registry matches the NIK, name and birth date and puts the person
    on the account holder's family card (KK); anyone else needs an officer's approval
    (approvals.py). A NIK held by another account is refused only after the registry
    has matched, so `nik_claimed` tells nothing to someone who does not know the person.
    """
    name = _clean_name(full_name)
    _check_sex(sex)
    _check_dependant_relation(relation)
    parse_nik(nik, birth_date=birth_date, sex=sex)
    index = nik_index(nik)
    holder = verified_holder(account=account)
    found = verification.check_identity(
        account=account, nik=nik, full_name=name, birth_date=birth_date, purpose="dependant"
    )
    _check_family_card(account=account, holder=holder, found=found, nik=nik)

    def write() -> Person:
        _check_nik_free(account=account, index=index, person=None)
        _check_dependant_count(account)
        person = Person(account=account, relation=relation)
        _changed(person, full_name=name, birth_date=birth_date, sex=sex)
        _set_nik(person, nik)
        verification.mark_verified(person, found)
        person.save()
        audit.record(
            actor=account,
            action="people.dependant_add",
            obj=person,
            relation=relation,
            nik_masked=person.nik_masked,
            identity_backend=found.backend,
        )
        return person

    return _write(account=account, index=index, write=write)


def _check_dependant_count(account: User) -> None:
    count = Person.objects.filter(account=account).exclude(relation=Relation.SELF).count()
    if count >= MAX_DEPENDANTS:
        raise PeopleError(
            Reason.TOO_MANY_DEPENDANTS,
            _("Satu akun dapat memiliki paling banyak %(limit)d anggota keluarga.")
            % {"limit": MAX_DEPENDANTS},
        )


def update_dependant(
    *,
    account: User,
    public_id: str,
    nik: str | None = None,
    full_name: str | None = None,
    birth_date: dt.date | None = None,
    sex: str | None = None,
    relation: str | None = None,
) -> Person:
    """Change some of a dependant's details. A verified NIK cannot change; a changed
    name, birth date or sex is checked with the registry again."""
    current = access_dependant(account=account, public_id=public_id)
    name = _clean_name(full_name) if full_name is not None else current.full_name
    born = birth_date if birth_date is not None else current.birth_date
    sex = sex if sex is not None else current.sex
    relation = relation if relation is not None else current.relation
    _check_sex(sex)
    _check_dependant_relation(relation)
    new_nik = nik if nik is not None else decrypt_nik(current)
    parse_nik(new_nik, birth_date=born, sex=sex)
    index = nik_index(new_nik)
    verified = verification.is_verified(current)
    if verified and index != current.nik_index:
        _refuse_locked(account=account, person=current)
    identity_changed = (index, name, born, sex) != (
        current.nik_index,
        current.full_name,
        current.birth_date,
        current.sex,
    )
    found = None
    if identity_changed or not verified:
        holder = verified_holder(account=account)
        found = verification.check_identity(
            account=account, nik=new_nik, full_name=name, birth_date=born, purpose="dependant"
        )
        # A dependant an officer approved stays approved while the NIK is the same.
        if not (verified and _approved(current)):
            _check_family_card(account=account, holder=holder, found=found, nik=new_nik)

    def write() -> Person:
        person = access_dependant(account=account, public_id=public_id)
        fields = _changed(person, full_name=name, birth_date=born, sex=sex, relation=relation)
        previous = person.nik_masked
        if person.nik_index != index:
            if verification.is_verified(person):
                raise PeopleError(Reason.IDENTITY_LOCKED)
            _check_nik_free(account=account, index=index, person=person)
            _set_nik(person, new_nik)
            fields.append("nik")
        if found is not None:
            verification.mark_verified(person, found)
            fields.append("identity_verified_at")
        if fields:
            person.save()
            audit.record(
                actor=account,
                action="people.dependant_update",
                obj=person,
                fields=fields,
                nik_masked=person.nik_masked,
                previous_nik_masked=previous,
            )
        return person

    changes_nik = index != current.nik_index
    return _write(account=account, index=index if changes_nik else None, write=write)


def _approved(person: Person) -> bool:
    return DependantRequest.objects.filter(person=person, status=RequestStatus.APPROVED).exists()


def remove_dependant(*, account: User, public_id: str) -> None:
    """Remove a dependant from this account; their NIK becomes free to claim again."""
    with transaction.atomic():
        _lock_account(account)
        person = access_dependant(account=account, public_id=public_id)
        audit.record(
            actor=account,
            action="people.dependant_remove",
            obj=person,
            relation=person.relation,
            nik_masked=person.nik_masked,
        )
        person.delete()


@dataclass(frozen=True)
class ClaimAttempt:
    """Another account tried to add one of this account's NIKs. Who tried is not shown."""

    person: Person
    at: dt.datetime


def claim_attempts_for(account: User) -> list[ClaimAttempt]:
    """Attempts by other accounts on this account's NIKs since it holds them, newest first."""
    people = {p.nik_index: p for p in Person.objects.filter(account=account)}
    if not people:
        return []
    since_claimed = Q()
    for person in people.values():
        since_claimed |= Q(nik_index=person.nik_index, at__gte=person.nik_claimed_at)
    attempts = (
        NikClaimAttempt.objects.filter(since_claimed)
        .exclude(attempted_by=account)
        .order_by("-at", "-id")
        .values_list("nik_index", "at")
    )
    return [ClaimAttempt(person=people[index], at=at) for index, at in attempts]


def reencrypt_niks() -> int:
    """Re-encrypt NIKs not under the first JEJAK_DATA_KEYS entry (a data-key rotation)."""
    return reencrypt_rows(
        Person.objects.only("public_id", "nik_encrypted"), {"nik_encrypted": _aad}
    )
