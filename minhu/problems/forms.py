from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import Category
from minhu.grid.models import Unit
from minhu.problems.models import Problem


class ProblemForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Village or community"), queryset=Unit.objects.none())
    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("Shown on the public board: no names.")
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    appeals = forms.CharField(widget=forms.HiddenInput, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("code")  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex


class EditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000
    )


class CloseForm(forms.Form):
    resolution = forms.CharField(
        label=_("How it was solved"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("Every caller is told this and asked to rate."),
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class FilterForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Village or community"), queryset=Unit.objects.none(), required=False
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All")), *list(Problem.State.choices)], required=False
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
