"""Sending a breach's drafted notices through the outbox, a batch at a time.

Each batch locks the breach row, takes the next subjects not yet notified, queues their
SMS and in-app messages and marks them notified in the same transaction: a second sender
(a retried task, `jejak run-periodic`, the command) waits for the lock and then finds them
done, so nobody is told twice, and a batch that fails rolls back whole. After the last
batch the breach is `notified`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jejak.audit import service as audit
from jejak.breaches.models import Breach, BreachStatus, BreachSubject
from jejak.breaches.notices import CHANNELS, TEMPLATE, breach_ref, notice_context
from jejak.notifications import outbox

# A batch is one transaction: small enough that a lock on the breach is short, large
# enough that a city's worth of notices takes minutes, not hours.
BATCH_SIZE = 500


def send_batch(*, breach_id: int, size: int = BATCH_SIZE) -> int:
    """Queue the notices of the next `size` subjects not yet notified; returns how many.
    0 when the breach is not being notified, or when this call found none left (and so
    marked the breach notified)."""
    with transaction.atomic():
        breach = Breach.objects.select_for_update().filter(pk=breach_id).first()
        if breach is None or breach.status != BreachStatus.NOTIFYING:
            return 0
        pending = BreachSubject.objects.filter(breach=breach, notified_at__isnull=True)
        batch = list(pending.select_related("person", "account").order_by("id")[:size])
        now = timezone.now()
        ref = breach_ref(breach)
        for subject in batch:
            person = subject.person
            account = None if person is not None else subject.account
            if person is None and account is None:
                continue  # the account is gone: nobody left to tell
            outbox.enqueue(
                template=TEMPLATE,
                context=notice_context(breach, person),
                channels=CHANNELS,
                to_person=person,
                to_user=account,
                language=subject.language,
                ref=ref,
            )
        if batch:
            BreachSubject.objects.filter(pk__in=[s.pk for s in batch]).update(notified_at=now)
            audit.record(actor=None, action="breaches.notices_queued", obj=breach, count=len(batch))
        if len(batch) < size:
            breach.status = BreachStatus.NOTIFIED
            breach.notified_subjects_at = now
            breach.save(update_fields=["status", "notified_subjects_at"])
            audit.record(
                actor=None,
                action="breaches.subjects_notified",
                obj=breach,
                subjects=BreachSubject.objects.filter(breach=breach).count(),
            )
        return len(batch)


def send_all(*, breach_id: int, size: int = BATCH_SIZE) -> int:
    """Every batch until none is left; returns how many subjects this call notified."""
    total = 0
    while sent := send_batch(breach_id=breach_id, size=size):
        total += sent
        if sent < size:
            break
    return total


def periodic_step() -> dict[str, int]:
    """`jejak run-periodic`: send what breaches being notified still owe (with no task
    worker, the only sender; with one, a safety net for a lost task)."""
    ids = list(Breach.objects.filter(status=BreachStatus.NOTIFYING).values_list("pk", flat=True))
    return {"breach_notices": sum(send_all(breach_id=pk) for pk in ids)}
