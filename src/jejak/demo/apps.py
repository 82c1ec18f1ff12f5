from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "jejak.demo"
    default_auto_field = "django.db.models.BigAutoField"
