"""Who may keep a family profile: visitor accounts only.

Staff hold named capabilities (accounts/capabilities.py) and none of them is "be a
citizen", so the visitor role itself is the permission here. Staff who are also citizens
sign in with a separate visitor account, which keeps officers' reads of other people
apart from their own family's records.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeGuard

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from jejak.accounts.roles import Role

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser, User

ViewFunc = Callable[..., HttpResponse]


def is_visitor(user: RequestUser) -> TypeGuard[User]:
    """True for an active, signed-in visitor account (never staff or a superuser)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.VISITOR
        and not user.is_staff
        and not user.is_superuser
    )


def visitor_required(view: ViewFunc) -> ViewFunc:
    """Anonymous users go to the visitors' sign-in page; signed-in staff get 403."""

    @login_required(login_url="visitor_login")
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_visitor(request.user):
            raise PermissionDenied("visitor_only")
        return view(request, *args, **kwargs)

    return wrapped
