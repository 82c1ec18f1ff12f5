from typing import Any

from django.http import HttpRequest

from jejak.accounts.capabilities import capabilities_of


def capabilities(request: HttpRequest) -> dict[str, Any]:
    """The user's capabilities as strings, for templates: `{% if "view_rollout" in caps %}`."""
    return {"caps": {c.value for c in capabilities_of(getattr(request, "user", None))}}
