from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from jejak.accounts.capabilities import Cap, has_capability


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands where its work is: the rollout for coordinators, venues for the rest."""
    if has_capability(request.user, Cap.VIEW_ROLLOUT):
        return redirect("rollout")
    return redirect("venue_list")
