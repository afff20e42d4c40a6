"""The filters of the statistics, ranking and list pages (GET forms). Units are limited to the user's scope:
a unit outside it is an invalid choice, as if it did not exist."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import Category, Channel, Kind, State
from minhu.appeals.selectors import AppealFilter
from minhu.appeals.stats import Period
from minhu.core.types import Viewer
from minhu.grid.models import Unit
from minhu.grid.selectors import units_visible_to

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# The levels offered in the unit drop-down; a deeper unit (reached from a statistics page) is accepted and
# shown when chosen, but a district's thousands of areas and blocks are not listed.
LISTED_KINDS = [Unit.Kind.DISTRICT, Unit.Kind.STREET, Unit.Kind.VILLAGE, Unit.Kind.COMMUNITY]


class _ListedUnits(ModelChoiceIterator):
    def __init__(self, field: ScopedUnitField) -> None:
        super().__init__(field)
        self.queryset = field.listed


class ScopedUnitField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Any unit in the user's scope is valid; the drop-down lists those down to villages and communities,
    indented by depth, plus the one chosen."""

    iterator = _ListedUnits

    def __init__(self, user: Viewer, chosen: str | None, **kwargs: Any) -> None:
        visible = units_visible_to(user)
        listed = Q(kind__in=LISTED_KINDS)
        if chosen and chosen.isdigit():
            listed |= Q(pk=int(chosen))
        self.listed = visible.filter(listed).order_by("path")  # before super(): it builds the choices
        super().__init__(queryset=visible.order_by("path"), required=False, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        depth: int = obj.depth
        return "\u3000" * max(depth - 1, 0) + str(obj.name)


class MonthField(forms.CharField):
    """A month written YYYY-MM, cleaned to the Period of that month."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Period | None:
        value = super().clean(value)
        if not value:
            return None
        m = _MONTH.match(value.strip())
        if not m:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, for example 2026-03."), code="month")
        return Period.month(int(m.group(1)), int(m.group(2)))


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _choices(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class _RangeMixin:
    """Adds `from` and `to` (dates, both included): Python cannot name a class attribute `from`."""

    fields: dict[str, forms.Field]

    def _add_range(self) -> None:
        self.fields["from"] = _date_field(_("From"))
        self.fields["to"] = _date_field(_("To (included)"))

    def _check_range(self, cleaned: dict[str, Any]) -> None:
        since, until = cleaned.get("from"), cleaned.get("to")
        if since and until and since > until:
            raise forms.ValidationError(_("The start comes after the end."), code="range")


class StatsForm(_RangeMixin, forms.Form):
    period = MonthField(label=_("Month"))
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("code"), required=False, empty_label=_("All")
    )

    def __init__(self, user: Viewer, data: Any) -> None:
        super().__init__(data)
        self.fields["unit"] = ScopedUnitField(user, data.get("unit"), label=_("Unit"), empty_label=_("All"))
        self._add_range()
        self.order_fields(["unit", "period", "from", "to", "category"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_range(cleaned)
        return cleaned

    def chosen_period(self, today: date) -> Period:
        """The month given, else the range given (a missing end is today, a missing start the first of the
        end's month), else the current month."""
        d = self.cleaned_data
        if d.get("period"):
            period: Period = d["period"]
            return period
        since: date | None = d.get("from")
        until: date | None = d.get("to")
        if since is not None or until is not None:
            end = until if until is not None else max(today, since or today)
            return Period(since if since is not None else end.replace(day=1), end)
        return Period.month_of(today)


class RankingForm(forms.Form):
    month = MonthField(label=_("Month"))
    level = forms.ChoiceField(
        label=_("Rank"),
        required=False,  # the view fills in the default for the user's scope
        choices=[("street", _("Streets")), ("village", _("Villages and communities"))],
    )

    def __init__(self, user: Viewer, data: Any) -> None:
        super().__init__(data)
        self.fields["unit"] = ScopedUnitField(user, data.get("unit"), label=_("Within"), empty_label=_("All"))


class ListForm(_RangeMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Tracking code, last four digits of the phone, or a word"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=_choices(State.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_choices(Kind.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_choices(Channel.choices))
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("code"), required=False, empty_label=_("All")
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, user: Viewer, data: Any) -> None:
        super().__init__(data)
        self.fields["unit"] = ScopedUnitField(user, data.get("unit"), label=_("Unit"), empty_label=_("All"))
        self._add_range()
        self.order_fields(["q", "state", "kind", "channel", "category", "unit", "from", "to", "overdue"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_range(cleaned)
        return cleaned

    def filters(self) -> AppealFilter:
        """The filter for `selectors.appeal_list`: `from` and `to` are local days, both included; "overdue
        only" unticked does not narrow."""
        d = self.cleaned_data
        since: date | None = d.get("from")
        until: date | None = d.get("to")
        return AppealFilter(
            state=d.get("state") or "",
            kind=d.get("kind") or "",
            channel=d.get("channel") or "",
            category=d.get("category"),
            unit=d.get("unit"),
            submitted_from=Period(since, since).since if since is not None else None,
            submitted_before=Period(until, until).until if until is not None else None,
            overdue=True if d.get("overdue") else None,
            q=(d.get("q") or "").strip(),
        )
