from django.urls import path

from jejak.erasure import views

urlpatterns = [
    path("saya/tutup-akun/", views.close_account, name="close_account"),
    path("pelindungan-data/penghapusan/", views.request_list, name="erasure_list"),
]
