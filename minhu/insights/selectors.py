"""The proactive analysis (docs/insights.md): hot spots, rising trends, seasonal recurrences and repeat
callers, and the ranked problem-of-the-month candidates with their evidence.

Everything is read from the monthly rollup (`MonthlyCell`, `CallerCell`) restricted to the units the user
sees (`scope_for(user).unit_q`), aggregated in the database: one grouped query gives, per place × category,
the month's count, the previous month's, the same month's in each of the last three years and the sums of
the twelve months ending with each of those; households per place come from one grouped query per depth
of the places shown; then one query each for callers, sample appeals, names and adoptions. The number of
queries does not depend on the number of appeals, units or categories (tested).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, Category, State
from minhu.appeals.stats import Period, add_months
from minhu.core.masking import mask_name, mask_phone
from minhu.grid.models import Household, Unit, path_ids, subtree_q
from minhu.grid.selectors import scope_for, tree_roots
from minhu.insights.models import Adoption, CallerCell, MonthlyCell, RollupMonth

LEVELS = ("street", "village", "grid")
# The rollup column that names the place at each level ("grid": the appeal's own unit).
PLACE_COLUMN = {"street": "street_id", "village": "village_id", "grid": "unit_id"}

RISE_FACTOR = 1.5  # rising: at least 1.5 × the comparison month
SEASON_YEARS = 3  # seasonal: the same month in each of the last three years
SEASON_FACTOR = 1.5  # "high" in a past month: 1.5 × that place × category's monthly mean of the year to it
HOT_TOP = 5  # hot spot: among the 5 highest by count or by count per 1,000 households
SAMPLES = 3  # sample appeals per candidate
LIMIT = 20  # candidates shown on the page (the export has up to EXPORT_LIMIT)
EXPORT_LIMIT = 500
ORDERS = ("score", "count", "rate")


def min_count() -> int:
    return int(settings.INSIGHTS_MIN_COUNT)


def repeat_min() -> int:
    return int(settings.INSIGHTS_REPEAT_MIN)


@dataclass(frozen=True)
class Caller:
    """A repeat caller, masked: the phone as 138****8000, or the household's door number."""

    label: str
    calls: int


@dataclass(frozen=True)
class Sample:
    tracking_code: str
    pk: int
    submitted_at: Any
    description: str
    caller: str
    phone: str
    state: str


@dataclass
class Candidate:
    place: Unit
    category: Category
    count: int
    previous: int
    last_year: int
    seasonal_years: int
    households: int
    repeat_callers: list[Caller] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    area: str = ""
    hot: bool = False
    adoption: Adoption | None = None
    adopted_before: list[str] = field(default_factory=list)

    @property
    def per_thousand(self) -> float | None:
        """Appeals per 1,000 households of the place (None when it has no households on record)."""
        return round(1000 * self.count / self.households, 1) if self.households else None

    @property
    def rising_previous(self) -> bool:
        return self.count >= min_count() and self.count >= RISE_FACTOR * self.previous

    @property
    def rising_year(self) -> bool:
        return self.count >= min_count() and self.count >= RISE_FACTOR * self.last_year

    @property
    def seasonal(self) -> bool:
        return self.seasonal_years > 0

    @property
    def score(self) -> float:
        """count + ½ × rise over the previous month + ½ × rise over the same month last year
        + ½ × count × (seasonal years / 3) + 2 × repeat callers (docs/insights.md)."""
        s = (
            self.count
            + 0.5 * max(0, self.count - self.previous)
            + 0.5 * max(0, self.count - self.last_year)
            + 0.5 * self.count * self.seasonal_years / SEASON_YEARS
            + 2 * len(self.repeat_callers)
        )
        return round(s, 1)

    @property
    def title(self) -> str:
        return f"{self.place.name} · {self.category.name}"

    def evidence(self, month: date) -> dict[str, Any]:
        return {
            "month": f"{month:%Y-%m}",
            "count": self.count,
            "previous": self.previous,
            "last_year": self.last_year,
            "seasonal_years": self.seasonal_years,
            "households": self.households,
            "per_thousand": self.per_thousand,
            "repeat_callers": len(self.repeat_callers),
            "samples": [s.tracking_code for s in self.samples],
        }


@dataclass
class Analysis:
    month: Period
    level: str
    within: Unit | None
    category: Category | None
    candidates: list[Candidate]
    total: int  # candidates before the limit
    callers: list[tuple[Unit, Category, Caller]]
    refreshed_at: Any


def default_level(user: Any) -> str:
    """One level below the top of the user's scope: streets for a district, villages for a street, grids
    for a village or community."""
    kinds = {r.kind for r in tree_roots(user)}
    if not kinds or Unit.Kind.DISTRICT in kinds:
        return "street"
    if Unit.Kind.STREET in kinds:
        return "village"
    return "grid"


def _cells(user: Any, within: Unit | None, category: Category | None, model: Any) -> Any:
    qs = model.objects.filter(scope_for(user).unit_q("unit__"))
    if within is not None:
        qs = qs.filter(subtree_q("unit__path", within.path))
    if category is not None:
        qs = qs.filter(category=category)
    return qs.order_by()


def analyse(
    user: Any,
    *,
    month: Period,
    level: str,
    within: Unit | None = None,
    category: Category | None = None,
    order: str = "score",
    limit: int = LIMIT,
) -> Analysis:
    """The candidates of `month` at `level` (place × category with at least INSIGHTS_MIN_COUNT appeals),
    with their evidence, ordered by `order` (score, count, or count per 1,000 households)."""
    m = month.start
    col = PLACE_COLUMN[level]
    floor = min_count()
    sums: dict[str, Any] = {
        "cur": Sum("appeals", filter=Q(month=m)),
        "prev": Sum("appeals", filter=Q(month=add_months(m, -1))),
    }
    for y in range(1, SEASON_YEARS + 1):
        same = add_months(m, -12 * y)
        sums[f"y{y}"] = Sum("appeals", filter=Q(month=same))
        sums[f"w{y}"] = Sum("appeals", filter=Q(month__gt=add_months(same, -12), month__lte=same))
    months = [m, add_months(m, -1)] + [add_months(m, -12 - i) for i in range(12 * SEASON_YEARS)]
    rows = list(
        _cells(user, within, category, MonthlyCell)
        .filter(month__in=months, **{f"{col}__isnull": False})
        .values(col, "category_id")
        .annotate(**sums)
        .filter(cur__gte=floor)
    )

    def seasonal_years(row: dict[str, Any]) -> int:
        n = 0
        for y in range(1, SEASON_YEARS + 1):
            c, w = row[f"y{y}"] or 0, row[f"w{y}"] or 0
            if c >= floor and c >= SEASON_FACTOR * w / 12:
                n += 1
        return n

    place_ids = {r[col] for r in rows}
    # Only places inside the user's scope are candidates (a village cadre is not offered the whole street).
    units = {u.pk: u for u in Unit.objects.filter(scope_for(user).unit_q(), pk__in=place_ids)}
    categories = {c.pk: c for c in Category.objects.filter(pk__in={r["category_id"] for r in rows})}
    households = _households(user, list(units.values()))
    candidates = [
        Candidate(
            place=units[r[col]],
            category=categories[r["category_id"]],
            count=int(r["cur"]),
            previous=int(r["prev"] or 0),
            last_year=int(r["y1"] or 0),
            seasonal_years=seasonal_years(r),
            households=households.get(r[col], 0),
        )
        for r in rows
        if r[col] in units
    ]

    # Hot spots: the highest by count and by count per 1,000 households.
    for by_rate in (False, True):
        ranked = sorted(
            candidates, key=lambda c: (-((c.per_thousand or 0) if by_rate else c.count), c.place.code)
        )
        for c in ranked[:HOT_TOP]:
            c.hot = True

    # Repeat callers of the month, for every candidate (one query).
    callers_qs = (
        _cells(user, within, category, CallerCell)
        .filter(month=m, calls__gte=repeat_min(), **{f"{col}__isnull": False})
        .select_related("household")
        .order_by("-calls", "id")
    )
    by_pair: dict[tuple[int, int], Candidate] = {(c.place.pk, c.category.pk): c for c in candidates}
    caller_rows: list[tuple[Unit, Category, Caller]] = []
    all_categories = {c.pk: c for c in Category.objects.all()} if callers_qs else {}
    extra_units = {u.pk: u for u in Unit.objects.filter(pk__in=callers_qs.values(col))}
    for cell in callers_qs:
        label = cell.phone_masked or (
            _("household %(number)s") % {"number": cell.household.number} if cell.household else "—"
        )
        caller = Caller(label=label, calls=cell.calls)
        pid = getattr(cell, col)
        cand = by_pair.get((pid, cell.category_id))
        if cand is not None:
            cand.repeat_callers.append(caller)
        if pid in extra_units and cell.category_id in all_categories:
            caller_rows.append((extra_units[pid], all_categories[cell.category_id], caller))

    order_key = {
        "score": lambda c: (-c.score, -c.count, c.place.code, c.category.code),
        "count": lambda c: (-c.count, -c.score, c.place.code, c.category.code),
        "rate": lambda c: (-(c.per_thousand or 0), -c.count, c.place.code, c.category.code),
    }[order]
    candidates.sort(key=order_key)
    total = len(candidates)
    shown = candidates[:limit]
    _add_samples(shown, month, col)
    _add_areas(shown)
    _add_adoptions(shown, m)
    refreshed = RollupMonth.objects.filter(month=m).values_list("refreshed_at", flat=True).first()
    return Analysis(
        month=month,
        level=level,
        within=within,
        category=category,
        candidates=shown,
        total=total,
        callers=caller_rows,
        refreshed_at=refreshed,
    )


def _households(user: Any, places: list[Unit]) -> dict[int, int]:
    """Households under each place (its subtree), within the user's scope: one grouped query per distinct
    depth of the places, grouping the households by the prefix of their unit's path."""
    by_length: dict[int, dict[str, int]] = defaultdict(dict)
    for u in places:
        by_length[len(u.path)][u.path] = u.pk
    out: dict[int, int] = {}
    base = Household.objects.filter(scope_for(user).household_q()).order_by()
    for length, paths in by_length.items():
        rows = (
            base.filter(subtree_q("unit__path", *paths))
            .annotate(prefix=Substr("unit__path", 1, length))
            .values("prefix")
            .annotate(n=Count("id"))
        )
        for r in rows:
            if r["prefix"] in paths:
                out[paths[r["prefix"]]] = int(r["n"])
    return out


def _add_samples(candidates: list[Candidate], month: Period, col: str) -> None:
    """The SAMPLES most recent appeals of each candidate, callers masked (one query with a window)."""
    if not candidates:
        return
    field_name = col.removesuffix("_id")
    qs = (
        Appeal.objects.filter(
            submitted_at__gte=month.since,
            submitted_at__lt=month.until,
            **{f"{field_name}__in": {c.place.pk for c in candidates}},
            category__in={c.category.pk for c in candidates},
        )
        .exclude(state=State.MERGED)
        .annotate(
            rn=Window(
                RowNumber(),
                partition_by=[F(col), F("category_id")],
                order_by=[F("submitted_at").desc(), F("id").desc()],
            )
        )
        .filter(rn__lte=SAMPLES)
        .order_by("-submitted_at", "-id")
    )
    by_pair = {(c.place.pk, c.category.pk): c for c in candidates}
    for a in qs:
        cand = by_pair.get((getattr(a, col), a.category_id))
        if cand is None:
            continue
        cand.samples.append(
            Sample(
                tracking_code=a.tracking_code,
                pk=a.pk,
                submitted_at=timezone.localtime(a.submitted_at),
                description=a.description[:120],
                caller="" if a.anonymous else mask_name(a.caller_name),
                phone="" if a.anonymous else mask_phone(a.caller_phone),
                state=a.get_state_display(),
            )
        )


def _add_areas(candidates: list[Candidate]) -> None:
    """ "Street / village / place" for each candidate, from the ancestors on the path (one query)."""
    ids = {i for c in candidates for i in path_ids(c.place.path)[1:-1]}
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    for c in candidates:
        parts = [names[i] for i in path_ids(c.place.path)[1:-1] if i in names]
        c.area = " / ".join([*parts, c.place.name])


def _add_adoptions(candidates: list[Candidate], month: date) -> None:
    """This month's adoption of each candidate, and the months it was adopted before (one query)."""
    if not candidates:
        return
    pairs = {(c.place.pk, c.category.pk): c for c in candidates}
    qs = Adoption.objects.filter(
        unit__in={p for p, _k in pairs}, category__in={k for _p, k in pairs}, month__lte=month
    ).order_by("month")
    for a in qs:
        cand = pairs.get((a.unit_id, a.category_id))
        if cand is None:
            continue
        if a.month == month:
            cand.adoption = a
        else:
            cand.adopted_before.append(f"{a.month:%Y-%m}")


def candidate_for(
    user: Any, *, month: Period, level: str, unit: Unit, category: Category
) -> Candidate | None:
    """One candidate as the page shows it (None when it is not a candidate for this user)."""
    a = analyse(user, month=month, level=level, within=unit, category=category, limit=EXPORT_LIMIT)
    for c in a.candidates:
        if c.place.pk == unit.pk:
            return c
    return None


def candidate_appeals(candidate: Candidate, month: Period, level: str) -> list[Appeal]:
    """The appeals behind a candidate (linked repeats left out), to attach to the problem."""
    field_name = PLACE_COLUMN[level].removesuffix("_id")
    return list(
        Appeal.objects.filter(
            submitted_at__gte=month.since,
            submitted_at__lt=month.until,
            category=candidate.category,
            **{field_name: candidate.place},
        )
        .exclude(state=State.MERGED)
        .order_by("submitted_at")[:EXPORT_LIMIT]
    )
