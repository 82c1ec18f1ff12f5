"""QR endpoints under /api/v1/qr/. `verify` is public: partner apps scan the same posters."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils import translation
from ninja import Router, Schema

from jejak.core.api_errors import ApiError
from jejak.qrcodes import service
from jejak.qrcodes.errors import QrError

router = Router(tags=["qr"])


# "Qr...": the OpenAPI components are named by class, and sign-in (`/auth/verify`) and
# the venues app have a VerifyIn, a VerifyOut and a VenueOut of their own.
class QrVerifyIn(Schema):
    qr: str


class SectorOut(Schema):
    slug: str
    name: str


class QrVenueOut(Schema):
    short_code: str
    name: str
    sector: SectorOut


class QrEntryPointOut(Schema):
    name: str


class QrVerifyOut(Schema):
    venue: QrVenueOut
    entry_point: QrEntryPointOut
    kind: Literal["static", "dynamic"]
    kid: str
    expires_at: dt.datetime | None


class ErrorOut(Schema):
    code: str
    message: str


@router.post(
    "/verify",
    auth=None,
    response={200: QrVerifyOut, frozenset({400, 403, 404, 410}): ErrorOut},
    summary="Verify a scanned venue QR code",
)
def verify(request: HttpRequest, payload: QrVerifyIn) -> QrVerifyOut:
    """Check a scanned code (full URL or bare token) and say which venue entrance it names.

    Refusals carry a stable `code` (qr_malformed 400; qr_unknown_key, qr_bad_signature,
    qr_suspended, qr_not_active 403; qr_unknown_code 404; qr_expired, qr_replaced,
    qr_revoked 410). Clients should branch on `code`, not on the status.
    """
    try:
        found = service.verify(payload.qr)
    except QrError as exc:
        raise ApiError(exc.http_status, exc.code.value, exc.message) from None
    venue, sector = found.venue, found.venue.sector
    return QrVerifyOut(
        venue=QrVenueOut(
            short_code=venue.short_code,
            name=venue.name,
            sector=SectorOut(
                slug=sector.slug, name=sector.name(translation.get_language() or "id")
            ),
        ),
        entry_point=QrEntryPointOut(name=found.entry_point.name),
        kind=found.kind,  # type: ignore[arg-type]
        kid=found.kid,
        expires_at=found.expires_at,
    )
