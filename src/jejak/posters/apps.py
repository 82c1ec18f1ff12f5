from django.apps import AppConfig


class PostersConfig(AppConfig):
    name = "jejak.posters"
