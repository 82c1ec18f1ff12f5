from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jejak.followups.models import FollowUpKind


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis"), choices=FollowUpKind.choices)
    notes = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea({"rows": 3}))
    deadline = forms.DateField(
        label=_("Tenggat"), required=False, widget=forms.DateInput({"type": "date"})
    )
    outcome = forms.CharField(label=_("Hasil"), required=False, widget=forms.Textarea({"rows": 2}))
    done = forms.BooleanField(label=_("Selesai"), required=False)


class FollowUpUpdateForm(forms.Form):
    deadline = forms.DateField(
        label=_("Tenggat"), required=False, widget=forms.DateInput({"type": "date"})
    )
    outcome = forms.CharField(label=_("Hasil"), required=False, widget=forms.Textarea({"rows": 2}))
    done = forms.BooleanField(label=_("Selesai"), required=False)
