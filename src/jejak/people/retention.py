"""How long the traces of claiming a NIK are kept (docs/retention.md); registered in
apps.py, run by `jejak run-periodic`.

- Claim attempts (`NikClaimAttempt`: someone tried to add a NIK another account holds)
  and identity refusals (`IdentityRefusal`: the registry did not confirm what was typed):
  kept JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS, long enough for the NIK's owner to see an
  attempt and report it, and for an officer correcting an identity to see what was
  tried. Never less than a day: the daily caps on attempts count these rows.
- Dependant requests: a pending one waits for its officer, whatever its age; a decided
  one goes JEJAK_DEPENDANT_REQUEST_RETENTION_DAYS after the decision (the holder may
  ask why it was rejected; an approved one already made its person).
"""

from __future__ import annotations

import datetime as dt

from jejak.core import retention
from jejak.people.models import DependantRequest, IdentityRefusal, NikClaimAttempt, RequestStatus

CLAIM_SETTING = "JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS"
REQUEST_SETTING = "JEJAK_DEPENDANT_REQUEST_RETENTION_DAYS"


def purge_claim_attempts(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Claim attempts and identity refusals past JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS."""
    days = retention.days(CLAIM_SETTING, at_least=1)
    before = now - dt.timedelta(days=days)
    counts = {
        "claim_attempts": retention.count_or_delete(
            NikClaimAttempt.objects.filter(at__lt=before), dry_run=dry_run, name="claim_attempts"
        ),
        "identity_refusals": retention.count_or_delete(
            IdentityRefusal.objects.filter(at__lt=before),
            dry_run=dry_run,
            name="identity_refusals",
        ),
    }
    if not dry_run:
        retention.record_purge("people.claims_purged", before=before, days=days, counts=counts)
    return counts


def purge_decided_requests(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Dependant requests decided more than JEJAK_DEPENDANT_REQUEST_RETENTION_DAYS ago."""
    days = retention.days(REQUEST_SETTING)
    before = now - dt.timedelta(days=days)
    decided = DependantRequest.objects.exclude(status=RequestStatus.PENDING).filter(
        decided_at__lt=before
    )
    counts = {"requests": retention.count_or_delete(decided, dry_run=dry_run, name="requests")}
    if not dry_run:
        retention.record_purge(
            "people.dependant_requests_purged", before=before, days=days, counts=counts
        )
    return counts
