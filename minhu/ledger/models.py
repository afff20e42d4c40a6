"""Accounts people can trust: entries are appended, chained by hash, closed into frozen disclosures."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.models import AppendOnlyModel, AppendOnlyQuerySet

# Addresses under /sunshine/ that are pages of their own, not organisations.
RESERVED_SLUGS = frozenset({"staff", "funds"})


def validate_public_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("This address is reserved; choose another."), code="reserved")


class Organisation(models.Model):
    """Whoever keeps a ledger: an estate (its property company), a village (its collective economic
    organisation), a street office, a district. Linked to its grid unit: the staff whose scope covers that
    unit keep its accounts (an organisation without a unit is kept by administrators only)."""

    class Kind(models.TextChoices):
        ESTATE = "estate", _("Estate")
        VILLAGE = "village", _("Village")
        STREET = "street", _("Street")
        DISTRICT = "district", _("District")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("public address"), max_length=60, unique=True, validators=[validate_public_slug]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The foreign key's index serves the scope join (organisations whose unit lies in a subtree).
    unit = models.ForeignKey(
        "grid.Unit",
        verbose_name=_("grid unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_organisations",
        help_text=_("Staff whose scope covers this unit keep the accounts."),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """A line of the accounts: an income, a cost or a fund, with a class that statements group by."""

    class Klass(models.TextChoices):
        INCOME = "income", _("Income")
        COST = "cost", _("Cost")
        FUND = "fund", _("Fund")

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    klass = models.CharField(_("class"), max_length=10, choices=Klass.choices)
    # Maintenance spending is shown on its own line of every statement.
    is_maintenance = models.BooleanField(_("maintenance of common parts"), default=False)
    # Spending from a party-building programme is booked on an account tied to it.
    programme = models.ForeignKey(
        "Programme", verbose_name=_("programme"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["organisation", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="ledger_account_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EntryQuerySet(AppendOnlyQuerySet["Entry"]):
    message = "ledger entries are append-only: post a reversing entry"


class Entry(AppendOnlyModel):
    """One posting. Invariants: never updated or deleted (model, queryset and a database trigger refuse);
    `seq` counts 1, 2, 3… per organisation; `hash` = SHA-256 of the entry's canonical text and the previous
    entry's hash, so changing any stored entry breaks the chain from there on; the maker and the checker are
    different people; a correction is a new entry that `reverses` the wrong one, with a reason."""

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT)
    seq = models.PositiveIntegerField(_("number"))
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    counterparty = models.CharField(_("counterparty"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300)
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("maker"), on_delete=models.PROTECT, related_name="+"
    )
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checker"), on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The token of the form (or client) that posted it: a retried submission finds this entry instead of
    # posting again. Not part of the hash: it says how the entry arrived, not what it records. Nullable
    # rather than "" by default: SQLite adds a column with no default in place, while a default would
    # rebuild ledger_entry and drop its append-only trigger.
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=64, null=True, blank=True, editable=False
    )

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["organisation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "seq"], name="ledger_entry_seq_unique"),
            models.CheckConstraint(
                condition=~models.Q(maker=models.F("checker")), name="ledger_maker_not_checker"
            ),
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_not_zero"),
            # A partial unique index: added without rebuilding the table (SQLite keeps its triggers).
            # Also serves the retry lookup: Entry.objects.filter(organisation=..., idempotency_key=...).
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="ledger_entry_idempotency_key",
            ),
        ]
        indexes = [
            # statements: an organisation's entries in a date range
            models.Index(fields=["organisation", "date"], name="ledger_entry_org_date"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.date} {self.amount}"

    def canonical(self) -> str:
        """The text the hash covers: every field a reader relies on, in a fixed format."""
        amount = Decimal(self.amount).quantize(Decimal("0.01"))
        reverses = self.reverses.seq if self.reverses_id and self.reverses else ""
        return "|".join(
            [
                str(self.organisation_id),
                str(self.seq),
                self.account.code,
                self.date.isoformat(),
                f"{amount}",
                self.counterparty,
                self.description,
                str(self.maker_id),
                str(self.checker_id),
                str(reverses),
                self.reason,
                self.prev_hash,
            ]
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()


class VoucherQuerySet(AppendOnlyQuerySet["Voucher"]):
    message = "vouchers are append-only: attach another one"


class Voucher(AppendOnlyModel):
    """A scan or photo of the paper behind an entry (receipt, invoice, contract), kept in the database so it
    is in every backup and in the transaction of its entry. Invariants: never changed or removed (a wrong
    voucher stays, with the entry's reversal beside it); `content_type` is what the content is, sniffed
    from its bytes, never the name or what the browser said; `sha256` is the digest of `content`, recorded
    in the audit event as well."""

    entry = models.ForeignKey(
        Entry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="vouchers"
    )
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("content"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = VoucherQuerySet.as_manager()

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["entry", "pk"]
        # An entry's vouchers: Voucher.objects.filter(entry=...) uses the foreign key's index.

    def __str__(self) -> str:
        return self.name


class Disclosure(models.Model):
    """A closed period (month, quarter, year): its statement frozen with the chain position and a checksum,
    published for anyone to see and check."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    statement = models.JSONField(_("statement"))
    last_seq = models.PositiveIntegerField(_("last entry"))
    chain_hash = models.CharField(_("chain hash"), max_length=64)
    checksum = models.CharField(_("checksum"), max_length=64)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["organisation", "-start", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period", "start"], name="ledger_disclosure_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"


class Programme(models.Model):
    """A party-building funding programme (党建工作经费, 示范点建设, 书记领航…), with an optional yearly
    minimum per village (the district's rule: at least 20,000 yuan a year of party-building funds)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    minimum_per_village = models.DecimalField(
        _("yearly minimum per village"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("funding programme")
        verbose_name_plural = _("funding programmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Allocation(models.Model):
    """Money a programme gives an organisation for a year (a village's budget, a grant to a demonstration
    site). Spending against it is the ledger entries of the organisation's accounts tied to the programme."""

    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-year", "programme", "organisation"]
        indexes = [
            # the yearly report: allocations of one year by programme
            models.Index(fields=["year", "programme"], name="ledger_alloc_year_prog"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_alloc_positive")]

    def __str__(self) -> str:
        return f"{self.programme} {self.organisation} {self.year}"


class Objection(models.Model):
    """A resident's objection to one line of a published statement. It is an appeal (kind report, category
    L01) dispatched to the checker of that line's latest entry in the period; this row ties the two, so the
    public page can say how many objections a statement has drawn and the checker sees what is disputed."""

    disclosure = models.ForeignKey(
        Disclosure, verbose_name=_("disclosure"), on_delete=models.PROTECT, related_name="objections"
    )
    account_code = models.CharField(_("account"), max_length=20)
    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.PROTECT, related_name="ledger_objection"
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        indexes = [models.Index(fields=["disclosure", "account_code"], name="ledger_objection_line")]

    def __str__(self) -> str:
        return f"{self.disclosure_id}:{self.account_code}"
