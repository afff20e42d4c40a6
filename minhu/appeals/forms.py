from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import Category, Kind, Satisfaction


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; each is checked by the intake service (type, size, count)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultiplePhotoField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class AppealForm(forms.Form):
    """The resident's form (also used by staff for hotline and suggestion-box entries)."""

    category = forms.ModelChoiceField(
        label=_("What is it about?"), queryset=Category.objects.filter(active=True), empty_label=_("Choose…")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.HELP)
    description = forms.CharField(
        label=_("Describe the matter"),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
        max_length=4000,
        help_text=_("What happened, where exactly, since when."),
    )
    address = forms.CharField(
        label=_("Where"), required=False, max_length=300, help_text=_("Estate, building, road or landmark")
    )
    lat = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6)
    long = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6)
    photos = MultiplePhotoField(label=_("Photos"), required=False, help_text=_("Up to 6 photos, 5 MB each"))
    caller_name = forms.CharField(label=_("Your name"), required=False, max_length=50)
    caller_phone = forms.CharField(
        label=_("Your phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("So that the person responsible can call you back"),
    )
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex


class RateForm(forms.Form):
    resolved_ok = forms.TypedChoiceField(
        label=_("Was it resolved?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=16)


class ResolveForm(forms.Form):
    result = forms.CharField(
        label=_("What was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
