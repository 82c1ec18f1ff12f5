from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "jejak.inspections"
    verbose_name = _("Pemeriksaan Satpol PP")

    def ready(self) -> None:
        from jejak.inspections import signals  # noqa: F401 (connects the cache invalidation)
