"""API authentication: a browser's session (with CSRF on writes) or a bearer token.

Either way, a visitor who has not accepted the current privacy notice is refused with
403 `privacy_notice_changed` (accounts/privacy.py), except on the few operations that
read or accept the notice or end the session.
"""

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from jejak.accounts import privacy, token_usage
from jejak.accounts.models import ApiToken, RequestUser, User
from jejak.core.api_errors import ApiError


def _check_privacy_notice(request: HttpRequest, user: RequestUser) -> None:
    if privacy.needs_acceptance(user) and not privacy.open_api_path(request.path):
        raise ApiError(
            403,
            privacy.CHANGED,
            _("Pemberitahuan Privasi telah berubah. Baca dan setujui versi terbarunya."),
            extra={
                "version": privacy.current_version(),
                "notice_url": reverse("privacy_notice"),
                "accept_url": reverse("privacy_accept"),
            },
        )


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        now = timezone.now()
        found = ApiToken.authenticate(token, now=now)
        if found is None:
            return None
        token_id, last_used_at, user = found
        token_usage.note(token_id, last_used_at, now)
        request.user = user
        # Which token this request came with: sign-out revokes it, the list marks it.
        request.api_token_id = token_id  # type: ignore[attr-defined]
        _check_privacy_notice(request, user)
        return user


class BrowserSession(SessionAuth):
    """A signed-in browser. CSRF is checked only when a session cookie is present: a
    request without one cannot ride on a victim's session, and checking anyway would
    refuse every bearer-token client that sends no cookie."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> RequestUser | None:
        user = super().authenticate(request, key)
        if user is not None:
            _check_privacy_notice(request, user)
        return user


# The token first: an app that also holds a cookie is still judged by its token.
session_or_token = [BearerToken(), BrowserSession()]
