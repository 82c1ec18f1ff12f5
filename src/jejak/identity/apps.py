from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "jejak.identity"
    verbose_name = "Identity (civil registry)"
