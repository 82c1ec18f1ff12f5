"""Pages of the QR codes: the published keys and the self-renewing code a venue shows on a
screen. The page a phone camera opens is the visitor's (`visits.views.landing`)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from jejak.accounts.capabilities import Cap, capability_required
from jejak.core.public_url import public_base_url
from jejak.core.qr_svg import qr_svg
from jejak.qrcodes import keys, service
from jejak.qrcodes.errors import QrError
from jejak.qrcodes.models import SigningKey
from jejak.qrcodes.tokens import VERSION, qr_url
from jejak.venues.access import access_venue
from jejak.venues.models import EntryPoint


@require_GET
@cache_control(public=True, max_age=300)
def published_keys(request: HttpRequest) -> JsonResponse:
    """Every key a token may name, for partner apps that verify signatures themselves."""
    response = JsonResponse(
        {"format": VERSION, "keys": [keys.public_jwk(key) for key in SigningKey.objects.all()]}
    )
    # Public data meant for other origins' scanners (web-based partner apps included).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _entry_point_for(request: HttpRequest, short_code: str, position: int) -> EntryPoint:
    # Jurisdiction first: another venue's staff get a 404, as if the venue did not exist.
    venue = access_venue(request.user, short_code)
    entry_point = venue.entry_points.filter(position=position).order_by("id").first()
    if entry_point is None:
        raise Http404
    entry_point.venue = venue
    return entry_point


def _dynamic_payload(request: HttpRequest, entry_point: EntryPoint) -> dict[str, object]:
    token, expires_at = service.dynamic_token(entry_point=entry_point)
    url = qr_url(token, public_base_url(request))
    lifetime = settings.JEJAK_DYNAMIC_QR_SECONDS
    expires_in = max(0, int((expires_at - timezone.now()).total_seconds()))
    return {
        "url": url,
        "svg": qr_svg(url),
        "expires_at": expires_at.isoformat(),
        "expires_in": expires_in,
        "lifetime": lifetime,
        # Renewed at half-life (see the page's script), never more often than every 5 s.
        "renew_in": max(5, expires_in - lifetime // 2),
    }


@require_GET
@never_cache
@capability_required(Cap.SHOW_DYNAMIC_CODE)
def dynamic_code(request: HttpRequest, short_code: str, position: int) -> HttpResponse:
    """The entrance's code on a screen: valid a few minutes, renewed before it expires."""
    entry_point = _entry_point_for(request, short_code, position)
    context: dict[str, object] = {"entry_point": entry_point, "venue": entry_point.venue}
    try:
        context.update(_dynamic_payload(request, entry_point))
    except QrError as exc:
        context["error"] = exc
    return render(request, "qrcodes/dynamic.html", context)


@require_GET
@never_cache
@capability_required(Cap.SHOW_DYNAMIC_CODE)
def dynamic_code_json(request: HttpRequest, short_code: str, position: int) -> JsonResponse:
    """The next code for the screen page's script to swap in."""
    entry_point = _entry_point_for(request, short_code, position)
    try:
        return JsonResponse(_dynamic_payload(request, entry_point))
    except QrError as exc:
        return JsonResponse({"code": exc.code.value, "message": exc.message}, status=409)
