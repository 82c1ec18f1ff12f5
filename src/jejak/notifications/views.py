"""The signed-in user's in-app messages at /saya/notifikasi/.

Visitors read what the outbox sent them (and their dependants); staff read their alerts
(black-status refusals) here too, so the page needs a signed-in account, not a role.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from jejak.notifications import outbox, reads, rendering

PER_PAGE = 30


@login_required(login_url="visitor_login")
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(outbox.inbox(request.user), PER_PAGE).get_page(request.GET.get("page"))
    # An officer's alert about someone else is an audited read (notifications/reads.py).
    reads.audit_shown(request.user, list(page), action="notifications.inbox_read", ip=_ip(request))
    # A message queued in bulk is rendered when first read (rendering.py).
    page.object_list = rendering.fill(page.object_list)
    return render(request, "notifications/inbox.html", {"page": page})


@login_required(login_url="visitor_login")
def message(request: HttpRequest, message_id: int) -> HttpResponse:
    found = outbox.mark_read(request.user, message_id)
    if found is None:
        raise Http404
    reads.audit_shown(request.user, [found], action="notifications.message_read", ip=_ip(request))
    return render(request, "notifications/message.html", {"message": found})


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
