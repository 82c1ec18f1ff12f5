from django.contrib import admin
from django.urls import include, path

from jejak.api import api
from jejak.core.views import healthz, metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Prometheus' scrape, off unless configured (docs/operations.md, "Metrics").
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jejak.accounts.urls")),
    path("", include("jejak.qrcodes.urls")),
    path("", include("jejak.visits.urls")),
    path("", include("jejak.posters.urls")),
    path("", include("jejak.venues.urls")),
    path("", include("jejak.people.urls")),
    path("", include("jejak.health.urls")),
    path("", include("jejak.screening.urls")),
    path("", include("jejak.ppkm.urls")),
    path("", include("jejak.tracing.urls")),
    path("", include("jejak.dashboards.urls")),
    path("", include("jejak.followups.urls")),
    path("", include("jejak.inspections.urls")),
    path("", include("jejak.reports.urls")),
    path("", include("jejak.console.urls")),
    path("", include("jejak.rosters.urls")),
    path("", include("jejak.notifications.urls")),
    path("", include("jejak.breaches.urls")),
    path("", include("jejak.rights.urls")),
    path("", include("jejak.erasure.urls")),
    # OAuth 2.0 for partner apps (/oauth/..., /.well-known/oauth-authorization-server)
    # and the citizen's connected partners (docs/partners.md).
    path("", include("jejak.partners.urls")),
]

# Under /api/ a path that names no operation answers the API's JSON error, not a page.
handler404 = "jejak.core.views.not_found"
