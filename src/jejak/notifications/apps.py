from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jejak.notifications"
