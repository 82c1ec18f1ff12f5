from django.urls import path

from jejak.tracing import views

urlpatterns = [
    path("pelacakan/", views.case_list, name="tracing_cases"),
    path("pelacakan/kasus/<int:pk>/", views.case_detail, name="tracing_case"),
    path("pelacakan/kasus/<int:pk>/cari/", views.case_search, name="tracing_search"),
    path("pelacakan/kasus/<int:pk>/jendela/", views.case_window, name="tracing_window"),
    path("pelacakan/kasus/<int:pk>/tetapkan/", views.case_designate, name="tracing_designate"),
    path("pelacakan/kasus/<int:pk>/tutup/", views.case_close, name="tracing_close"),
    path("pelacakan/kasus/<int:pk>/ekspor.<str:fmt>", views.case_export, name="tracing_export"),
    path(
        "pelacakan/kasus/<int:pk>/generasi-kedua/",
        views.second_generation,
        name="tracing_second_generation",
    ),
    path("pelacakan/proses/", views.run_list, name="tracing_runs"),
    path("pelacakan/proses/<int:pk>/", views.run_detail, name="tracing_run"),
    path("pelacakan/klaster/", views.cluster_list, name="tracing_clusters"),
    path("pelacakan/klaster/<int:pk>/", views.cluster_detail, name="tracing_cluster"),
    path("paparan/", views.exposure_sites, name="exposure_sites"),
]
