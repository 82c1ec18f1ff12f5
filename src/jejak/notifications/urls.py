from django.urls import path

from jejak.notifications import views

urlpatterns = [
    path("saya/notifikasi/", views.inbox, name="notifications"),
    path("saya/notifikasi/<int:message_id>/", views.message, name="notification"),
]
