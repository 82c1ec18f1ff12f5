from django.urls import path

from jejak.rights import views

urlpatterns = [
    path("saya/data/", views.data, name="rights_data"),
    path("saya/data/minta/", views.request_export, name="rights_request"),
    path("saya/data/unduh/<str:public_id>/", views.download, name="rights_download_page"),
    path("saya/data/dibaca/", views.who_read, name="rights_reads"),
]
