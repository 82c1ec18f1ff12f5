from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jejak.reports"
    verbose_name = "Laporan mingguan"
