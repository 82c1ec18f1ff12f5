from django.urls import path

from jejak.inspections import views

urlpatterns = [
    path("pemeriksaan/", views.inspection_list, name="inspection_list"),
    path("pemeriksaan/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("pemeriksaan/<int:pk>/ulang/", views.inspection_reinspect, name="inspection_reinspect"),
    path("pemeriksaan/<int:pk>/batal/", views.inspection_cancel, name="inspection_cancel"),
    path("pemeriksaan/<int:pk>/cabut-penutupan/", views.closure_lift, name="closure_lift"),
    path(
        "pemeriksaan/<int:pk>/foto/<int:photo_pk>/",
        views.inspection_photo,
        name="inspection_photo",
    ),
    path("pemeriksaan/tempat/", views.my_venue_findings, name="my_venue_findings"),
    path("pemeriksaan/tempat/<str:short_code>/", views.venue_findings, name="venue_findings"),
    path(
        "pemeriksaan/tempat/<str:short_code>/foto/<int:photo_pk>/",
        views.venue_finding_photo,
        name="venue_finding_photo",
    ),
]
