"""How long answered erasure requests are kept (docs/retention.md); registered in
apps.py, run by `jejak run-periodic`.

A completed request is the proof that a citizen's request was answered, and when; it
holds the account's id and blind indexes, no name, number or NIK. It goes
JEJAK_ERASURE_REQUEST_RETENTION_DAYS after it was completed. The erasure log a restore
replays is a file outside the database, aged out with the backups it serves.
"""

from __future__ import annotations

import datetime as dt

from jejak.core import retention
from jejak.erasure.models import ErasureRequest, ErasureStatus

SETTING = "JEJAK_ERASURE_REQUEST_RETENTION_DAYS"


def purge_completed_requests(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Requests completed more than JEJAK_ERASURE_REQUEST_RETENTION_DAYS ago."""
    days = retention.days(SETTING)
    before = now - dt.timedelta(days=days)
    rows = ErasureRequest.objects.filter(status=ErasureStatus.COMPLETED, completed_at__lt=before)
    counts = {"requests": retention.count_or_delete(rows, dry_run=dry_run, name="requests")}
    if not dry_run:
        retention.record_purge("erasure.requests_purged", before=before, days=days, counts=counts)
    return counts
