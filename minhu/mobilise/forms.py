"""Forms of the call-out and care-visit pages (phone first: few fields, large controls)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import Min, QuerySet
from django.utils.translation import gettext_lazy as _

from minhu.grid.models import Unit
from minhu.mobilise.models import CallOutMember, CallOutTarget, CareVisit


class UnitChoiceField(forms.ModelChoiceField[Unit]):
    """Units indented by their depth below the top of the list."""

    top_depth = 0

    def label_from_instance(self, obj: Unit) -> str:
        return "　" * max(0, obj.depth - self.top_depth) + f"{obj.name} ({obj.get_kind_display()})"


class MemberChoiceField(forms.ModelChoiceField[CallOutMember]):
    def label_from_instance(self, obj: CallOutMember) -> str:
        return obj.party_member.person.name


class CallOutForm(forms.Form):
    unit = UnitChoiceField(
        label=_("For"), queryset=Unit.objects.none(), help_text=_("Every party member under it is called on")
    )
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("What is needed"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Where to gather, when, what to bring"),
    )
    head_count = forms.IntegerField(label=_("People wanted"), min_value=1, max_value=100000, initial=10)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(UnitChoiceField, self.fields["unit"])
        field.queryset = units.exclude(kind=Unit.Kind.BLOCK)
        first = field.queryset.first()
        if first is not None:
            field.top_depth = field.queryset.aggregate(top=Min("depth"))["top"] or 0
            if not self.is_bound:
                self.initial["unit"] = first.pk


class TargetForm(forms.Form):
    name = forms.CharField(label=_("Target"), max_length=100, help_text=_("e.g. field roads cleared"))
    unit_label = forms.CharField(label=_("Unit of measure"), max_length=20, help_text=_("e.g. km"))
    goal = forms.DecimalField(
        label=_("Goal"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2, help_text=_("e.g. 21")
    )


TargetFormSet = forms.formset_factory(TargetForm, extra=3, max_num=10, validate_max=True)


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", _("I am coming")), ("decline", _("I cannot come"))])


class RecordAnswerForm(forms.Form):
    """The organiser records an answer taken on the phone (members without a login, or who called)."""

    member = MemberChoiceField(label=_("Member"), queryset=CallOutMember.objects.none())
    answer = forms.ChoiceField(
        label=_("Answer"), choices=[("accept", _("Coming")), ("decline", _("Cannot come"))]
    )

    def __init__(self, *args: Any, members: QuerySet[CallOutMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(MemberChoiceField, self.fields["member"])
        field.queryset = members


class TaskForm(forms.Form):
    assignee = MemberChoiceField(label=_("Member"), queryset=CallOutMember.objects.none())
    text = forms.CharField(label=_("Task"), max_length=200)

    def __init__(self, *args: Any, members: QuerySet[CallOutMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(MemberChoiceField, self.fields["assignee"])
        field.queryset = members


class ReportForm(forms.Form):
    """Hours, an amount for each target, a note. Organisers also choose whose work it was (or the squad's)."""

    member = MemberChoiceField(
        label=_("Whose work"),
        queryset=CallOutMember.objects.none(),
        required=False,
        empty_label=_("The whole squad"),
    )
    hours = forms.DecimalField(
        label=_("Hours worked"),
        min_value=Decimal(0),
        max_digits=7,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        targets: list[CallOutTarget],
        members: QuerySet[CallOutMember] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets
        if members is None:
            del self.fields["member"]
        else:
            field = cast(MemberChoiceField, self.fields["member"])
            field.queryset = members
        for t in targets:
            self.fields[f"amount_{t.pk}"] = forms.DecimalField(
                label=f"{t.name} ({t.unit_label})",
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=2,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            )
        self.order_fields(["member", "hours", *[f"amount_{t.pk}" for t in targets], "note"])

    def amounts(self) -> dict[int, Decimal]:
        return {
            t.pk: self.cleaned_data[f"amount_{t.pk}"]
            for t in self.targets
            if self.cleaned_data.get(f"amount_{t.pk}") is not None
        }

    def amount_fields(self) -> list[forms.BoundField]:
        return [self[f"amount_{t.pk}"] for t in self.targets]


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Closing note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done, what is left, who to thank"),
    )


class VisitForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did it go?"), choices=CareVisit.Outcome.choices, widget=forms.RadioSelect
    )
    visited_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now"),
    )
    needs = forms.CharField(
        label=_("Needs found"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Medicine, repairs, heating, company…"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up = forms.CharField(
        label=_("Follow-up"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What should be done next; it can become an appeal"),
    )


class CarePlanForm(forms.Form):
    cadence_days = forms.IntegerField(label=_("Visit every (days)"), min_value=1, max_value=365, initial=7)
    note = forms.CharField(
        label=_("Reason for care"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Personal data: shown only to cadres who may see it"),
    )
