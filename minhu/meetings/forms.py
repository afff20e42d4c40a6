"""Forms of the meeting pages (phone first: few fields, large controls). They check shapes only; the rules
are the services', whose errors come back onto the field they name."""

from __future__ import annotations

import re
import uuid
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minhu.accounts.models import User
from minhu.grid.models import Unit
from minhu.meetings.models import MeetingType
from minhu.meetings.services import Attendee

_SPLIT = re.compile(r"[\s,，、]+")


class KeyedForm(forms.Form):
    """A form with a hidden one-time key: a retried POST (a double tap, a resend on a poor line) carries the
    same key, and the service returns what the first one created."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class UnitChoiceField(forms.ModelChoiceField[Unit]):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class UserChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name or obj.username} ({obj.username})"


def parse_attendees(party: str, text: str) -> list[Attendee]:
    """One attendee a line: the name, then (after a space or comma) their role at the meeting."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = _SPLIT.split(line, maxsplit=1)
        out.append(Attendee(party=party, name=parts[0][:50], role=parts[1][:100] if len(parts) > 1 else ""))
    return out


class MeetingForm(KeyedForm):
    """Plan a meeting of the given type (chosen before, by the page's `type` parameter): its unit, title,
    place and time, and the expected attendees of each of the type's parties (one text box per party)."""

    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    title = forms.CharField(label=pgettext_lazy("meeting", "Title"), max_length=200)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], meeting_type: MeetingType, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(UnitChoiceField, self.fields["unit"]).queryset = units
        if not self.is_bound and not self.initial.get("unit"):
            first = units.first()
            if first is not None:
                self.initial["unit"] = first.pk
        self.meeting_type = meeting_type
        self.party_fields: list[str] = []
        for i, party in enumerate(meeting_type.parties):
            name = f"party_{i}"
            self.fields[name] = forms.CharField(
                label=party,
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("One attendee a line: name, then their role"),
            )
            self.party_fields.append(name)

    def attendees(self) -> list[Attendee]:
        out: list[Attendee] = []
        for i, party in enumerate(self.meeting_type.parties):
            out += parse_attendees(party, self.cleaned_data.get(f"party_{i}", ""))
        return out


class ItemForm(KeyedForm):
    title = forms.CharField(label=pgettext_lazy("agenda item", "Matter"), max_length=200)


class HoldForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was said, in brief; the decisions are recorded per matter"),
    )


class DecideForm(forms.Form):
    """The decision on one matter."""

    notes = forms.CharField(
        label=_("Discussion notes"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    solution = forms.CharField(
        label=_("Solution"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    owner_role = forms.ChoiceField(label=_("Responsible party"), choices=[], required=False)
    owner = UserChoiceField(
        label=_("Owner's login"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Optional: the login that answers for it, reminded and escalated"),
    )
    deadline = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    budget = forms.DecimalField(label=_("Budget (yuan)"), required=False, max_digits=12, decimal_places=2)

    def __init__(self, *args: Any, parties: list[str], owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner_role"]).choices = [("", "—"), *[(p, p) for p in parties]]
        cast(UserChoiceField, self.fields["owner"]).queryset = owners


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200, required=False)
    owner = UserChoiceField(label=_("Owner's login"), queryset=User.objects.none(), required=False)
    due = forms.DateField(
        label=_("Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the decision's deadline"),
    )

    def __init__(self, *args: Any, owners: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners is not None:
            cast(UserChoiceField, self.fields["owner"]).queryset = owners

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("title") and (data.get("owner") or data.get("due")):
            raise ValidationError({"title": _("Name the action, or leave the whole row empty.")})
        return data


ActionFormSet = forms.formset_factory(ActionForm, extra=3, max_num=10, validate_max=True)


class DoneForm(forms.Form):
    result = forms.CharField(
        label=_("What was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class VerifyForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[("accept", _("Accept")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when refusing: what is still missing"),
    )


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Close-out note"), max_length=2000, required=False)
