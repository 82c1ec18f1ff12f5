from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "jejak.devtools"
    verbose_name = "Developer tools (benchmarks)"
