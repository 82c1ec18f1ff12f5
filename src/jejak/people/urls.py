from django.urls import path

from jejak.people import officer_views, views

urlpatterns = [
    path("saya/profil/", views.profile, name="visitor_profile"),
    path("saya/keluarga/", views.dependants, name="visitor_dependants"),
    path("saya/keluarga/<str:public_id>/", views.dependant_edit, name="visitor_dependant_edit"),
    path(
        "saya/keluarga/<str:public_id>/hapus/",
        views.dependant_remove,
        name="visitor_dependant_remove",
    ),
    path("petugas/identitas/", officer_views.desk, name="identity_desk"),
    path(
        "petugas/identitas/<str:public_id>/setujui/",
        officer_views.decide,
        {"verdict": "approve"},
        name="identity_approve",
    ),
    path(
        "petugas/identitas/<str:public_id>/tolak/",
        officer_views.decide,
        {"verdict": "reject"},
        name="identity_reject",
    ),
    path("petugas/identitas/koreksi/", officer_views.correction, name="identity_correction"),
]
