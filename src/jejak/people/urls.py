from django.urls import path

from jejak.people import views

urlpatterns = [
    path("saya/profil/", views.profile, name="visitor_profile"),
    path("saya/keluarga/", views.dependants, name="visitor_dependants"),
    path("saya/keluarga/<str:public_id>/", views.dependant_edit, name="visitor_dependant_edit"),
    path(
        "saya/keluarga/<str:public_id>/hapus/",
        views.dependant_remove,
        name="visitor_dependant_remove",
    ),
]
