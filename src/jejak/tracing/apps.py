from typing import Any

from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "jejak.tracing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.health.signals import positive_results_recorded

        positive_results_recorded.connect(_open_cases, dispatch_uid="tracing.open_cases")


def _open_cases(sender: Any, *, nik_indexes: set[str], **kwargs: Any) -> None:
    # Imported when called: AppConfig modules load before the apps' models.
    from jejak.tracing.cases import open_cases_for_new_results

    open_cases_for_new_results(nik_indexes=nik_indexes)
