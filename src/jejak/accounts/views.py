from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from jejak.accounts import otp, privacy
from jejak.accounts.capabilities import Cap, has_capability
from jejak.accounts.roles import VENUE_ROLES, Role
from jejak.core.next_url import safe_next
from jejak.core.phone import PhoneInvalid, mask_phone, normalize_phone

# The number being signed in, between the phone step and the code step.
SESSION_PHONE = "visitor_login_phone"


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands where its work is: the rollout for coordinators, venues for the rest.
    Someone not signed in (a citizen who typed the address) is offered both sign-ins."""
    if not request.user.is_authenticated:
        return render(request, "accounts/welcome.html")
    if request.user.role == Role.VISITOR:
        return redirect("visitor_home")
    if has_capability(request.user, Cap.VIEW_ROLLOUT):
        return redirect("rollout")
    if getattr(request.user, "role", None) in VENUE_ROLES:
        return redirect("console_index")  # their venue's console (or the list of them)
    return redirect("venue_list")


class PhoneForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Nomor HP"), max_length=40)


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Kode"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Kode terdiri dari 6 angka.")},
    )


def _refusal_message(exc: otp.SignInError) -> str:
    if exc.code == otp.Reason.LOCKED and exc.locked_until is not None:
        return _("Terlalu banyak kode salah. Coba lagi setelah pukul %(time)s.") % {
            "time": date_format(localtime(exc.locked_until), "H:i T")
        }
    if exc.code == otp.Reason.RATE_LIMITED and exc.retry_after is not None:
        minutes = max(1, -(-exc.retry_after // 60))
        return ngettext(
            "Terlalu banyak permintaan kode. Coba lagi dalam %(minutes)d menit.",
            "Terlalu banyak permintaan kode. Coba lagi dalam %(minutes)d menit.",
            minutes,
        ) % {"minutes": minutes}
    return exc.message


@require_http_methods(["GET", "POST"])
def visitor_login(request: HttpRequest) -> HttpResponse:
    """Visitors sign in with a phone number, then the code sent to it by SMS."""
    next_url = safe_next(request)
    here = reverse("visitor_login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
    user = request.user
    if request.method == "GET" and user.is_authenticated and user.role == Role.VISITOR:
        return redirect(next_url or "visitor_home")

    phone = request.session.get(SESSION_PHONE)
    action = request.POST.get("action", "")
    phone_form, code_form, problem = PhoneForm(), CodeForm(), ""
    privacy_required = False

    if request.method == "POST" and action == "restart":
        request.session.pop(SESSION_PHONE, None)
        return redirect(here)
    if request.method == "POST" and action == "resend" and phone:
        try:
            otp.request_code(phone=phone, client_ip=otp.client_address(request))
        except otp.SignInError as exc:
            problem = _refusal_message(exc)
        else:
            messages.success(request, _("Kode baru telah dikirim."))
            return redirect(here)
    elif request.method == "POST" and action == "verify" and phone:
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                signed_in = otp.verify_code(
                    phone=phone,
                    code=code_form.cleaned_data["code"].strip(),
                    client_ip=otp.client_address(request),
                    channel="web",
                    # The version the page showed, if the box was ticked.
                    privacy_notice_version=(
                        request.POST.get("privacy_notice_version")
                        if request.POST.get("accept_privacy")
                        else None
                    ),
                )
            except otp.SignInError as exc:
                problem = _refusal_message(exc)
                privacy_required = exc.code == otp.Reason.PRIVACY_NOT_ACCEPTED
            else:
                request.session.pop(SESSION_PHONE, None)
                login(request, signed_in, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(next_url or "visitor_home")
    elif request.method == "POST":
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            try:
                number = normalize_phone(phone_form.cleaned_data["phone"])
                otp.request_code(phone=number, client_ip=otp.client_address(request))
            except PhoneInvalid:
                problem = str(otp.Reason.PHONE_INVALID.label)
            except otp.SignInError as exc:
                problem = _refusal_message(exc)
            else:
                request.session[SESSION_PHONE] = number
                return redirect(here)

    return render(
        request,
        "accounts/visitor_login.html",
        {
            # Re-read: a POST above may have cleared the number.
            "step": "code" if request.session.get(SESSION_PHONE) else "phone",
            "phone_masked": mask_phone(phone) if phone else "",
            "phone_form": phone_form,
            "code_form": code_form,
            "problem": problem,
            "next": next_url,
            "privacy_notice_version": privacy.current_version(),
            "privacy_required": privacy_required,
            "privacy_url": reverse("privacy_notice"),
        },
        status=200,
    )
