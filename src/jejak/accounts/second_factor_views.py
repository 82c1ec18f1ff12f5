"""The second step of a staff sign-in: enrol an authenticator app, or confirm its code."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token

from jejak.accounts import second_factor
from jejak.accounts.models import User
from jejak.accounts.otp import client_address
from jejak.audit import service as audit
from jejak.core.next_url import safe_next
from jejak.core.qr_svg import qr_svg


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Kode"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let only a signed-in user in
    return request.user


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Confirm a code from the authenticator app, or one of the backup codes."""
    user = _user(request)
    next_url = safe_next(request) or reverse("dashboard")
    if user.is_verified() or not second_factor.required_for(user):  # type: ignore[attr-defined]
        return redirect(next_url)
    if not second_factor.has_confirmed_device(user):
        return redirect("second_factor_enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].replace(" ", "")
        # django-otp throttles each device: after a wrong code the next try waits 1 s,
        # then 2, 4, 8 ... until a right one.
        device = match_token(user, token)
        ip = client_address(request)
        if device is not None:
            otp_login(request, device)
            audit.record(actor=user, action="staff.second_factor_verified", ip=ip, kind=device.name)
            if device.name == second_factor.BACKUP_NAME:
                left = second_factor.backup_codes_left(user)
                messages.warning(
                    request,
                    _("Kode cadangan terpakai; tersisa %(left)d.") % {"left": left},
                )
            return redirect(next_url)
        audit.record(actor=user, action="staff.second_factor_failed", ip=ip)
        form.add_error("token", _("Kode salah atau sudah dipakai. Tunggu sebentar lalu coba lagi."))
    return render(request, "accounts/second_factor_verify.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the key into an authenticator app, then prove it with a code."""
    user = _user(request)
    next_url = safe_next(request) or reverse("dashboard")
    if second_factor.has_confirmed_device(user):
        # Replacing a factor is an administrator's reset (`jejak reset-second-factor`),
        # never something a password alone can do.
        verified = user.is_verified()  # type: ignore[attr-defined]
        return redirect(next_url if verified else "second_factor_verify")
    device = second_factor.pending_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            codes = second_factor.confirm(device)
            otp_login(request, device)
            audit.record(
                actor=user, action="staff.second_factor_enrolled", ip=client_address(request)
            )
            return render(
                request,
                "accounts/second_factor_backup_codes.html",
                {"codes": codes, "next": next_url},
            )
        form.add_error("token", _("Kode tidak cocok. Periksa jam ponsel lalu coba lagi."))
    return render(
        request,
        "accounts/second_factor_enrol.html",
        {
            "form": form,
            "qr": qr_svg(device.config_url),
            "secret": second_factor.secret_text(device),
            "next": next_url,
        },
    )
