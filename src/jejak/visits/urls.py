from django.urls import path, re_path

from jejak.visits import home, views

urlpatterns = [
    path("saya/", home.home, name="visitor_home"),
    # What a poster's code opens. Posters encode /q/<token> without a slash; accepting
    # both spares every scan a redirect.
    re_path(r"^q/(?P<token>[^/]+)/?$", views.landing, name="qr_landing"),
    # The service worker lives at the root so that its scope covers the whole site.
    path("sw.js", views.service_worker, name="visit_sw"),
    path("manifest.webmanifest", views.manifest, name="visit_manifest"),
    path("saya/offline/", views.offline, name="visit_offline"),
    path("saya/pindai/", views.scan, name="visit_scan"),
    path("saya/riwayat/", views.history, name="visit_history"),
    path("saya/check-in/", views.check_in, name="visit_checkin"),
    path("saya/check-in/<uuid:nonce>/", views.result, name="visit_result"),
    path("saya/check-out/<str:public_id>/", views.check_out, name="visit_checkout"),
    path(
        "saya/check-in/<uuid:nonce>/check-out/",
        views.check_out_group,
        name="visit_checkout_group",
    ),
]
