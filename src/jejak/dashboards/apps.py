from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "jejak.dashboards"
    default_auto_field = "django.db.models.BigAutoField"
