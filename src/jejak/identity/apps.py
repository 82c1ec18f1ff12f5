from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "jejak.identity"
    verbose_name = "Identity (civil registry)"

    def ready(self) -> None:
        from jejak.identity import checks  # noqa: F401 (registers the system checks)
