"""Statements and verification of the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum

from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.core.types import Viewer
from minhu.grid.selectors import scope_for, users_with_scope_over
from minhu.ledger.models import Account, Allocation, Disclosure, Entry, Organisation, Programme, Voucher

# Who keeps accounts: village and community cadres and the staff above them, within their scope.
KEEPER_ROLES = (Role.VILLAGE_CADRE, Role.STREET_STAFF, Role.DISTRICT_STAFF)


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)).quantize(Decimal('0.01'))}"


def statement_for(organisation: Organisation, start: date, end: date) -> dict[str, Any]:
    """Income by account, costs by account, profit or loss, maintenance spending and fund movements, for
    entries dated in [start, end]. Amounts are strings with two decimals (exact, JSON-safe)."""
    rows = (
        Entry.objects.filter(organisation=organisation, date__gte=start, date__lte=end)
        .values("account__code", "account__name", "account__klass", "account__is_maintenance")
        .annotate(total=Sum("amount"))
        .order_by("account__code")
    )
    lines: dict[str, list[dict[str, str]]] = {"income": [], "cost": [], "fund": []}
    totals = {"income": Decimal(0), "cost": Decimal(0), "fund": Decimal(0)}
    maintenance = Decimal(0)
    for r in rows:
        klass = r["account__klass"]
        lines[klass].append(
            {"code": r["account__code"], "name": r["account__name"], "amount": _money(r["total"])}
        )
        totals[klass] += r["total"]
        if r["account__is_maintenance"]:
            maintenance += r["total"]
    return {
        "organisation": organisation.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "income": lines["income"],
        "costs": lines["cost"],
        "funds": lines["fund"],
        "total_income": _money(totals["income"]),
        "total_costs": _money(totals["cost"]),
        "profit_or_loss": _money(totals["income"] - totals["cost"]),
        "maintenance": _money(maintenance),
        "fund_movement": _money(totals["fund"]),
    }


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_broken_seq: int | None = None
    broken_disclosures: tuple[int, ...] = ()

    def period_of_first_break(self) -> Disclosure | None:
        if not self.broken_disclosures:
            return None
        return Disclosure.objects.get(pk=self.broken_disclosures[0])


def ledger_verify(organisation: Organisation) -> Verification:
    """Recompute the chain from the first entry, and every disclosure's checksum from the entries. Names the
    first entry whose stored data no longer matches its hash (or whose link to the previous one is broken),
    and every disclosure whose figures or chain position no longer match."""
    from minhu.ledger.services import GENESIS, checksum_of

    prev = GENESIS
    first_broken: int | None = None
    count = 0
    hashes: dict[int, str] = {}
    qs = Entry.objects.filter(organisation=organisation).select_related("account", "reverses").order_by("seq")
    for entry in qs.iterator(chunk_size=2000):
        count += 1
        expected_seq = count
        if first_broken is None and (
            entry.seq != expected_seq or entry.prev_hash != prev or entry.compute_hash() != entry.hash
        ):
            first_broken = entry.seq
        hashes[entry.seq] = entry.hash
        prev = entry.hash
    broken = []
    for d in Disclosure.objects.filter(organisation=organisation).order_by("start"):
        recomputed = statement_for(organisation, d.start, d.end)
        chain_ok = d.last_seq == 0 or hashes.get(d.last_seq) == d.chain_hash
        after_break = first_broken is not None and d.last_seq >= first_broken
        if (
            recomputed != d.statement
            or checksum_of(d.statement, d.chain_hash) != d.checksum
            or not chain_ok
            or after_break
        ):
            broken.append(d.pk)
    return Verification(
        ok=first_broken is None and not broken,
        entries=count,
        first_broken_seq=first_broken,
        broken_disclosures=tuple(broken),
    )


# --- scope: who keeps which accounts ----------------------------------------------------------------


def can_keep_accounts(user: Viewer) -> bool:
    """True if `user` does the kind of work that keeps accounts (a cadre, street or district staff, or an
    administrator); which organisations is `organisations_kept_by`."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(user.has_role(r) for r in KEEPER_ROLES)


def organisations_kept_by(user: Viewer) -> QuerySet[Organisation]:
    """The organisations whose accounts `user` keeps: those linked to a unit in the user's scope (the grid's
    one rule). An organisation not yet linked to a unit is kept by administrators only."""
    if not can_keep_accounts(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(scope_for(user).unit_q("unit__")).select_related("unit")


def keepers_of(organisation: Organisation) -> QuerySet[User]:
    """The active logins who may keep (post or check) `organisation`'s accounts: the inverse of
    `organisations_kept_by`, for the checker's list."""
    active = User.objects.filter(is_active=True)
    if organisation.unit is None:
        return active.filter(is_superuser=True).order_by("username")
    roles = Q(is_superuser=True) | Q(groups__name__in=[r.value for r in KEEPER_ROLES])
    in_scope = users_with_scope_over(organisation.unit)
    return active.filter(roles, pk__in=in_scope.values("pk")).distinct().order_by("username")


def recent_entries(organisation: Organisation, limit: int = 50) -> list[Entry]:
    """The organisation's latest entries for its keepers, newest first, with what each one reverses or is
    reversed by and its vouchers (without their content): three queries."""
    return list(
        Entry.objects.filter(organisation=organisation)
        .select_related("account", "maker", "checker", "reverses", "reversed_by")
        .prefetch_related(Prefetch("vouchers", queryset=Voucher.objects.defer("content").order_by("pk")))
        .order_by("-seq")[:limit]
    )


def accounts_of(organisation: Organisation) -> list[Account]:
    return list(Account.objects.filter(organisation=organisation))


def published_entries(organisation: Organisation) -> QuerySet[Entry]:
    """Entries dated up to the end of the last disclosure (the rest is not yet published)."""
    last_end = (
        Disclosure.objects.filter(organisation=organisation).order_by("-end").values_list("end", flat=True)
    )
    end = last_end.first()
    qs = Entry.objects.filter(organisation=organisation).select_related("account", "reverses").order_by("seq")
    return qs.filter(date__lte=end) if end else qs.none()


@dataclass(frozen=True)
class FundLine:
    organisation: Organisation
    allocated: Decimal
    spent: Decimal

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.spent


def programme_year(programme: Programme, year: int) -> list[FundLine]:
    """Per organisation: allocated in `year` and spent (entries on the programme's accounts dated in `year`),
    in two grouped queries."""
    allocated = dict(
        Allocation.objects.filter(programme=programme, year=year)
        .values("organisation")
        .annotate(total=Sum("amount"))
        .values_list("organisation", "total")
    )
    spent = dict(
        Entry.objects.filter(account__programme=programme, date__year=year)
        .values("organisation")
        .annotate(total=Sum("amount"))
        .values_list("organisation", "total")
    )
    orgs = Organisation.objects.in_bulk(set(allocated) | set(spent))
    return sorted(
        (FundLine(orgs[pk], allocated.get(pk) or Decimal(0), spent.get(pk) or Decimal(0)) for pk in orgs),
        key=lambda line: line.organisation.name,
    )


def villages_below_minimum(programme: Programme, year: int) -> list[tuple[Organisation, Decimal]]:
    """Villages whose allocation from `programme` in `year` is below the programme's minimum (villages with
    nothing at all included)."""
    if programme.minimum_per_village is None:
        return []
    allocated = dict(
        Allocation.objects.filter(programme=programme, year=year)
        .values("organisation")
        .annotate(total=Sum("amount"))
        .values_list("organisation", "total")
    )
    villages = Organisation.objects.filter(kind=Organisation.Kind.VILLAGE).order_by("name")
    return [
        (v, allocated.get(v.pk) or Decimal(0))
        for v in villages
        if (allocated.get(v.pk) or Decimal(0)) < programme.minimum_per_village
    ]


def programme_totals(years: list[int]) -> dict[str, dict[int, Decimal]]:
    """Multi-year totals allocated per programme: {programme name: {year: total}}, one query."""
    out: dict[str, dict[int, Decimal]] = {}
    for name, year, total in (
        Allocation.objects.filter(year__in=years)
        .values("programme__name", "year")
        .annotate(total=Sum("amount"))
        .values_list("programme__name", "year", "total")
    ):
        out.setdefault(name, {})[year] = total
    return out
