from typing import Any

from django.http import HttpRequest

from jejak.accounts.capabilities import capabilities_of


def capabilities(request: HttpRequest) -> dict[str, Any]:
    """Expose the user's capabilities to templates as a set of strings (`"view_rollout" in caps`)."""
    return {"caps": {c.value for c in capabilities_of(getattr(request, "user", None))}}
