"""Retention of the partners app's personal data (docs/retention.md), on the check-ins'
period (JEJAK_CHECKIN_RETENTION_DAYS): which partner submitted a check-in goes with the
check-in, and the citizens a partner called for on a day become a number.

Connections stay while they are connected (the citizen's own list) and go with the
account; a disconnected one is kept for the same period after it ended, then deleted.
Grants and tokens go when they have expired or been revoked (the library's sweep)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from oauth2_provider.models import clear_expired, get_access_token_model

from jejak.core import retention
from jejak.partners.models import Connection, DailyUsage, DailyUser, PartnerCheckIn


def purge_expired(*, now: dt.datetime, dry_run: bool) -> dict[str, int]:
    days = retention.days("JEJAK_CHECKIN_RETENTION_DAYS", at_least=1)
    before = now - dt.timedelta(days=days)
    last_day = timezone.localdate(before)
    old_users = DailyUser.objects.filter(day__lt=last_day)
    if not dry_run:
        # The distinct citizens of each day are kept as a count before their rows go.
        per_day = old_users.values("partner_id", "day").annotate(n=Count("id"))
        with transaction.atomic():
            for row in per_day:
                DailyUsage.objects.filter(partner_id=row["partner_id"], day=row["day"]).update(
                    users=row["n"]
                )
    counts = {
        "partner_checkins": retention.count_or_delete(
            PartnerCheckIn.objects.filter(received_at__lt=before),
            dry_run=dry_run,
            name="partner_checkins",
        ),
        "partner_daily_users": retention.count_or_delete(
            old_users, dry_run=dry_run, name="partner_daily_users"
        ),
        "partner_connections": retention.count_or_delete(
            Connection.objects.filter(disconnected_at__lt=before),
            dry_run=dry_run,
            name="partner_connections",
        ),
    }
    # Expired and revoked grants and tokens: the library's own sweep (`cleartokens`),
    # which keeps a refresh token family's revoked members while a replay must still be
    # caught (REFRESH_TOKEN_REUSE_PROTECTION).
    expired = get_access_token_model().objects.filter(expires__lt=now)
    counts["partner_tokens_expired"] = expired.count()
    if not dry_run:
        clear_expired()
    if not dry_run:
        retention.record_purge(
            "partners.records_purged",
            before=before,
            days=settings.JEJAK_CHECKIN_RETENTION_DAYS,
            counts=counts,
        )
    return counts
