"""Forms of the grid's pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

KIND_CHOICES = [
    ("units", _("Units")),
    ("households", _("Households")),
    ("people", _("People")),
    ("party_members", _("Party members")),
    ("responsibilities", _("Responsibilities (包保)")),
    ("cadres", _("Cadres by term")),
]
MODE_CHOICES = [
    ("atomic", _("All or nothing: write nothing if any row is bad")),
    ("valid", _("Import the valid rows and list the rejected ones")),
]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("List"), choices=KIND_CHOICES)
    mode = forms.ChoiceField(
        label=_("Mode"), choices=MODE_CHOICES, initial="atomic", widget=forms.RadioSelect
    )
    file = forms.FileField(label=_("File"), help_text=_("An .xlsx or .csv file with the template's columns."))

    def clean_file(self) -> object:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        return f
