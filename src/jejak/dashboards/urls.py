from django.urls import path

from jejak.dashboards import views

urlpatterns = [
    path("dasbor/", views.rollout, name="dash_rollout"),
    path("dasbor/penggunaan/", views.usage, name="dash_usage"),
    path("dasbor/peta/", views.venue_map, name="dash_map"),
    path("dasbor/ekspor/<slug:name>/", views.export, name="dash_export"),
]
