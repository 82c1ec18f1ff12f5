"""A visitor's language, kept on the account: what is sent to them later, when no request
is there to say (exposure notices, breach notices), reads in the language they last used.
Set at each sign-in with a one-time code (the language the code was asked in) and by
`middleware.VisitorLanguageMiddleware` when a signed-in visitor switches."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from jejak.accounts.models import User
from jejak.accounts.roles import Role


def remember_language(user: Any, language: str) -> None:
    """Keep `language` on a visitor's account; a write only when it changed, none on the
    requests after (the account row is loaded anyway)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return
    if not user.is_authenticated or getattr(user, "role", "") != Role.VISITOR:
        return
    if getattr(user, "language", language) != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
