from django.urls import path

from jejak.console import views

urlpatterns = [
    path("tempat/", views.console_index, name="console_index"),
    path("tempat/<str:short_code>/", views.console_venue, name="console_venue"),
    path("tempat/<str:short_code>/manual/", views.manual_checkin, name="console_manual_checkin"),
    path("tempat/<str:short_code>/status/", views.door_pass, name="console_door_pass"),
    path(
        "tempat/<str:short_code>/peringatan/<int:pk>/ditangani/",
        views.acknowledge_alert,
        name="console_acknowledge_alert",
    ),
    path(
        "tempat/<str:short_code>/keluarkan-semua/",
        views.checkout_everyone,
        name="console_checkout_everyone",
    ),
    path("tempat/<str:short_code>/kelola/", views.manage, name="console_manage"),
    path(
        "tempat/<str:short_code>/staf/<int:pk>/aktif/",
        views.staff_active,
        name="console_staff_active",
    ),
]
