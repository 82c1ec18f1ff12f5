from __future__ import annotations

from typing import Any

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
    profile = forms.ChoiceField(
        label=_("Profil pelacakan"),
        required=False,
        help_text=_("Aturan pelacakan menurut penyakit; kosongkan untuk profil bawaan."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from jejak.tracing.models import TracingProfile

        # Latest version of each slug; the default first (the empty choice).
        latest: dict[str, Any] = {}
        for row in TracingProfile.objects.order_by("slug", "-version"):
            latest.setdefault(row.slug, row)
        field = self.fields["profile"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Bawaan"))] + [
            (slug, f"{row.name} ({row.label})") for slug, row in latest.items()
        ]


class WindowForm(forms.Form):
    start = forms.DateTimeField(label=_("Awal jendela penularan"), widget=DATETIME)
    end = forms.DateTimeField(label=_("Akhir jendela penularan"), widget=DATETIME)
    reason = forms.CharField(label=_("Alasan perubahan"), max_length=300)


class SecondGenerationForm(forms.Form):
    specimen_date = forms.DateField(label=_("Tanggal spesimen"), widget=DATE)
    symptom_onset = forms.DateField(label=_("Mulai gejala (bila ada)"), required=False, widget=DATE)
