from django.urls import path

from jejak.rosters import views

urlpatterns = [
    path("tempat/<str:short_code>/karyawan/", views.roster, name="roster"),
    path("tempat/<str:short_code>/karyawan/impor/", views.roster_import, name="roster_import"),
    path("tempat/<str:short_code>/karyawan/<int:pk>/akhiri/", views.roster_end, name="roster_end"),
]
