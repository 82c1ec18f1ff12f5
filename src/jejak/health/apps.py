from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "jejak.health"
    verbose_name = _("Data kesehatan")

    def ready(self) -> None:
        from jejak.core import retention
        from jejak.health import retention as health

        retention.register(
            "health-records", setting=health.HEALTH_SETTING, purge=health.purge_health_records
        )
        retention.register(
            "designations", setting=health.DESIGNATION_SETTING, purge=health.purge_designations
        )
