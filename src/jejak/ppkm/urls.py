from django.urls import path

from jejak.ppkm import views

urlpatterns = [
    path("ppkm/", views.levels, name="ppkm_levels"),
]
