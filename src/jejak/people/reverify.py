"""Verifying people stored before the registry check existed (`jejak verify-identities`).

After an upgrade every existing person is unverified and screens as `unverified`: the
door must not trust a NIK nobody checked. This asks the registry about each of them with
the name and birth date they gave; holders first, so that a dependant can be compared
with the holder's family card. A dependant not on the card stays unverified until an
officer approves them (approvals.py). Refusals are recorded as the visitor's own would
be, without the visitor's daily cap.
"""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from jejak.audit import service as audit
from jejak.identity import port
from jejak.people.models import IdentityRefusal, Person, Relation
from jejak.people.service import decrypt_nik
from jejak.people.verification import mark_verified


def verify_unverified(*, limit: int | None = None) -> Counter[str]:
    """Verify stored people not yet verified; returns counts by outcome. Raises
    IdentityServiceUnavailable when the registry cannot be asked (nothing half-written:
    each person is saved on its own)."""
    counts: Counter[str] = Counter()
    pending = Person.objects.filter(identity_verified_at__isnull=True).select_related("account")
    # Holders before dependants, so a dependant's card is compared with a verified holder.
    ordered = sorted(
        pending[:limit] if limit else pending, key=lambda p: p.relation != Relation.SELF
    )
    for person in ordered:
        nik = decrypt_nik(person)
        found = port.verify(nik=nik, full_name=person.full_name, birth_date=person.birth_date)
        with transaction.atomic():
            if not found.matched:
                IdentityRefusal.objects.create(
                    account=person.account,
                    nik_index=person.nik_index,
                    nik_masked=person.nik_masked,
                    outcome=found.outcome.value,
                    backend=found.backend,
                    purpose="reverify",
                )
                counts[found.outcome.value] += 1
                continue
            if person.relation != Relation.SELF:
                holder = Person.objects.filter(
                    account=person.account, relation=Relation.SELF
                ).first()
                if (
                    holder is None
                    or holder.identity_verified_at is None
                    or holder.family_card_index != found.family_card_index
                ):
                    counts["not_on_family_card"] += 1
                    continue
            mark_verified(person, found)
            person.save(
                update_fields=["identity_verified_at", "identity_backend", "family_card_index"]
            )
            counts["verified"] += 1
    audit.record(actor=None, action="people.identities_reverified", counts=dict(counts))
    return counts
