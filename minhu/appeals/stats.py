"""Statistics, monthly rankings and the export of the filtered list of appeals: reads for staff, aggregated in
the database. The list itself is `selectors.appeal_list`.

Every function starts from `appeals_visible_to(user)` (the one scope rule) and from units the user sees
(`units_visible_to`), so a figure never counts an appeal the user could not open. Counts and rates are
computed with `Count(..., filter=Q(...))` grouped by one key per query (a unit's branch, a category, a month
of the trend by its local boundaries, the street or village of the ranking): the number of queries does not
grow with the number of appeals, units or categories. Rate definitions are in `rates.py` and docs/appeals.md.

The ranking rule (docs/appeals.md, "Statistics and rankings"): units of the level (streets, or villages and
communities) in the user's scope, by composite score, highest first; equal composites share a rank
("1, 2, 2, 4"); units with appeals but no composite yet (nothing rated, or nothing to respond to) come next
without a rank; units with no appeals in the month come last. A rate without a denominator is None ("—").
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, Category, Channel, Kind, State, overdue_q
from minhu.appeals.rates import Rates, rates_by, rates_for
from minhu.appeals.selectors import appeals_visible_to
from minhu.core.masking import mask_name, mask_phone
from minhu.core.types import Viewer
from minhu.grid.models import Unit, path_ids, subtree_q
from minhu.grid.selectors import REVEAL_ROLES, tree_roots, units_visible_to

NO_APPEALS = Rates(
    appeals=0,
    response_base=0,
    responded_on_time=0,
    rated=0,
    resolved_ok=0,
    satisfied=0,
    reopens=0,
    returns=0,
    transfers=0,
    median_hours_to_close=None,
)

TREND_MONTHS = 12

# The levels of the monthly ranking and the unit kinds ranked at each (the appeal keeps its street and its
# village or community, copied at intake, so a ranking groups by one indexed column).
LEVEL_KINDS: dict[str, tuple[str, ...]] = {
    "street": (Unit.Kind.STREET,),
    "village": (Unit.Kind.VILLAGE, Unit.Kind.COMMUNITY),
}


# --- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days from `start` to `end`, both included (times are compared in the site's zone)."""

    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def month_of(cls, day: date) -> Period:
        return cls.month(day.year, day.month)

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self == Period.month_of(self.start)

    def __str__(self) -> str:
        if self.is_month:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    def params(self) -> dict[str, str]:
        """The query-string parameters that select this period again."""
        if self.is_month:
            return {"period": f"{self.start:%Y-%m}"}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def add_months(day: date, n: int) -> date:
    """The first day of the month `n` months after `day`'s month."""
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def previous_month(today: date | None = None) -> Period:
    return Period.month_of(add_months(today or timezone.localdate(), -1))


def _in_period(qs: QuerySet[Appeal], period: Period) -> QuerySet[Appeal]:
    return qs.filter(submitted_at__gte=period.since, submitted_at__lt=period.until)


# --- shared pieces ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """One line of a count: a value of a field, its label, how many appeals."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class RateRow:
    """The rates of one unit, category or month; `rates` is NO_APPEALS when there were none."""

    key: Any
    label: str
    rates: Rates
    unit: Unit | None = None
    rank: int | None = None


def _tallies(qs: QuerySet[Appeal], field: str, choices: Iterable[tuple[str, Any]]) -> list[Tally]:
    """Counts per value of `field`, every choice listed (zeros too), in one grouped query."""
    counts = dict(qs.order_by().values_list(field).annotate(n=Count("id")))
    return [Tally(value=value, label=str(label), count=int(counts.get(value, 0))) for value, label in choices]


def _branch(units: list[Unit], itself: Unit | None) -> Case:
    """Which of `units` (disjoint subtrees) an appeal lies under, as their pk; `itself` when it sits at that
    unit directly; NULL for none of them. Lets one grouped query give the rates of every branch."""
    whens: list[When] = []
    if itself is not None:
        whens.append(When(unit_id=itself.pk, then=Value(itself.pk)))
    whens.extend(When(subtree_q("unit__path", u.path), then=Value(u.pk)) for u in units)
    return Case(*whens, default=Value(None), output_field=IntegerField())


def default_unit(user: Viewer) -> Unit | None:
    """The top of the user's scope when it is one unit (a street for street staff, a village for its
    cadres); None when they see several trees or everything."""
    roots = tree_roots(user)
    return roots[0] if len(roots) == 1 else None


def ancestors_in_scope(user: Viewer, unit: Unit) -> list[Unit]:
    """The units above `unit` that the user may also open, from the top down (for the breadcrumb)."""
    ids = path_ids(unit.path)[:-1]
    if not ids:
        return []
    return list(units_visible_to(user).filter(pk__in=ids).order_by("depth"))


# --- unit statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitStats:
    unit: Unit | None
    period: Period
    category: Category | None
    totals: Rates
    overdue: int  # of these appeals, how many are overdue now (`models.overdue_q`, the list's "overdue only")
    by_state: list[Tally]
    by_kind: list[Tally]
    by_channel: list[Tally]
    by_category: list[RateRow]
    by_branch: list[RateRow]
    trend: list[RateRow]  # key: the first day of each month, oldest first


def unit_stats(
    user: Viewer, *, unit: Unit | None, period: Period, category: Category | None = None
) -> UnitStats:
    """Counts and rates of the appeals under `unit` (or everything the user sees) submitted in `period`:
    by state, kind, channel, category and by the units directly under `unit` (or the user's top units), and
    the trend of the twelve months ending with the period's last month. A constant number of queries.

    Counts by kind, channel and category leave out repeats linked to an open matter, as the rates do; the
    count by state shows them on their own line (merged)."""
    base = appeals_visible_to(user)
    if unit is not None:
        base = base.filter(subtree_q("unit__path", unit.path))
    if category is not None:
        base = base.filter(category=category)
    qs = _in_period(base, period)
    counted = qs.exclude(state=State.MERGED)

    by_category = rates_by(counted, "category")
    names = {c.pk: c for c in Category.objects.filter(pk__in=[k for k in by_category if k is not None])}
    category_rows = sorted(
        (
            RateRow(key=k, label=f"{names[k].code} {names[k].name}", rates=r)
            for k, r in by_category.items()
            if k in names
        ),
        key=lambda row: (-row.rates.appeals, row.label),
    )

    if unit is not None:
        branches = list(units_visible_to(user).filter(parent=unit).order_by("code", "name"))
    else:
        branches = tree_roots(user)
    by_branch = rates_by(qs.annotate(branch=_branch(branches, unit)), "branch")
    branch_rows: list[RateRow] = []
    if unit is not None and unit.pk in by_branch:
        branch_rows.append(
            RateRow(
                key=unit.pk,
                label=_("%(unit)s itself") % {"unit": unit.name},
                rates=by_branch[unit.pk],
                unit=None,
            )
        )
    branch_rows.extend(
        RateRow(key=u.pk, label=u.name, rates=by_branch.get(u.pk, NO_APPEALS), unit=u) for u in branches
    )
    if None in by_branch:
        branch_rows.append(
            RateRow(key=None, label=_("Not under these units (or not located)"), rates=by_branch[None])
        )

    first = add_months(period.end, -(TREND_MONTHS - 1))
    months = [add_months(first, i) for i in range(TREND_MONTHS)]
    span = Period(first, Period.month_of(period.end).end)
    monthly = rates_by(_in_period(base, span).annotate(month=_month_index(months)), "month", medians=False)
    trend = [
        RateRow(key=m, label=f"{m:%Y-%m}", rates=monthly.get(i, NO_APPEALS)) for i, m in enumerate(months)
    ]

    return UnitStats(
        unit=unit,
        period=period,
        category=category,
        totals=rates_for(qs),
        overdue=qs.filter(overdue_q()).count(),
        by_state=_tallies(qs, "state", State.choices),
        by_kind=_tallies(counted, "kind", Kind.choices),
        by_channel=_tallies(counted, "channel", Channel.choices),
        by_category=category_rows,
        by_branch=branch_rows,
        trend=trend,
    )


def _month_index(months: list[date]) -> Case:
    """Which of `months` (consecutive first days) an appeal was submitted in, as its index, for appeals
    already filtered to their span: a CASE over the local month boundaries. The database compares
    timestamps; `TruncMonth` would convert each row to local time (on SQLite in a Python function, once per
    appeal) and leave the planner guessing the number of groups."""
    return Case(
        *(When(submitted_at__lt=Period.month_of(m).until, then=Value(i)) for i, m in enumerate(months)),
        default=Value(None),
        output_field=IntegerField(),
    )


# --- monthly ranking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranking:
    level: str
    month: Period
    within: Unit | None
    rows: list[RateRow]


def default_level(user: Viewer) -> str:
    """District staff (and anyone who sees a whole district) rank streets; street staff rank villages."""
    roots = tree_roots(user)
    if any(r.kind == Unit.Kind.DISTRICT for r in roots):
        return "street"
    return "village"


def ranking(user: Viewer, *, level: str, month: Period, within: Unit | None = None) -> Ranking:
    """The units of `level` in the user's scope (under `within` if given), ranked by composite score for
    `month` (see the module docstring for the rule). Three queries besides the scope's."""
    units_qs = units_visible_to(user).filter(kind__in=LEVEL_KINDS[level])
    if within is not None:
        units_qs = units_qs.filter(subtree_q("path", within.path))
    units = list(units_qs.order_by("code", "name"))
    qs = _in_period(appeals_visible_to(user), month).filter(**{f"{level}__in": units_qs.values("pk")})
    by_unit = rates_by(qs, level)
    rows = [RateRow(key=u.pk, label=u.name, rates=by_unit.get(u.pk, NO_APPEALS), unit=u) for u in units]
    return Ranking(level=level, month=month, within=within, rows=rank_rows(rows))


def rank_rows(rows: list[RateRow]) -> list[RateRow]:
    """Order by composite (highest first, equal composites by unit code) and number them "1, 2, 2, 4";
    then the units with appeals but no composite, then those without appeals, neither numbered."""

    def group(row: RateRow) -> int:
        if row.rates.composite is not None:
            return 0
        return 1 if row.rates.appeals else 2

    def code(row: RateRow) -> str:
        return row.unit.code if row.unit is not None else row.label

    ordered = sorted(rows, key=lambda r: (group(r), -(r.rates.composite or 0), code(r)))
    ranked: list[RateRow] = []
    previous = None
    rank = 0
    for position, row in enumerate(ordered, start=1):
        composite = row.rates.composite
        if composite is None:
            ranked.append(row)
            continue
        if composite != previous:
            rank = position
            previous = composite
        ranked.append(RateRow(key=row.key, label=row.label, rates=row.rates, unit=row.unit, rank=rank))
    return ranked


# --- the list's export ----------------------------------------------------------------------------


def can_export_callers(user: Viewer) -> bool:
    """Who may take callers' full names and phones out in an export (and only when they ask, which is
    recorded): administrators, and cadres of village level and above — the roles that may reveal a
    resident's contact data in the grid. Everyone else gets them masked."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or bool(user.roles() & {r.value for r in REVEAL_ROLES})


def list_header() -> list[str]:
    return [
        _("Tracking code"),
        _("Submitted at"),
        _("Kind"),
        _("Channel"),
        _("Category code"),
        _("Category"),
        _("Street"),
        _("Village or community"),
        _("Unit"),
        _("Address"),
        _("Matter"),
        _("State"),
        _("Handler"),
        _("Department"),
        _("Respond by"),
        _("Resolve by"),
        _("Overdue"),
        _("Responded at"),
        _("Resolved at"),
        _("Closed at"),
        _("Resolved (caller's view)"),
        _("Satisfaction"),
        _("Reopened"),
        _("Returned"),
        _("Transferred"),
        _("Caller"),
        _("Caller's phone"),
    ]


def _local(value: datetime | None) -> datetime | None:
    """A naive local time for a spreadsheet cell (Excel has no time zones)."""
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def list_rows(
    qs: QuerySet[Appeal], *, full_callers: bool, now: datetime | None = None
) -> Iterator[list[Any]]:
    """The rows of the export, streamed from the database in chunks. Callers' names and phones are masked
    unless `full_callers` (an anonymous caller's are empty either way)."""
    now = now or timezone.now()
    yes, no = _("yes"), _("no")
    for a in qs.iterator(chunk_size=2000):
        yield [
            a.tracking_code,
            _local(a.submitted_at),
            a.get_kind_display(),
            a.get_channel_display(),
            a.category.code,
            a.category.name,
            a.street.name if a.street else "",
            a.village.name if a.village else "",
            a.unit.name if a.unit else "",
            a.address,
            a.description,
            a.get_state_display(),
            str(a.handler) if a.handler else "",
            a.department,
            _local(a.response_due_at),
            _local(a.resolution_due_at),
            yes if a.is_overdue(now) else no,
            _local(a.responded_at),
            _local(a.resolved_at),
            _local(a.closed_at),
            "" if a.resolved_ok is None else (yes if a.resolved_ok else no),
            a.get_satisfaction_display() if a.satisfaction else "",
            a.reopen_count,
            a.return_count,
            a.transfer_count,
            a.caller_name if full_callers else mask_name(a.caller_name),
            a.caller_phone if full_callers else mask_phone(a.caller_phone),
        ]


# --- tables for export -----------------------------------------------------------------------------


def rates_header(first: str) -> list[str]:
    return [
        first,
        _("Appeals"),
        _("Response rate (%)"),
        _("Resolution rate (%)"),
        _("Satisfaction rate (%)"),
        _("Composite"),
        _("Reopened"),
        _("Returned"),
        _("Transferred"),
        _("Median hours to close"),
    ]


def rates_cells(r: Rates) -> list[Any]:
    """A rate without a denominator is an empty cell, never 0."""
    return [
        r.appeals,
        r.response_rate,
        r.resolution_rate,
        r.satisfaction_rate,
        r.composite,
        r.reopens,
        r.returns,
        r.transfers,
        r.median_hours_to_close,
    ]
