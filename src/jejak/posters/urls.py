from django.urls import path

from jejak.posters import views

urlpatterns = [
    path("venues/<str:short_code>/posters.pdf", views.venue_posters, name="venue_posters"),
    path(
        "venues/<str:short_code>/entrances/<int:position>/poster.pdf",
        views.entrance_poster,
        name="entrance_poster",
    ),
]
