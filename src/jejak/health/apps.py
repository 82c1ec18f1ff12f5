from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "jejak.health"
