"""Cluster alerts: enough cases at one venue within its sector's period raise an alert
(checked whenever a case is opened, its window moves or it is searched), the region's
health officers are told, and an officer marks it handled."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from jejak.accounts.capabilities import Cap
from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.notifications import outbox
from jejak.tracing import scoring
from jejak.tracing.guards import check_actor
from jejak.tracing.models import Case, CaseVisit, ClusterAlert
from jejak.tracing.window import JAKARTA
from jejak.venues.models import Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User


def cluster_threshold() -> int:
    return settings.JEJAK_CLUSTER_CASES


def cluster_ref(alert: ClusterAlert) -> str:
    return f"tracing.cluster:{alert.pk}"


def check_clusters(*, case: Case, now: dt.datetime | None = None) -> list[ClusterAlert]:
    """For each venue the case visited: if at least JEJAK_CLUSTER_CASES cases visited it
    within its sector's period, raise a cluster alert (or add the case to the alert
    already raised for that span) and tell the region's health officers."""
    now = now or timezone.now()
    threshold = cluster_threshold()
    weights = scoring.load_weights()
    raised = []
    venue_ids = set(CaseVisit.objects.filter(case=case).values_list("venue_id", flat=True))
    for venue in Venue.objects.filter(pk__in=venue_ids).select_related("region"):
        period = dt.timedelta(days=weights.of(venue.sector_id).cluster_period_days)
        visits = list(
            CaseVisit.objects.filter(venue=venue).order_by("start").values_list("case_id", "start")
        )
        span = _densest_span(visits, period, threshold)
        if span is None:
            continue
        start, end, case_ids = span
        alert = (
            ClusterAlert.objects.select_for_update()
            .filter(venue=venue, period_start__lte=end, period_end__gte=start)
            .first()
        )
        if alert is None:
            alert = ClusterAlert.objects.create(
                venue=venue, period_start=start, period_end=end, raised_at=now
            )
            alert.cases.set(case_ids)
            audit.record(
                actor=None, action="tracing.cluster.raise", obj=alert, cases=sorted(case_ids)
            )
            _notify_cluster(alert, venue, len(case_ids))
            raised.append(alert)
        else:
            alert.cases.add(*case_ids)
            alert.period_start = min(alert.period_start, start)
            alert.period_end = max(alert.period_end, end)
            alert.save(update_fields=["period_start", "period_end"])
    return raised


def _densest_span(
    visits: list[tuple[int, dt.datetime]], period: dt.timedelta, threshold: int
) -> tuple[dt.datetime, dt.datetime, set[int]] | None:
    """The first span of `period` (from a visit's start) holding `threshold` distinct
    cases, extended to every case visiting within it; None if there is none."""
    for i, (_case_id, start) in enumerate(visits):
        inside = [(c, s) for c, s in visits[i:] if s < start + period]
        cases = {c for c, _s in inside}
        if len(cases) >= threshold:
            return start, max(s for _c, s in inside), cases
    return None


def _notify_cluster(alert: ClusterAlert, venue: Any, cases: int) -> None:
    code = venue.region.code
    parents = [code[:i] for i in range(len(code) + 1) if code[i : i + 1] in (".", "")]
    officers = get_user_model().objects.filter(
        is_active=True, role=Role.HEALTH_OFFICER, region__code__in=parents
    )
    context = {
        "venue": venue.name,
        "cases": cases,
        "start": alert.period_start.astimezone(JAKARTA),
        "end": alert.period_end.astimezone(JAKARTA),
    }
    for officer in officers.order_by("id"):
        outbox.enqueue(
            template="cluster_alert",
            context=context,
            channels=["inapp"],
            to_user=officer,
            ref=cluster_ref(alert),
        )


def acknowledge_cluster(
    *, alert: ClusterAlert, actor: User | None, now: dt.datetime | None = None
) -> None:
    check_actor(actor, Cap.TRACE_CASES)
    now = now or timezone.now()
    updated = ClusterAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now,
        acknowledged_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if updated:
        audit.record(actor=actor, action="tracing.cluster.acknowledge", obj=alert)
    alert.refresh_from_db()
