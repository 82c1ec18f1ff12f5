from django.apps import AppConfig


class QrcodesConfig(AppConfig):
    name = "jejak.qrcodes"
    default_auto_field = "django.db.models.BigAutoField"
