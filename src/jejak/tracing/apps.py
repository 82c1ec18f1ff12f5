import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.db.models import QuerySet


class TracingConfig(AppConfig):
    name = "jejak.tracing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.checkins import retention
        from jejak.health.signals import positive_results_recorded

        positive_results_recorded.connect(_open_cases, dispatch_uid="tracing.open_cases")
        if _held_by_cases not in retention.KEEP_PREDICATES:
            retention.KEEP_PREDICATES.append(_held_by_cases)


def _open_cases(sender: Any, *, nik_indexes: set[str], **kwargs: Any) -> None:
    # Imported when called: AppConfig modules load before the apps' models.
    from jejak.tracing.cases import open_cases_for_new_results

    open_cases_for_new_results(nik_indexes=nik_indexes)


def _held_by_cases(cutoff: dt.datetime) -> QuerySet[Any]:
    """The check-ins past retention that a case not yet closed still stands on (its
    visits): the retention purge keeps them until the case is closed."""
    from jejak.tracing.models import CaseStatus, CaseVisit

    return (
        CaseVisit.objects.exclude(case__status=CaseStatus.CLOSED)
        .filter(checkin__scanned_at__lt=cutoff)
        .values("checkin_id")
    )
