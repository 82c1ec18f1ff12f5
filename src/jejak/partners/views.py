"""The OAuth pages and endpoints, and the citizen's list of connected partners.

The consent page is the library's `AuthorizationView` with Jejak's sign-in (the visitor's
phone and one-time code, on Jejak's own page: a partner never sees either) and its own
template naming the partner and each scope in the citizen's language. The token,
revocation and metadata endpoints are the library's as they ship; introspection is
narrowed to the calling partner's own tokens and answers a pairwise `sub`, never Jejak's
user name.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_access_token_model
from oauth2_provider.views import AuthorizationView, IntrospectTokenView

from jejak.accounts.capabilities import signed_in_user
from jejak.partners import pairwise, scopes, service
from jejak.partners.models import Partner
from jejak.people.access import is_visitor, visitor_required
from jejak.screening.service import people_of


class AuthorizeView(AuthorizationView):
    """GET shows the consent page; POST is the citizen's answer. Never skipped: every
    authorization asks (REQUEST_APPROVAL_PROMPT "force", no application skips)."""

    template_name = "partners/authorize.html"
    login_url = reverse_lazy("visitor_login")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not is_visitor(user):
            # Staff act for their employer, not as citizens: no partner acts for them.
            raise PermissionDenied("visitor_only")
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().get(request, *args, **kwargs)
        redirect_uri = self.oauth2_data.get("redirect_uri") if response.status_code == 200 else ""
        if redirect_uri:
            # The citizen's answer (a POST to this page) is redirected to the partner:
            # the page's `form-action 'self'` would stop the browser there. Only the
            # redirect URI the library has just matched against the partner's is added.
            parts = urlsplit(redirect_uri)
            source = (
                f"{parts.scheme}://{parts.netloc}"
                if parts.scheme in ("http", "https")
                else f"{parts.scheme}:"
            )
            response._csp_update = {"form-action": ["'self'", source]}  # type: ignore[attr-defined]
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        application = kwargs.get("application")
        partner = getattr(application, "partner", None) if application is not None else None
        context["partner"] = partner
        context["scope_list"] = scopes.described(kwargs.get("scopes") or [])
        account = signed_in_user(self.request)
        if is_visitor(account):
            context["people"] = [
                p.full_name.split()[0] for p in people_of(account=account) if p.full_name
            ]
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_valid(form)
        if not form.cleaned_data.get("allow"):
            return response
        location = response.get("Location", "")
        if "code" in parse_qs(urlsplit(location).query):
            account = signed_in_user(self.request)
            assert is_visitor(account)
            partner = Partner.objects.get(application__client_id=form.cleaned_data["client_id"])
            service.record_consent(
                account=account,
                application=partner.application,
                scopes=str(form.cleaned_data.get("scope", "")).split(),
            )
        return response


def _client_id(request: HttpRequest) -> str:
    """The client that authenticated to introspect (HTTP Basic, else the body)."""
    header = request.headers.get("Authorization", "")
    kind, _sep, credentials = header.partition(" ")
    if kind == "Basic" and credentials:
        try:
            decoded = base64.b64decode(credentials).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return unquote_plus(decoded.partition(":")[0])
    return str(request.POST.get("client_id", ""))


class IntrospectView(IntrospectTokenView):
    """RFC 7662 for a confidential partner (its client id and secret): its own tokens
    only (another's is `active: false`, as an unknown one is), with the citizen named by
    this partner's pairwise `sub` instead of the library's user name."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._answer(request, request.GET.get("token"))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._answer(request, request.POST.get("token"))

    def _answer(self, request: HttpRequest, token: str | None) -> HttpResponse:
        if not token:
            return JsonResponse(
                {"error": "invalid_request", "error_description": "Token parameter is missing."},
                status=400,
            )
        found = (
            get_access_token_model()
            .objects.filter(token_checksum=hashlib.sha256(token.encode()).hexdigest())
            .select_related("application__partner")
            .first()
        )
        caller = _client_id(request)
        if (
            found is None
            or found.application is None
            or found.application.client_id != caller
            or found.user_id is None
            or not found.is_valid()
        ):
            return JsonResponse({"active": False})
        return JsonResponse(
            {
                "active": True,
                "scope": found.scope,
                "client_id": caller,
                "exp": int(calendar.timegm(found.expires.utctimetuple())),
                "sub": pairwise.pairwise(
                    pairwise.ACCOUNT, found.application.partner.pk, found.user_id
                ),
                "token_type": "Bearer",
            }
        )


@never_cache
@visitor_required
def connections(request: HttpRequest) -> HttpResponse:
    """/saya/mitra/: the partners the citizen connected, what each may do, when each last
    called, and a button to disconnect."""
    account = signed_in_user(request)
    assert is_visitor(account)
    return render(request, "partners/connections.html", {"rows": service.connected(account)})


@require_POST
@visitor_required
def disconnect(request: HttpRequest, connection_id: int) -> HttpResponse:
    account = signed_in_user(request)
    assert is_visitor(account)
    if service.do_disconnect(account=account, connection_id=connection_id):
        messages.success(request, _("Aplikasi mitra diputuskan. Aksesnya sudah dicabut."))
    else:
        messages.error(request, _("Koneksi tidak ditemukan."))
    return redirect("partner_connections")
