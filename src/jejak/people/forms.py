from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jejak.people.errors import PeopleError, Reason
from jejak.people.models import Relation, Sex

# Which field a refusal belongs to on the page; anything else is shown above the form.
FIELD_OF_REASON = {
    Reason.NIK_FORMAT: "nik",
    Reason.NIK_REGION_UNKNOWN: "nik",
    Reason.NIK_BIRTH_DATE_INVALID: "nik",
    Reason.NIK_SERIAL_INVALID: "nik",
    Reason.NIK_CLAIMED: "nik",
    Reason.NIK_ALREADY_ADDED: "nik",
    Reason.NIK_BIRTH_DATE_MISMATCH: "birth_date",
    Reason.NIK_SEX_MISMATCH: "sex",
    Reason.SEX_INVALID: "sex",
    Reason.NAME_INVALID: "full_name",
    Reason.RELATION_INVALID: "relation",
    Reason.IDENTITY_LOCKED: "nik",
    Reason.REASON_REQUIRED: "approval_reason",
}


class PersonForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK"),
        max_length=40,
        help_text=_("16 digit, tertera di KTP atau Kartu Keluarga."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    birth_date = forms.DateField(
        label=_("Tanggal lahir"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sex = forms.ChoiceField(label=_("Jenis kelamin"), choices=Sex.choices, widget=forms.RadioSelect)

    def clean_nik(self) -> str:
        # People copy NIKs with spaces ("3671 0112 ..."); the digits are what count.
        return "".join(self.cleaned_data["nik"].split())

    def add_refusal(self, exc: PeopleError) -> None:
        field = FIELD_OF_REASON.get(exc.code)
        self.add_error(field if field in self.fields else None, exc.message)


class DependantForm(PersonForm):
    relation = forms.ChoiceField(
        label=_("Hubungan"),
        choices=[(value, label) for value, label in Relation.choices if value != Relation.SELF],
    )

    approval_reason = forms.CharField(
        label=_("Alasan, jika tidak satu Kartu Keluarga dengan Anda"),
        required=False,
        max_length=500,
        help_text=_(
            "Misalnya orang tua lanjut usia atau anak perwalian. Diisi hanya jika diminta: "
            "petugas kesehatan akan memeriksa pengajuan Anda."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
