"""Officer pages under /pelacakan/ and the public /paparan/. Each view parses, authorises
(capability, then jurisdiction: an invisible case is a 404), calls one service, and
redirects back or renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jejak.accounts.capabilities import Cap, capability_required, has_capability, signed_in_user
from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.sectors.models import Sector
from jejak.tracing import access, cases, clusters, designation, exports, mass, reads, search
from jejak.tracing.access import (
    access_case,
    access_cluster,
    access_contact,
    cases_visible_to,
    client_ip,
    clusters_visible_to,
)
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.forms import OpenCaseForm, SecondGenerationForm, WindowForm
from jejak.tracing.models import Case, CaseStatus, CaseVisit, RunStatus, TracingRun
from jejak.tracing.public import published_sites

NOT_FOUND = {
    Reason.CASE_NOT_FOUND,
    Reason.CONTACT_NOT_FOUND,
    Reason.CLUSTER_NOT_FOUND,
}


def _case(request: HttpRequest, pk: int, cap: Cap = Cap.TRACE_CASES) -> Case:
    try:
        return access_case(request.user, pk, cap=cap, ip=client_ip(request))
    except TracingError as exc:
        raise Http404(exc.message) from None


@capability_required(Cap.TRACE_CASES)
def case_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = OpenCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = cases.open_case_by_nik(
                nik=data["nik"],
                actor=user,
                specimen_date=data["specimen_date"],
                symptom_onset=data["symptom_onset"],
                isolation_started_at=data["isolation_started_at"],
                profile=cases.chosen_profile(data["profile"]),
                ip=client_ip(request),
            )
        except TracingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Kasus dibuka."))
            return redirect("tracing_case", case.pk)
    status = request.GET.get("status", "")
    # Not `cases`: this view also calls the module of that name.
    listed = reads.list_cases(actor=user, status=status, ip=client_ip(request))
    return render(
        request,
        "tracing/case_list.html",
        {"cases": listed, "form": form, "status": status, "statuses": CaseStatus.choices},
    )


@capability_required(Cap.TRACE_CASES)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    ip = client_ip(request)
    user = signed_in_user(request)
    reads.read_case(case=case, actor=user, ip=ip)
    whole = access.sees_whole_case(user, case)
    contacts = reads.read_contacts(case=case, actor=user, ip=ip)
    sectors = _sector_names({v.get("sector", "") for c in contacts for v in c.visits})
    for contact in contacts:
        contact.shown_visits = [  # type: ignore[attr-defined]
            {
                **v,
                "sector": sectors.get(v.get("sector", ""), v.get("sector", "")),
                "start": _parse(v["start"]),
                "end": _parse(v["end"]),
            }
            for v in contact.visits
        ]
    return render(
        request,
        "tracing/case_detail.html",
        {
            "case": case,
            "contacts": contacts,
            "close_count": sum(1 for c in contacts if c.is_close),
            "whole": whole,
            "visits": access.case_visits_visible_to(user, case.visits.select_related("venue")),
            "window_changes": access.window_changes_visible_to(
                user, case.window_changes.select_related("changed_by")
            ),
            "sites": access.exposure_sites_visible_to(
                user, case.exposure_sites.select_related("venue")
            ),
            "notifications": reads.read_messages(case=case, actor=user, ip=ip),
            "child_cases": cases_visible_to(user, case.child_cases.all()),
            "window_form": WindowForm(
                initial={
                    "start": timezone.localtime(case.window_start),
                    "end": timezone.localtime(case.window_end),
                }
            ),
            "second_form": SecondGenerationForm(),
            "can_designate": has_capability(request.user, Cap.DESIGNATE_CONTACTS),
            "can_export": has_capability(request.user, Cap.EXPORT_CONTACTS),
            "is_closed": case.status == CaseStatus.CLOSED,
        },
    )


def _parse(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


def _sector_names(stored: set[str]) -> dict[str, str]:
    """The search stores each visit's sector by its Indonesian name (search.py): the
    page shows it in the reader's language."""
    language = get_language() or "id"
    found = Sector.objects.filter(name_id__in=stored - {""})
    return {s.name_id: s.name(language) for s in found}


def _done(request: HttpRequest, case: Case, exc: TracingError | None, ok: str) -> HttpResponse:
    if exc is not None:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return redirect("tracing_case", case.pk)


@require_POST
@capability_required(Cap.TRACE_CASES)
def case_search(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        found = search.search_contacts(case=case, actor=signed_in_user(request))
    except TracingError as exc:
        return _done(request, case, exc, "")
    close = sum(1 for c in found if c.is_close)
    return _done(
        request,
        case,
        None,
        _("Pencarian selesai: %(close)d kontak erat dari %(all)d orang.")
        % {"close": close, "all": len(found)},
    )


@require_POST
@capability_required(Cap.TRACE_CASES)
def case_window(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = WindowForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Periksa tanggal dan alasan perubahan jendela."))
        return redirect("tracing_case", case.pk)
    try:
        cases.change_window(
            case=case,
            actor=signed_in_user(request),
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            reason=form.cleaned_data["reason"],
        )
    except TracingError as exc:
        return _done(request, case, exc, "")
    return _done(request, case, None, _("Jendela penularan diubah. Cari kontak lagi."))


@require_POST
@capability_required(Cap.DESIGNATE_CONTACTS)
def case_designate(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, Cap.DESIGNATE_CONTACTS)
    ids: list[int] | None
    if request.POST.get("all"):
        ids = None
    else:
        try:
            ids = [int(v) for v in request.POST.getlist("contact")]
        except ValueError:
            ids = []
    try:
        done = designation.designate_contacts(
            case=case, actor=signed_in_user(request), contact_ids=ids, ip=client_ip(request)
        )
    except TracingError as exc:
        return _done(request, case, exc, "")
    return _done(
        request,
        case,
        None,
        _(
            "%(designated)d kontak erat ditetapkan dan diberi tahu; %(informed)d pengunjung "
            "lain menerima pemberitahuan informasi."
        )
        % {"designated": done.designated, "informed": done.informed},
    )


@require_POST
@capability_required(Cap.TRACE_CASES)
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        cases.close_case(case=case, actor=signed_in_user(request))
    except TracingError as exc:
        return _done(request, case, exc, "")
    return _done(request, case, None, _("Kasus ditutup."))


@capability_required(Cap.EXPORT_CONTACTS)
def case_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    case = _case(request, pk, Cap.EXPORT_CONTACTS)
    content, kind, name = exports.export_contacts(
        case=case, actor=signed_in_user(request), fmt=fmt, ip=client_ip(request)
    )
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@capability_required(Cap.TRACE_CASES)
def second_generation(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        contact = access_contact(
            request.user, request.POST.get("contact", ""), ip=client_ip(request)
        )
    except TracingError as exc:
        raise Http404(exc.message) from None
    if contact.case_id != case.pk:
        raise Http404
    form = SecondGenerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Isi tanggal spesimen."))
        return redirect("tracing_case", case.pk)
    try:
        child = cases.open_case_from_contact(
            contact=contact,
            actor=signed_in_user(request),
            specimen_date=form.cleaned_data["specimen_date"],
            symptom_onset=form.cleaned_data["symptom_onset"],
        )
    except TracingError as exc:
        return _done(request, case, exc, "")
    messages.success(request, _("Kasus generasi kedua dibuka."))
    return redirect("tracing_case", child.pk)


@capability_required(Cap.TRACE_CASES)
def cluster_list(request: HttpRequest) -> HttpResponse:
    alerts = (
        clusters_visible_to(request.user)
        .select_related("venue__sector", "venue__region")
        .prefetch_related("cases")
    )
    return render(request, "tracing/cluster_list.html", {"alerts": alerts[:200]})


@capability_required(Cap.TRACE_CASES)
def cluster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        alert = access_cluster(request.user, pk)
    except TracingError as exc:
        raise Http404(exc.message) from None
    if request.method == "POST":
        clusters.acknowledge_cluster(alert=alert, actor=signed_in_user(request))
        messages.success(request, _("Peringatan klaster ditandai sudah ditindaklanjuti."))
        return redirect("tracing_cluster", alert.pk)
    cases = list(alert.cases.select_related("person").order_by("opened_at"))
    visits = CaseVisit.objects.filter(case__in=cases, venue=alert.venue).order_by("start")
    # The cases' names are shown only to those who may open the cases themselves.
    visible = set(
        cases_visible_to(request.user)
        .filter(pk__in=[c.pk for c in cases])
        .values_list("pk", flat=True)
    )
    audit.record_read(
        actor=request.user,
        action="tracing.cluster.read",
        purpose=Purpose.TRACING,
        # Only the cases whose names the page shows; the others appear by number.
        subjects=[c.person.nik_index for c in cases if c.pk in visible],
        obj=alert,
        ip=client_ip(request),
        cases=sorted(c.pk for c in cases),
    )
    rows: list[dict[str, Any]] = [
        {"case": v.case_id, "visible": v.case_id in visible, "start": v.start, "end": v.end}
        for v in visits
    ]
    return render(
        request,
        "tracing/cluster_detail.html",
        {"alert": alert, "cases": cases, "visible": visible, "visits": rows},
    )


@capability_required(Cap.TRACE_CASES)
def run_list(request: HttpRequest) -> HttpResponse:
    """Mass tracing runs (counts only): what the system did with a bulk of results."""
    runs = [(r, mass.estimate(r)) for r in TracingRun.objects.all()[:100]]
    return render(request, "tracing/run_list.html", {"runs": runs})


@capability_required(Cap.TRACE_CASES)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # A number past a bigint's range is no run (not a database error).
    run = TracingRun.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if run is None:
        raise Http404(Reason.RUN_NOT_FOUND.label)
    return render(
        request,
        "tracing/run_detail.html",
        {"run": run, "progress": mass.estimate(run), "running": run.status in ACTIVE_RUNS},
    )


ACTIVE_RUNS = {RunStatus.QUEUED, RunStatus.RUNNING}


def exposure_sites(request: HttpRequest) -> HttpResponse:
    # Not marked cacheable: the page carries the language form's CSRF token. The API is.
    return render(request, "tracing/exposure_sites.html", {"sites": published_sites()})
