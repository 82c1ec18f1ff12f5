from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jejak.inspections.models import ChecklistItem, ChecklistResult, Sanction
from jejak.inspections.service import Answer


class PlanForm(forms.Form):
    venue = forms.CharField(label=_("Kode tempat"), max_length=32)
    planned_for = forms.DateField(
        label=_("Tanggal rencana"), widget=forms.DateInput({"type": "date"})
    )


class ReinspectionForm(forms.Form):
    planned_for = forms.DateField(
        label=_("Tanggal pemeriksaan ulang"), widget=forms.DateInput({"type": "date"})
    )


class RecordForm(forms.Form):
    """The checklist (a result and a note per item), findings, photos and sanction."""

    findings = forms.CharField(
        label=_("Temuan"), required=False, widget=forms.Textarea({"rows": 4})
    )
    sanction = forms.ChoiceField(label=_("Sanksi"), choices=Sanction.choices, initial="none")
    closure_starts_at = forms.DateTimeField(
        label=_("Penutupan mulai"),
        required=False,
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closure_ends_at = forms.DateTimeField(
        label=_("Penutupan selesai"),
        required=False,
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in ChecklistItem:
            self.fields[f"check_{item.value}"] = forms.ChoiceField(
                label=item.label, choices=ChecklistResult.choices, widget=forms.RadioSelect
            )
            self.fields[f"note_{item.value}"] = forms.CharField(
                label=_("Catatan"), required=False, max_length=500
            )

    def checklist_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"check_{i.value}"], self[f"note_{i.value}"]) for i in ChecklistItem]

    def checklist(self) -> dict[str, Answer]:
        data = self.cleaned_data
        return {
            i.value: Answer(data[f"check_{i.value}"], data.get(f"note_{i.value}") or "")
            for i in ChecklistItem
        }
