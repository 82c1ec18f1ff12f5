"""API authentication: a browser's session (with CSRF on writes) or a bearer token."""

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from jejak.accounts import token_usage
from jejak.accounts.models import ApiToken, User


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
        return user


class BrowserSession(SessionAuth):
    """A signed-in browser. CSRF is checked only when a session cookie is present: a
    request without one cannot ride on a victim's session, and checking anyway would
    refuse every bearer-token client that sends no cookie."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


# The token first: an app that also holds a cookie is still judged by its token.
session_or_token = [BearerToken(), BrowserSession()]
