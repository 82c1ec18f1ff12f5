from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "jejak.regions"
    verbose_name = _("Wilayah administrasi")
    default_auto_field = "django.db.models.BigAutoField"
