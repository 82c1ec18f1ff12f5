from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "jejak.partners"
    verbose_name = _("Aplikasi mitra")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Which partner submitted which check-in, and who called on which day, are
        # personal data: `jejak run-periodic` purges them (docs/retention.md).
        from jejak.core import retention
        from jejak.partners import checks  # noqa: F401 (registers the deploy check)
        from jejak.partners.retention import purge_expired

        retention.register(
            "partner-records", setting="JEJAK_CHECKIN_RETENTION_DAYS", purge=purge_expired
        )
        # A partner's check-in is recorded in the check-in's own transaction.
        from jejak.checkins import signals
        from jejak.partners.recording import on_recorded

        signals.recorded.connect(on_recorded, dispatch_uid="partners.recorded")
