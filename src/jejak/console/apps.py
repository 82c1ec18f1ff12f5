from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "jejak.console"
    default_auto_field = "django.db.models.BigAutoField"
