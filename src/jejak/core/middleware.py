import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import trans_real

from jejak.core.errors import DatabaseUnavailable

outage = logging.getLogger("jejak.outage")


class LanguageMiddleware:
    """Bahasa Indonesia unless the user chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones
    in Indonesia are set to English; the product speaks Indonesian first, so only an
    explicit choice (the language cookie set by /i18n/setlang/) changes it. API clients
    are programs whose Accept-Language is a deliberate choice, so the API honours it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if request.path.startswith("/api/"):
            language = api_language(chosen, request.headers.get("Accept-Language", ""))
        elif chosen in self.languages:
            language = chosen
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


def api_language(cookie: str, accept_language: str) -> str:
    """The API's language: the switch's cookie if set, else Accept-Language, else Indonesian."""
    languages = {code for code, _ in settings.LANGUAGES}
    if cookie in languages:
        return cookie
    for code, _quality in trans_real.parse_accept_lang_header(accept_language):
        if code == "*":
            break
        try:
            found = translation.get_supported_language_variant(code)
        except LookupError:
            continue
        if found in languages:
            return found
    return settings.LANGUAGE_CODE


# Control characters have no place in the text people type, and PostgreSQL refuses NUL
# in text columns outright (a DataError, once an HTTP 500). Tab, line feed and carriage
# return stay allowed: notes and reasons have lines.
_QUERY_CONTROL = re.compile(r"%(?:0[0-8bcef]|1[0-9a-f]|7f)", re.IGNORECASE)
_PATH_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# In a JSON body they can only arrive escaped; an escaped backslash before "u" is text.
_JSON_CONTROL = re.compile(rb"(?<!\\)(?:\\\\)*\\u00(?:0[0-8bcef]|1[0-9a-f]|7f)", re.IGNORECASE)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class InputGuardMiddleware:
    """Refuses, before any view runs, what no view should have to handle: control
    characters in the path, the query string or a JSON body (400 `control_characters`).
    API answers have the API's `{code, message}` shape; pages get a plain 400."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        if _has_control_characters(request):
            message = _("Permintaan memuat karakter kontrol.")
            if api:
                # The API's error shape (jejak/api.py), built here: no view has run yet.
                return JsonResponse({"code": "control_characters", "message": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


def _has_control_characters(request: HttpRequest) -> bool:
    if _PATH_CONTROL.search(request.path) or _QUERY_CONTROL.search(
        request.META.get("QUERY_STRING", "")
    ):
        return True
    if request.method in _BODY_METHODS and is_json(request.content_type or ""):
        try:
            body = request.body
        except RequestDataTooBig:
            return False  # the view answers that (413)
        return _JSON_CONTROL.search(body) is not None
    return False


class DatabaseOutageMiddleware:
    """A page whose database is down (or restarting, or lost its connection) answers a
    friendly 503 with Retry-After instead of Django's 500: nothing was stored, and the
    same action can be tried again in a moment. The API answers its own 503 JSON
    (jejak/api.py); this is for pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError, DatabaseUnavailable)):
            return None
        outage.warning("Service unavailable (database): %s %s", request.method, request.path)
        # No request context: its processors would read the session from the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "2"
        return response
