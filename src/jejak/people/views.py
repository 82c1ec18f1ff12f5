"""A visitor's own pages: their profile (/saya/profil/) and their family (/saya/keluarga/)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jejak.accounts.capabilities import signed_in_user
from jejak.core.next_url import safe_next
from jejak.people import approvals, service
from jejak.people.access import visitor_required
from jejak.people.errors import PeopleError, Reason
from jejak.people.forms import DependantForm, PersonForm
from jejak.people.models import Person


def _initial(person: Person) -> dict[str, Any]:
    return {
        "nik": service.decrypt_nik(person),
        "full_name": person.full_name,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "relation": person.relation,
    }


@visitor_required
def profile(request: HttpRequest) -> HttpResponse:
    account = signed_in_user(request)
    person = service.own_profile(account=account)
    form = PersonForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(person) if person else None,
    )
    if form.is_bound and form.is_valid():
        try:
            service.set_own_profile(account=account, **form.cleaned_data)
        except PeopleError as exc:
            form.add_refusal(exc)
        else:
            messages.success(request, _("Profil disimpan."))
            # Sent here from a poster's page: back to it, to check in at once.
            return redirect(safe_next(request) or "visitor_profile")
    return render(
        request,
        "people/profile.html",
        {
            "person": person,
            "nik": service.decrypt_nik(person) if person else "",
            "form": form,
            "attempts": service.claim_attempts_for(account),
            "next": safe_next(request),
        },
    )


@visitor_required
def dependants(request: HttpRequest) -> HttpResponse:
    account = signed_in_user(request)
    form = DependantForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("approval_reason", "")
        try:
            person = service.add_dependant(account=account, **data)
        except PeopleError as exc:
            if exc.code == Reason.NOT_ON_FAMILY_CARD and reason:
                return _request_approval(request, form, data, reason)
            form.add_refusal(exc)
        else:
            messages.success(
                request, _("%(name)s ditambahkan ke keluarga Anda.") % {"name": person.full_name}
            )
            return redirect("visitor_dependants")
    people = service.dependants_of(account=account)
    return render(
        request,
        "people/dependants.html",
        {
            "people": [(p, service.decrypt_nik(p)) for p in people],
            "form": form,
            "limit": service.MAX_DEPENDANTS,
            "requests": approvals.requests_of(account=account),
        },
    )


def _request_approval(
    request: HttpRequest, form: DependantForm, data: dict[str, Any], reason: str
) -> HttpResponse:
    account = signed_in_user(request)
    try:
        approvals.request_dependant(account=account, reason=reason, **data)
    except PeopleError as exc:
        form.add_refusal(exc)
        return render(
            request,
            "people/dependants.html",
            {
                "people": [
                    (p, service.decrypt_nik(p)) for p in service.dependants_of(account=account)
                ],
                "form": form,
                "limit": service.MAX_DEPENDANTS,
                "requests": approvals.requests_of(account=account),
            },
        )
    messages.success(
        request,
        _("Pengajuan %(name)s dikirim ke petugas kesehatan. Keputusannya dikirim ke aplikasi.")
        % {"name": data["full_name"]},
    )
    return redirect("visitor_dependants")


@visitor_required
def dependant_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    account = signed_in_user(request)
    try:
        person = service.access_dependant(account=account, public_id=public_id)
    except PeopleError:
        raise Http404(_("Anggota keluarga tidak ditemukan.")) from None
    form = DependantForm(
        request.POST if request.method == "POST" else None, initial=_initial(person)
    )
    if form.is_bound and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            data.pop("approval_reason", None)
            service.update_dependant(account=account, public_id=public_id, **data)
        except PeopleError as exc:
            form.add_refusal(exc)
        else:
            messages.success(request, _("Data anggota keluarga disimpan."))
            return redirect("visitor_dependants")
    return render(request, "people/dependant_form.html", {"person": person, "form": form})


@require_POST
@visitor_required
def dependant_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        service.remove_dependant(account=signed_in_user(request), public_id=public_id)
    except PeopleError:
        raise Http404(_("Anggota keluarga tidak ditemukan.")) from None
    messages.success(request, _("Anggota keluarga dihapus."))
    return redirect("visitor_dependants")
