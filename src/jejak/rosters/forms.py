from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.rosters.service import MAX_IMPORT_BYTES, ROLE_MAX


class RosterEntryForm(forms.Form):
    # Only the fields' types: the rules (one identifier, a valid number or NIK, dates in
    # order) are the service's, shared with the CSV import and the API.
    phone = forms.CharField(
        label=_("Nomor HP akun Jejak"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("Nomor yang dipakai karyawan untuk masuk ke aplikasi Jejak."),
    )
    nik = forms.CharField(
        label=_("atau NIK"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Berlaku setelah identitas karyawan terverifikasi."),
    )
    role = forms.CharField(label=_("Jabatan"), max_length=ROLE_MAX)
    valid_from = forms.DateField(
        label=_("Berlaku mulai"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_until = forms.DateField(
        label=_("Berlaku sampai (opsional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].initial = timezone.localdate()


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas CSV"),
        help_text=_(
            "Kolom: phone atau nik, role, valid_from, valid_until (tanggal TTTT-BB-HH). "
            "Semua baris harus benar; jika ada yang salah, tidak ada yang disimpan."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("Berkas terlalu besar."))
        return bytes(upload.read())
