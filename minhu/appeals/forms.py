from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import Category, Channel, Kind, Satisfaction


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
    phone_tail = forms.CharField(
        label=_("Last four digits of the phone you gave"),
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 4}),
        help_text=_("So that only the caller rates"),
    )


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=32)  # spaces and dashes allowed


class ResolveForm(forms.Form):
    result = forms.CharField(
        label=_("What was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class RecordForm(AppealForm):
    """Staff recording an appeal taken by phone (24-hour hotline), from the suggestion box, from the WeChat
    butler's chat, or seen on foot by a grid member. The place can be a household (unit code + door number),
    a unit, an address or a point."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (Channel.HOTLINE, Channel.HOTLINE.label),
            (Channel.SUGGESTION_BOX, Channel.SUGGESTION_BOX.label),
            (Channel.WECHAT, Channel.WECHAT.label),
            (Channel.GRID, Channel.GRID.label),
        ],
        initial=Channel.HOTLINE,
    )
    unit_code = forms.CharField(
        label=_("Unit"),
        required=False,
        max_length=32,
        help_text=_("Type a name or code and pick the unit (estate, block…)"),
        widget=forms.TextInput(attrs={"list": "unit-options", "autocomplete": "off"}),
    )
    door = forms.CharField(
        label=_("Door number"), required=False, max_length=50, help_text=_("With the unit: the household")
    )
    answered = forms.CharField(
        label=_("Answered on the spot"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For a consultation answered during the call: the answer (closes it at once)"),
    )

    field_order = ["channel", "category", "kind", "description", "unit_code", "door", "address"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["caller_name"].label = _("Caller's name")
        self.fields["caller_phone"].label = _("Caller's phone")
        self.fields["caller_phone"].help_text = ""
        self.fields["anonymous"].label = _("The caller asks to stay anonymous")


class DispatchForm(forms.Form):
    handler: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Handler"), queryset=None, required=False
    )
    department = forms.CharField(label=_("Or a department"), required=False, max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, candidates: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from minhu.accounts.models import User

        cast(forms.ModelChoiceField[Any], self.fields["handler"]).queryset = User.objects.filter(
            pk__in=[u.pk for u in candidates]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("handler") and not (data.get("department") or "").strip():
            self.add_error("handler", _("Choose a handler or name a department."))
        return data


class TransferForm(forms.Form):
    to: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Transfer to"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, candidates: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from minhu.accounts.models import User

        cast(forms.ModelChoiceField[Any], self.fields["to"]).queryset = User.objects.filter(
            pk__in=[u.pk for u in candidates]
        )
