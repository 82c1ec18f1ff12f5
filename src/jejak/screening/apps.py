from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "jejak.screening"
    verbose_name = _("Skrining status kesehatan")

    def ready(self) -> None:
        from jejak.core import retention
        from jejak.health import retention as health
        from jejak.screening import retention as screening
        from jejak.screening import signals  # noqa: F401 (connects the cache invalidation)

        retention.register(
            "status-passes", setting=screening.PASSES_SETTING, purge=screening.purge_expired_passes
        )
        # Health's purge keeps every record a colour may still need (it may not import us).
        if screening.colour_lookback not in health.LOOKBACKS:
            health.LOOKBACKS.append(screening.colour_lookback)
