from django.urls import path

from jejak.followups import views

urlpatterns = [
    path("tindak-lanjut/", views.followup_home, name="followup_home"),
    path("tindak-lanjut/tempat/<str:short_code>/", views.venue_followups, name="venue_followups"),
    path("tindak-lanjut/<int:pk>/ubah/", views.followup_update, name="followup_update"),
]
