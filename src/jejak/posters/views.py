"""Poster downloads for the people who print and hang them."""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jejak.accounts.capabilities import Cap, capability_required
from jejak.core.public_url import public_base_url
from jejak.posters.render import printable_codes, render_posters
from jejak.venues.access import access_venue
from jejak.venues.models import Venue


# A poster lets anyone who holds it check in; keep copies out of shared caches.
@never_cache
@require_GET
@capability_required(Cap.DOWNLOAD_POSTERS)
def venue_posters(request: HttpRequest, short_code: str) -> HttpResponse:
    """Every entrance poster of one venue, one A4 page each."""
    return _posters(request, short_code, position=None)


@never_cache
@require_GET
@capability_required(Cap.DOWNLOAD_POSTERS)
def entrance_poster(request: HttpRequest, short_code: str, position: int) -> HttpResponse:
    """The poster of one entrance, for reprinting a torn one."""
    return _posters(request, short_code, position=position)


def _posters(request: HttpRequest, short_code: str, *, position: int | None) -> HttpResponse:
    # Outside the user's jurisdiction looks the same as not existing.
    venue = access_venue(request.user, short_code)
    codes = printable_codes(Venue.objects.filter(pk=venue.pk))
    filename = f"poster-{venue.short_code}"
    if position is not None:
        codes = codes.filter(entry_point__position=position)
        filename += f"-{position + 1}"  # the door number printed on the poster
    if not codes:
        raise Http404(_("Tempat ini belum punya kode QR aktif untuk dicetak."))
    pdf = io.BytesIO()
    render_posters(codes, pdf, base_url=public_base_url(request))
    response = HttpResponse(pdf.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response
