from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class OpenCaseForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK"),
        min_length=16,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    specimen_date = forms.DateField(label=_("Tanggal spesimen"), widget=DATE)
    symptom_onset = forms.DateField(label=_("Mulai gejala (bila ada)"), required=False, widget=DATE)
    isolation_started_at = forms.DateTimeField(
        label=_("Mulai isolasi"),
        required=False,
        widget=DATETIME,
        help_text=_("Kosongkan bila isolasi dimulai sekarang."),
    )


class WindowForm(forms.Form):
    start = forms.DateTimeField(label=_("Awal jendela penularan"), widget=DATETIME)
    end = forms.DateTimeField(label=_("Akhir jendela penularan"), widget=DATETIME)
    reason = forms.CharField(label=_("Alasan perubahan"), max_length=300)


class SecondGenerationForm(forms.Form):
    specimen_date = forms.DateField(label=_("Tanggal spesimen"), widget=DATE)
    symptom_onset = forms.DateField(label=_("Mulai gejala (bila ada)"), required=False, widget=DATE)
