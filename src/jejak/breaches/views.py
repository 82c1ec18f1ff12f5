"""The data-protection officer's pages (/pelindungan-data/insiden/): breaches with their
deadline, one breach with its selection, notices and report. Counts only: no page lists
the people affected."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jejak.accounts.capabilities import Cap, capability_required
from jejak.breaches import selection as select
from jejak.breaches import service
from jejak.breaches.deadlines import deadline_of
from jejak.breaches.errors import BreachError
from jejak.breaches.forms import BreachForm, SelectionForm
from jejak.breaches.models import Breach, BreachStatus
from jejak.breaches.notices import delivery_counts, preview
from jejak.breaches.report import render_pdf, selection_lines, subject_counts


def _breach(request: HttpRequest, public_id: str) -> Breach:
    try:
        return service.access_breach(request.user, public_id)
    except BreachError:
        raise Http404 from None


@capability_required(Cap.MANAGE_BREACHES)
def breach_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [(b, deadline_of(b, now)) for b in Breach.objects.all()[:500]]
    return render(
        request,
        "breaches/list.html",
        {"rows": rows, "overdue": sum(1 for _b, d in rows if d.overdue)},
    )


@capability_required(Cap.MANAGE_BREACHES)
def breach_create(request: HttpRequest) -> HttpResponse:
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breach = service.record_breach(actor=request.user, **form.cleaned_data)
        except BreachError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Insiden dicatat. Tenggat 3 x 24 jam berjalan."))
            return redirect("breach_detail", breach.public_id)
    return render(request, "breaches/form.html", {"form": form, "breach": None})


@capability_required(Cap.MANAGE_BREACHES)
def breach_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    breach = _breach(request, public_id)
    form = BreachForm(request.POST) if request.method == "POST" else BreachForm.of(breach)
    if request.method == "POST" and form.is_valid():
        try:
            service.update_breach(actor=request.user, breach=breach, **form.cleaned_data)
        except BreachError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Insiden diperbarui."))
            return redirect("breach_detail", breach.public_id)
    return render(request, "breaches/form.html", {"form": form, "breach": breach})


@capability_required(Cap.MANAGE_BREACHES)
def breach_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    breach = _breach(request, public_id)
    return _detail(request, breach, SelectionForm.of(breach))


def _detail(
    request: HttpRequest, breach: Breach, form: SelectionForm, status: int = 200
) -> HttpResponse:
    chosen = select.Selection.of(breach)
    # The count before drafting: what the saved selection finds now.
    found = None
    if breach.status == BreachStatus.OPEN and (chosen.all_accounts or not chosen.is_empty):
        try:
            select.validate(chosen)
        except BreachError as exc:
            messages.error(request, exc.message)
        else:
            found = select.count(chosen)
    return render(
        request,
        "breaches/detail.html",
        {
            "breach": breach,
            "deadline": deadline_of(breach),
            "form": form,
            "selection": selection_lines(breach),
            "found": found,
            "drafted": subject_counts(breach) if breach.drafted_at else None,
            "delivery": delivery_counts(breach),
            "notice": preview(breach),
            "can_select": breach.status == BreachStatus.OPEN,
        },
        status=status,
    )


@require_POST
@capability_required(Cap.MANAGE_BREACHES)
def breach_select(request: HttpRequest, public_id: str) -> HttpResponse:
    breach = _breach(request, public_id)
    form = SelectionForm(request.POST)
    if not form.is_valid():
        return _detail(request, breach, form, status=400)
    try:
        service.set_selection(actor=request.user, breach=breach, selection=form.selection())
    except BreachError as exc:
        form.add_error(None, exc.message)
        return _detail(request, breach, form, status=400)
    messages.success(request, _("Pemilihan orang terdampak disimpan."))
    return redirect("breach_detail", breach.public_id)


def _action(request: HttpRequest, public_id: str, act: Callable[[Breach], str]) -> HttpResponse:
    breach = _breach(request, public_id)
    try:
        done = act(breach)
    except BreachError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("breach_detail", breach.public_id)


@require_POST
@capability_required(Cap.MANAGE_BREACHES)
def breach_draft(request: HttpRequest, public_id: str) -> HttpResponse:
    def act(breach: Breach) -> str:
        n = service.draft_notices(actor=request.user, breach=breach)
        return _("Draf pemberitahuan disusun untuk %(n)d orang.") % {"n": n}

    return _action(request, public_id, act)


@require_POST
@capability_required(Cap.MANAGE_BREACHES)
def breach_send(request: HttpRequest, public_id: str) -> HttpResponse:
    def act(breach: Breach) -> str:
        n = service.start_sending(actor=request.user, breach=breach)
        return _("Pemberitahuan untuk %(n)d orang sedang dikirim bertahap.") % {"n": n}

    return _action(request, public_id, act)


@require_POST
@capability_required(Cap.MANAGE_BREACHES)
def breach_reported(request: HttpRequest, public_id: str) -> HttpResponse:
    def act(breach: Breach) -> str:
        service.mark_reported(actor=request.user, breach=breach)
        return _("Laporan ke otoritas dicatat.")

    return _action(request, public_id, act)


@require_POST
@capability_required(Cap.MANAGE_BREACHES)
def breach_close(request: HttpRequest, public_id: str) -> HttpResponse:
    def act(breach: Breach) -> str:
        service.close_breach(actor=request.user, breach=breach)
        return _("Insiden ditutup.")

    return _action(request, public_id, act)


@capability_required(Cap.MANAGE_BREACHES)
def breach_report(request: HttpRequest, public_id: str) -> HttpResponse:
    """The report to the authority, rendered here: a page or two of counts and text
    (report.py says what it costs)."""
    breach = _breach(request, public_id)
    pdf = render_pdf(breach)
    service.report_generated(actor=request.user, breach=breach, via="page")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="insiden-{breach.public_id}.pdf"'
    return response
