"""The privacy notice (/privasi/, public) and a visitor's acceptance of it (/privasi/terima/)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from jejak.accounts import privacy
from jejak.accounts.models import PrivacyAcceptance
from jejak.core.next_url import safe_next


def notice(request: HttpRequest) -> HttpResponse:
    """The notice, for anyone: what is collected, why, for how long, who reads it, the
    citizen's rights and the data protection officer."""
    return render(
        request,
        "accounts/privacy_notice.html",
        {"notice": privacy.notice(), "needs_acceptance": privacy.needs_acceptance(request.user)},
    )


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest) -> HttpResponse:
    """A visitor accepts the current version and goes on to `next`. Anyone else (not
    signed in, staff, a visitor who has accepted) is sent on: there is nothing to accept."""
    next_url = safe_next(request)
    user = request.user
    if not privacy.concerned(user):
        return redirect(next_url or "privacy_notice")
    if not privacy.needs_acceptance(user):
        return redirect(next_url or "visitor_home")
    current = privacy.current_version()
    problem = False
    if request.method == "POST":
        # The version the page showed: a notice that changed meanwhile is shown again.
        if request.POST.get("agree") and request.POST.get("version") == current:
            privacy.accept(user=user, version=current, channel=PrivacyAcceptance.Channel.WEB)
            return redirect(next_url or "visitor_home")
        problem = True
    return render(
        request,
        "accounts/privacy_accept.html",
        {
            "notice": privacy.notice(),
            "next": next_url,
            "problem": problem,
            "first_time": not user.privacy_notice_version,
        },
    )
