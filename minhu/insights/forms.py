"""The filters of the candidates page (a GET form). Units are limited to the user's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minhu.appeals.forms_stats import MonthField, ScopedUnitField
from minhu.appeals.models import Category
from minhu.core.types import Viewer
from minhu.insights.models import Level


class CandidatesForm(forms.Form):
    month = MonthField(label=_("Month"))
    level = forms.ChoiceField(
        label=_("Places"),
        required=False,
        choices=Level.choices,
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("code"), required=False, empty_label=_("All")
    )
    order = forms.ChoiceField(
        label=_("Order by"),
        required=False,
        choices=[
            ("score", _("Score")),
            ("count", _("Appeals")),
            ("rate", _("Per 1,000 households")),
        ],
    )

    def __init__(self, user: Viewer, data: Any) -> None:
        super().__init__(data)
        self.fields["unit"] = ScopedUnitField(user, data.get("unit"), label=_("Within"), empty_label=_("All"))
        self.order_fields(["month", "level", "unit", "category", "order"])
