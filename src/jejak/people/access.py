"""Who may keep a family profile: visitor accounts only.

Staff hold named capabilities (accounts/capabilities.py) and none of them is "be a
citizen", so the visitor role itself is the permission here. Staff who are also citizens
sign in with a separate visitor account, which keeps officers' reads of other people
apart from their own family's records.
"""

from __future__ import annotations

from typing import Any

from jejak.accounts.roles import Role


def is_visitor(user: Any) -> bool:
    """True for an active, signed-in visitor account (never staff or a superuser)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.VISITOR
        and not user.is_staff
        and not user.is_superuser
    )
