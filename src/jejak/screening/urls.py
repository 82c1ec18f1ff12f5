from django.urls import path

from jejak.screening import views

urlpatterns = [
    path("saya/status/", views.visitor_status, name="visitor_status"),
    path("saya/status/pass.json", views.visitor_status_pass, name="visitor_status_pass"),
    path("petugas/verifikasi/", views.verify_pass, name="verify_pass"),
]
