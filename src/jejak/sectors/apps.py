from django.apps import AppConfig


class SectorsConfig(AppConfig):
    name = "jejak.sectors"
    default_auto_field = "django.db.models.BigAutoField"
