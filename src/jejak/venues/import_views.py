"""The venue import page: upload a sheet, read the report, or download a template."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from jejak.accounts.capabilities import Cap, capability_required, signed_in_user
from jejak.venues.import_problems import COLUMNS, MAX_FILE_BYTES, REQUIRED_COLUMNS
from jejak.venues.imports import import_venues
from jejak.venues.imports import template_csv as build_template_csv

# Enough to show a whole bad sheet of a city's size; a 10,000-row mistake needs no more.
SHOWN_ERRORS = 500


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas CSV atau XLSX"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if PurePath(upload.name or "").suffix.lower() not in (".csv", ".xlsx"):
            raise forms.ValidationError(_("Hanya berkas .csv atau .xlsx."))
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("Berkas lebih dari %(limit)s MB.") % {"limit": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


@capability_required(Cap.IMPORT_VENUES)
def venue_import(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.GET.get("template") == "csv":
        # The byte-order mark makes Excel open the file as UTF-8; the importer skips it.
        response = HttpResponse("\ufeff" + build_template_csv(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="jejak-impor-tempat.csv"'
        return response

    report = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        report = import_venues(form.cleaned_data["file"], actor=signed_in_user(request))
        if report.ok:
            form = ImportForm()
    return render(
        request,
        "venues/import.html",
        {
            "form": form,
            "report": report,
            "shown_errors": report.errors[:SHOWN_ERRORS] if report else [],
            "columns": COLUMNS,
            "required_columns": REQUIRED_COLUMNS,
        },
    )
