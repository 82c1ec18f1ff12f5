from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import trans_real


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
