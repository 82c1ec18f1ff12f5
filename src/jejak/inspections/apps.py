from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "jejak.inspections"
    verbose_name = "Pemeriksaan Satpol PP"

    def ready(self) -> None:
        from jejak.inspections import signals  # noqa: F401 (connects the cache invalidation)
