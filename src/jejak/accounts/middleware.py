"""Staff sessions: how long they last, and the second factor they must confirm; visitors'
acceptance of the current privacy notice.

All run after Django's authentication and django-otp's middleware, on every request;
each costs a few attribute reads of the account already loaded, and no query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from jejak.accounts import privacy, second_factor
from jejak.accounts.language import remember_language
from jejak.accounts.models import User
from jejak.accounts.roles import Role

log = logging.getLogger(__name__)

STARTED = "jejak_staff_started"
SEEN = "jejak_staff_seen"
# The last-seen time is written at most this often: a busy officer's session is saved
# about once a minute, not on every click.
SEEN_RESOLUTION = 60
# Pages an officer who has not confirmed the second factor yet may still open.
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {"login", "logout", "second_factor_verify", "second_factor_enrol", "set_language"}
)


def _is_staff_user(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, User) and user.role != Role.VISITOR


def _start(request: HttpRequest, now: float) -> None:
    request.session[STARTED] = now
    request.session[SEEN] = now
    request.session.set_expiry(settings.JEJAK_STAFF_SESSION_IDLE_MINUTES * 60)


@receiver(user_logged_in)
def _staff_session_started(sender: Any, request: HttpRequest | None, user: User, **kw: Any) -> None:
    if request is not None and hasattr(request, "session") and user.role != Role.VISITOR:
        _start(request, time.time())


class StaffSessionMiddleware:
    """A staff session ends after JEJAK_STAFF_SESSION_IDLE_MINUTES without a request and
    JEJAK_STAFF_SESSION_MAX_HOURS after sign-in. Visitors keep Django's session age."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_staff_user(request):
            ended = self._check(request, time.time())
            if ended is not None:
                return ended
        return self.get_response(request)

    def _check(self, request: HttpRequest, now: float) -> HttpResponse | None:
        session = request.session
        started, seen = session.get(STARTED), session.get(SEEN)
        if started is None or seen is None:
            _start(request, now)
            return None
        idle = now - seen > settings.JEJAK_STAFF_SESSION_IDLE_MINUTES * 60
        too_long = now - started > settings.JEJAK_STAFF_SESSION_MAX_HOURS * 3600
        if idle or too_long:
            logout(request)
            if request.path.startswith("/api/"):
                return None  # now anonymous: the API answers 401 itself
            messages.info(
                request,
                _("Sesi Anda berakhir karena tidak ada aktivitas. Silakan masuk lagi.")
                if idle
                else _("Sesi Anda sudah mencapai batas waktu. Silakan masuk lagi."),
            )
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        if now - seen > SEEN_RESOLUTION:
            session[SEEN] = now
            session.set_expiry(settings.JEJAK_STAFF_SESSION_IDLE_MINUTES * 60)
        return None


def _open_before_second_factor(request: HttpRequest) -> bool:
    if request.path.startswith((settings.STATIC_URL or "/static/", "/healthz")):
        return True
    try:
        return resolve(request.path_info).url_name in OPEN_BEFORE_SECOND_FACTOR
    except Resolver404:
        return False


class SecondFactorMiddleware:
    """Staff who must confirm a second factor (accounts/second_factor.py) and have not
    yet in this session reach only the enrolment or confirmation page; the API answers
    them 403 `second_factor_required`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            _is_staff_user(request)
            and second_factor.required_for(user)
            and not user.is_verified()  # type: ignore[union-attr]
            and not _open_before_second_factor(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "second_factor_required",
                        "message": _("Konfirmasi faktor kedua di halaman masuk terlebih dahulu."),
                    },
                    status=403,
                )
            assert isinstance(user, User)
            step = (
                "second_factor_verify"
                if second_factor.has_confirmed_device(user)
                else "second_factor_enrol"
            )
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


# Pages a visitor who has not accepted the current privacy notice may still open: the
# notice and its acceptance, signing out, the language, what the phone fetches by itself
# (the service worker, the manifest, the offline page), and the rights that need no
# acceptance (a copy of one's data, who read it, closing the account).
OPEN_BEFORE_PRIVACY_NOTICE = frozenset(
    {
        "privacy_notice",
        "privacy_accept",
        "logout",
        "set_language",
        "visitor_login",
        "visit_sw",
        "visit_manifest",
        "visit_offline",
        "rights_data",
        "rights_request",
        "rights_download_page",
        "rights_reads",
        "close_account",
    }
)


def _open_before_privacy_notice(request: HttpRequest) -> bool:
    if request.path.startswith((settings.STATIC_URL or "/static/", "/healthz", "/api/")):
        # The API answers 403 privacy_notice_changed itself (accounts/api_auth.py).
        return True
    try:
        return resolve(request.path_info).url_name in OPEN_BEFORE_PRIVACY_NOTICE
    except Resolver404:
        return True  # a 404 page shows nothing of theirs


class VisitorLanguageMiddleware:
    """A signed-in visitor's language is kept on the account (see `remember_language`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        remember_language(request.user, getattr(request, "LANGUAGE_CODE", ""))
        return self.get_response(request)


class PrivacyNoticeMiddleware:
    """A visitor who has not accepted the current privacy notice (accounts/privacy.py) is
    sent to /privasi/terima/ and back to the page they asked for. The version accepted
    is on the account row, so a visitor who has accepted costs no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if privacy.needs_acceptance(request.user) and not _open_before_privacy_notice(request):
            target = request.get_full_path() if request.method == "GET" else request.path
            return redirect(f"{reverse('privacy_accept')}?{urlencode({'next': target})}")
        return self.get_response(request)
