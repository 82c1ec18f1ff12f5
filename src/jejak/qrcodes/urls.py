from django.urls import path

from jejak.qrcodes import views

urlpatterns = [
    path(".well-known/jejak-keys.json", views.published_keys, name="qr_keys"),
    path(
        "venues/<str:short_code>/entrances/<int:position>/live/",
        views.dynamic_code,
        name="qr_dynamic",
    ),
    path(
        "venues/<str:short_code>/entrances/<int:position>/live.json",
        views.dynamic_code_json,
        name="qr_dynamic_json",
    ),
]
