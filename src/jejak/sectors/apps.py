from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SectorsConfig(AppConfig):
    name = "jejak.sectors"
    verbose_name = _("Sektor dan OPD")
    default_auto_field = "django.db.models.BigAutoField"
