from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_redis import get_redis_connection

from jejak.core import metrics as core_metrics


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitors: 200 while the process and its database answer,
    503 when the database does not. Each line names a dependency that is down; Redis is
    optional (its outage only costs cache hits), so it is reported but never a 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # a health check reports any database failure, whatever its type
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    lines = ["ok"]
    if settings.REDIS_URL and not _redis_answers():
        lines.append("redis unavailable (cache misses only)")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def _redis_answers() -> bool:
    try:
        return bool(get_redis_connection("default").ping())
    except Exception:  # any failure to reach it is "down", whatever its type
        return False


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape (docs/operations.md, "Metrics"): off unless JEJAK_METRICS_TOKEN
    or JEJAK_METRICS_NETWORKS is set (404), and then only for the token's bearer (401) and
    from those networks (404). Not part of the API: no session, no OpenAPI entry."""
    refused = core_metrics.refusal(request)
    if refused == 401:
        response = HttpResponse("bearer token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if refused is not None:
        raise Http404  # the site's own 404: nothing tells that the page exists
    body, content_type = core_metrics.exposition(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 (`handler404`): the site's page, or under /api/ the API's error shape
    (a path that names no operation, such as /api/v1/inspections/abc)."""
    if request.path.startswith("/api/"):
        message = _("Halaman atau data ini tidak ada, atau berada di luar wilayah Anda.")
        return JsonResponse({"code": "not_found", "message": message}, status=404)
    return defaults.page_not_found(request, exception)
