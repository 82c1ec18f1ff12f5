"""Counts every call of a partner by the status it was answered with (usage.py): what the
partner authentication (auth.py) recognised, whatever happened after it (a scope
refused, a body that did not validate, a check-in refused, a server error)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from jejak.partners import usage


class PartnerUsageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Set by the partner authentication once it knows the partner (and the citizen).
        caller = getattr(request, "partner_usage", None)
        if caller is not None:
            partner_id, account_id = caller
            usage.note(partner_id=partner_id, account_id=account_id, status=response.status_code)
        return response
