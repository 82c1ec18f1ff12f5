from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "jejak.dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.dashboards import checks  # noqa: F401  (registers the deploy check)
