"""API authentication: a browser's session (with CSRF on writes) or a bearer token."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from jejak.accounts.models import ApiToken


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.lookup(token)
        if found is None or not found.user.is_active:
            return None
        # Writing last_used_at on every call would turn each read into a write; once a
        # minute is enough to tell a live token from a forgotten one.
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


session_or_token = [SessionAuth(), BearerToken()]
