"""The health officer's identity desk (/petugas/identitas/): dependants off the family
card waiting for a decision, and corrections of a verified identity with the KTP at hand.
Each page calls one service; the services audit and notify."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jejak.accounts.capabilities import Cap, capability_required, has_capability, signed_in_user
from jejak.people import approvals, corrections
from jejak.people.errors import PeopleError
from jejak.people.forms import PersonForm


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Alasan"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class CorrectionForm(PersonForm):
    current_nik = forms.CharField(
        label=gettext_lazy("NIK yang tercatat sekarang"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Alasan koreksi"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = ["current_nik", "nik", "full_name", "birth_date", "sex", "reason"]

    def clean_current_nik(self) -> str:
        return "".join(self.cleaned_data["current_nik"].split())


@capability_required(Cap.APPROVE_DEPENDANTS)
def desk(request: HttpRequest) -> HttpResponse:
    """Pending dependant requests of the officer's region (an audited read)."""
    return render(
        request,
        "people/officer_desk.html",
        {
            "requests": approvals.pending_for(signed_in_user(request)),
            "decision_form": DecisionForm(),
            "may_correct": has_capability(request.user, Cap.CORRECT_IDENTITY),
        },
    )


@require_POST
@capability_required(Cap.APPROVE_DEPENDANTS)
def decide(request: HttpRequest, public_id: str, verdict: str) -> HttpResponse:
    officer = signed_in_user(request)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tuliskan alasannya (paling banyak 500 karakter)."))
        return redirect("identity_desk")
    try:
        if verdict == "approve":
            person = approvals.approve(
                officer=officer,
                public_id=public_id,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("%(name)s ditambahkan.") % {"name": person.full_name})
        else:
            approvals.reject(
                officer=officer,
                public_id=public_id,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Pengajuan ditolak; pemohon diberi tahu."))
    except PeopleError as exc:
        messages.error(request, exc.message)
    return redirect("identity_desk")


@capability_required(Cap.CORRECT_IDENTITY)
def correction(request: HttpRequest) -> HttpResponse:
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = corrections.correct_identity(
                officer=signed_in_user(request), **form.cleaned_data
            )
        except PeopleError as exc:
            form.add_refusal(exc)
        else:
            messages.success(
                request,
                _("Identitas dikoreksi menjadi %(masked)s; pemiliknya diberi tahu.")
                % {"masked": person.nik_masked},
            )
            return redirect("identity_correction")
    return render(request, "people/officer_correction.html", {"form": form})
