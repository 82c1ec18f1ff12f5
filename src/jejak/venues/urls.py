from django.urls import path

from jejak.venues import import_views, views

urlpatterns = [
    path("rollout/", views.rollout, name="rollout"),
    path("venues/", views.venue_list, name="venue_list"),
    path("venues/bulk/", views.venue_bulk, name="venue_bulk"),
    path("venues/review/", views.review_queue, name="review_queue"),
    path("venues/import/", import_views.venue_import, name="venue_import"),
    path("venues/new/", views.venue_create, name="venue_create"),
    path("venues/<str:short_code>/", views.venue_detail, name="venue_detail"),
    path("venues/<str:short_code>/edit/", views.venue_edit, name="venue_edit"),
    path("venues/<str:short_code>/entrances/", views.entry_point_add, name="entry_point_add"),
    path("venues/<str:short_code>/step/", views.venue_step, name="venue_step"),
    path(
        "venues/<str:short_code>/history/<int:pk>/photo/",
        views.transition_photo,
        name="transition_photo",
    ),
]
