"""The JSON API at /api/v1/: each app contributes a router from its own api.py. This is
the top of the import layers (docs/architecture.md): it imports every app, none imports it."""

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from jejak.accounts.api import privacy_router, tokens_router
from jejak.accounts.api import router as auth_router
from jejak.accounts.api_auth import session_or_token
from jejak.accounts.privacy import open_api_path
from jejak.checkins.api import router as checkins_router
from jejak.console.api import router as console_router
from jejak.core import request_id as request_ids
from jejak.core.api_docs import LocalSwagger
from jejak.core.api_errors import ApiError, ErrorOut
from jejak.core.errors import DatabaseUnavailable
from jejak.core.middleware import is_json
from jejak.dashboards.api import router as dashboards_router
from jejak.erasure.api import router as erasure_router
from jejak.followups.api import router as followups_router
from jejak.health.api import router as health_router
from jejak.inspections.api import router as inspections_router
from jejak.notifications.api import router as notifications_router
from jejak.partners.api import router as partner_router
from jejak.people.api import officer_router as people_officer_router
from jejak.people.api import router as people_router
from jejak.qrcodes.api import router as qr_router
from jejak.rights.api import router as rights_router
from jejak.rosters.api import router as rosters_router
from jejak.screening.api import router as screening_router
from jejak.tracing.api import public_router as exposure_router
from jejak.tracing.api import router as tracing_router
from jejak.venues.access import VenueNotFound
from jejak.venues.api import router as venues_router
from jejak.zones.api import router as zones_router


class JsonBodies(Parser):
    """Operations that take a JSON body take nothing else: a form or a text body is
    refused (415) rather than guessed at. Uploads (multipart) never come here."""

    def parse_body(self, request: HttpRequest) -> Any:
        # ninja turns any failure here into "Cannot parse request body" (400), which
        # on_http_error answers as 415 for a body that is not JSON.
        if not is_json(request.content_type or ""):
            raise ValueError("not a JSON body")
        return super().parse_body(request)


class JejakApi(NinjaAPI):
    """ninja documents the statuses each operation declares; the document served at
    /api/v1/openapi.json also names those the root answers for any operation (below)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_root_errors(schema)
        return schema


api = JejakApi(
    title="Jejak API",
    version="1",
    urls_namespace="api",
    auth=session_or_token,
    docs_url="/docs",
    docs=LocalSwagger(),
    parser=JsonBodies(),
)


def error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    """Every error body has the same shape: a stable `code` and a human `message`."""
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    message = _("Parameter atau badan permintaan tidak sah.")
    return error(request, 422, "invalid_input", message, errors=exc.errors)


@api.exception_handler(MultiPartParserError)
def on_unreadable_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    # An upload whose Content-Type names no boundary, or whose parts are cut short.
    return error(request, 400, "invalid_multipart", _("Badan multipart tidak dapat dibaca."))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "not_authenticated", _("Masuk dahulu atau kirim token bearer."))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, "forbidden", _("Peran Anda tidak mengizinkan ini."))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
@api.exception_handler(DatabaseUnavailable)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The database is down or restarting: nothing was stored, and the same request (a
    # check-in keeps its nonce) can be sent again in a moment. Logged by Django's
    # handler for 5xx answers like any other server error.
    message = _("Layanan sedang tidak tersedia sebentar; coba lagi.")
    response = error(request, 503, "service_unavailable", message)
    response["Retry-After"] = "2"
    return response


@api.exception_handler(VenueNotFound)
def on_venue_not_found(request: HttpRequest, exc: VenueNotFound) -> HttpResponse:
    return error(request, 404, exc.code, str(exc) or _("Tempat tidak ditemukan."))


# Where Django logs the server errors of pages, so that whatever reports those (mail to
# the admins, an error tracker) reports the API's too.
server_errors = logging.getLogger("django.request")


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Anything no other handler answers is a bug. The caller still gets the shape every
    # error has, in their language, with an id to quote; the log line carries the same
    # id and the traceback. Nothing of the exception itself reaches the caller. The id is
    # the request's own (core/request_id.py): the one nginx logged, on every log line.
    request_id = request_ids.current() or request_ids.new_id()
    server_errors.error(
        "Internal Server Error %s: %s %s",
        request_id,
        request.method,
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    message = _("Terjadi kesalahan di server. Sebutkan kode %(id)s bila melapor.")
    response = error(
        request, 500, "internal_error", message % {"id": request_id}, request_id=request_id
    )
    response["X-Request-ID"] = request_id
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, ApiError):
        response = error(request, exc.status_code, exc.code, str(exc), **exc.extra)
        for name, value in exc.headers.items():
            response[name] = value
        return response
    # ninja's own HttpErrors carry no code; the one partners meet is a body that could
    # not be parsed: not JSON at all (415), or broken JSON (400).
    if str(exc).startswith("Cannot parse request body"):
        if not is_json(request.content_type or ""):
            message = _("Kirim badan permintaan sebagai application/json.")
            return error(request, 415, "unsupported_media_type", message)
        # ninja's own text is English (and, with DEBUG, the parser's error).
        return error(request, 400, "invalid_json", _("Badan permintaan bukan JSON yang sah."))
    if str(exc).startswith("CSRF"):
        # A browser's session write without its CSRF token (accounts/api_auth.py).
        message = _("Pemeriksaan CSRF gagal: muat ulang halaman lalu coba lagi.")
        return error(request, exc.status_code, "error", message)
    return error(request, exc.status_code, "error", str(exc))


def root_errors(operation: dict[str, Any], path: str = "") -> dict[int, str]:
    """What the root answers for this operation (an OpenAPI operation object at `path`)
    before or around its view: the handlers above, the authentication
    (accounts/api_auth.py), the input guard (core/middleware.py) and the parser. Each
    status with its reason codes."""
    parameters = operation.get("parameters") or []
    media_types = list((operation.get("requestBody") or {}).get("content", {}))
    json_body = any(is_json(media_type) for media_type in media_types)
    refused = ["`control_characters`: a control character in the path, query or body"]
    if json_body:
        refused.append("`invalid_json`: a body that is not JSON")
    if any(media_type.startswith("multipart/") for media_type in media_types):
        refused.append("`invalid_multipart`: a multipart body that cannot be read")
    errors = {
        400: "; ".join(refused),
        503: "`service_unavailable`: the database is briefly unavailable; send the same "
        "request again after Retry-After seconds",
    }
    if operation.get("security"):
        errors[401] = "`not_authenticated`: no signed-in session and no valid bearer token"
        if not open_api_path(path):
            errors[403] = (
                "`privacy_notice_changed`: a visitor who has not accepted the current "
                "privacy notice (`version`); POST /api/v1/privacy-notice/accept"
            )
    if parameters or media_types:
        errors[422] = "`invalid_input`: a parameter or the body does not validate (`errors`)"
    if any(parameter.get("in") == "path" for parameter in parameters):
        errors[404] = "`not_found`: no such path (a path parameter of the wrong form)"
    if json_body:
        errors[415] = "`unsupported_media_type`: a body that is not application/json"
    return errors


def document_root_errors(schema: dict[str, Any]) -> None:
    """Add the root's answers (`root_errors`) to every operation that does not declare
    that status itself, with the error schema every such answer has."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorOut", ErrorOut.model_json_schema())
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            responses = operation["responses"]
            declared = {int(status) for status in responses}
            for status, codes in root_errors(operation, path).items():
                if status not in declared:
                    responses[status] = {
                        "description": f"{HTTPStatus(status).phrase}: {codes}.",
                        "content": content,
                    }
            operation["responses"] = dict(sorted(responses.items(), key=lambda r: int(r[0])))


# Every app's router, under the prefixes partners use.
api.add_router("/auth", auth_router)
api.add_router("/me/tokens", tokens_router)
api.add_router("/privacy-notice", privacy_router)
api.add_router("/me", people_router)
api.add_router("/me", erasure_router)
api.add_router("/people", people_officer_router)
api.add_router("/health", health_router)
api.add_router("", screening_router)
api.add_router("/qr", qr_router)
api.add_router("", venues_router)
api.add_router("/checkins", checkins_router)
api.add_router("/tracing", tracing_router)
api.add_router("", exposure_router)
api.add_router("/dashboards", dashboards_router)
api.add_router("/followups", followups_router)
api.add_router("/inspections", inspections_router)
api.add_router("/console", console_router)
api.add_router("/rosters", rosters_router)
api.add_router("", notifications_router)
api.add_router("", zones_router)
api.add_router("", rights_router)
# Partner apps' own schema, behind OAuth access tokens (partners/auth.py).
api.add_router("/partner", partner_router)
