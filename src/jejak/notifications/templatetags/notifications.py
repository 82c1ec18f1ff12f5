from typing import Any

from django import template

from jejak.notifications import outbox

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    """`{% unread_notifications as unread %}`: the signed-in user's unread in-app messages."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    # Cached on the request: the nav and a page body may both ask.
    cached = getattr(request, "_unread_notifications", None)
    if cached is None:
        cached = outbox.unread_count(user)
        request._unread_notifications = cached  # type: ignore[union-attr]
    return cached
