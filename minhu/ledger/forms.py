"""Forms of the staff pages. They parse what was typed; the rules (money, maker ≠ checker, closed periods,
voucher content) are the services', whose refusals come back onto the fields they name."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.accounts.models import User
from minhu.ledger.models import Account, Organisation
from minhu.ledger.selectors import keepers_of
from minhu.ledger.services import VOUCHER_TYPES, VoucherFile, voucher_read

# The services name the date `day`; the forms call it `date`, as the screens do.
_FIELD_OF = {"day": "date"}


class ServiceErrorsMixin:
    """Puts a service's ValidationError onto the fields it names (the rest above the form)."""

    def add_service_errors(self, error: ValidationError) -> None:
        form: Any = self
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            field = _FIELD_OF.get(key, key)
            form.add_error(field if field in form.fields else None, messages)


def _date_input() -> forms.DateInput:
    # A phone's date picker reads and writes ISO dates, whatever the language's display format.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class VoucherField(forms.FileField):
    """Any number of files (photos taken on the phone, scans), read into VoucherFiles; what they are is
    decided by the service from their content."""

    def __init__(self, **kwargs: Any) -> None:
        accept = ",".join(VOUCHER_TYPES)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[VoucherFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        out = []
        for f in files:
            super().clean(f, initial)
            try:
                out.append(voucher_read(name=f.name or "", size=f.size, f=f))
            except ValidationError as e:
                raise ValidationError(e.message_dict["vouchers"]) from None
        return out


class AccountField(forms.ModelChoiceField[Account]):
    def label_from_instance(self, obj: Account) -> str:
        return f"{obj.code} {obj.name} · {obj.get_klass_display()}"


class CheckerField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        name = obj.display_name or obj.username
        return f"{name} ({obj.username})" if obj.display_name else name


def _checker_field() -> CheckerField:
    return CheckerField(
        label=_("Checker"),
        queryset=User.objects.none(),
        help_text=_("Someone other than you, who checked the voucher and the amount."),
    )


class _KeyedForm(ServiceErrorsMixin, forms.Form):
    """A form with a hidden token: the same submission sent twice is recognised by the service."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, organisation: Organisation, maker: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.maker = maker
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
            self.initial.setdefault("date", timezone.localdate())
        checker = self.fields["checker"]
        assert isinstance(checker, CheckerField)  # noqa: S101 -- declared below
        # Everyone who may keep these accounts is a valid answer (so that choosing oneself is refused by the
        # service with its own message); the maker is simply not offered.
        checker.queryset = keepers_of(organisation)
        maker_pk = str(getattr(maker, "pk", ""))
        checker.widget.choices = [
            (value, label) for value, label in ModelChoiceIterator(checker) if str(value) != maker_pk
        ]


class EntryForm(_KeyedForm):
    account = AccountField(label=_("Account"), queryset=Account.objects.none())
    date = forms.DateField(label=_("Date"), widget=_date_input())
    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=20,
        help_text=_("Exact to the fen, e.g. 1234.50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    counterparty = forms.CharField(label=_("Counterparty"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), max_length=300)
    checker = _checker_field()
    vouchers = VoucherField(
        label=_("Vouchers"),
        required=False,
        help_text=_("Photos or PDFs of receipts and invoices, up to 10 MB each."),
    )

    field_order = ["account", "date", "amount", "counterparty", "description", "checker", "vouchers"]

    def __init__(self, *args: Any, organisation: Organisation, maker: Any, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, maker=maker, **kwargs)
        account = self.fields["account"]
        assert isinstance(account, AccountField)  # noqa: S101 -- declared above
        account.queryset = Account.objects.filter(organisation=organisation).order_by("code")


class ReverseForm(_KeyedForm):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    date = forms.DateField(label=_("Date of the correction"), widget=_date_input())
    checker = _checker_field()

    field_order = ["reason", "date", "checker"]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("An .xlsx or .csv file with the template's columns."))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Upload an .xlsx or .csv file."))
        return f


class ObjectionForm(forms.Form):
    """A resident's objection to one line of a published statement (no login needed)."""

    text = forms.CharField(
        label=_("What is wrong with this line?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
    )
    caller_name = forms.CharField(label=_("Your name"), required=False, max_length=50)
    caller_phone = forms.CharField(
        label=_("Your phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("So that the checker can call you back"),
    )
    anonymous = forms.BooleanField(label=_("Object anonymously"), required=False)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4().hex
