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

import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, Category, State
from minhu.appeals.stats import Period, add_months
from minhu.core.masking import mask_name, mask_phone
from minhu.core.types import Viewer
from minhu.grid.models import Unit, path_ids, subtree_q
from minhu.grid.selectors import scope_for, tree_roots
from minhu.insights.models import Adoption, CallerCell, Level, MonthlyCell, RollupMonth
from minhu.insights.services import PLACE_COLUMN, WORK_MEM

LEVELS = tuple(Level.values)

RISE_FACTOR = 1.5  # rising: at least 1.5 × the comparison month
SEASON_YEARS = 3  # seasonal: the same month in each of the last three years
SEASON_FACTOR = 1.5  # "high" in a past month: 1.5 × that place × category's monthly mean of the year to it
HOT_TOP = 5  # hot spot: among the 5 highest by count or by count per 1,000 households
SAMPLES = 3  # sample appeals per candidate
CALLERS = 50  # repeat callers listed on the page (those with the most calls)
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
    callers: int = 0  # how many repeat callers (the list below is filled for the candidates shown)
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
            + 2 * self.callers
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
            "repeat_callers": self.callers,
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


def default_level(user: Viewer) -> str:
    """One level below the top of the user's scope: streets for a district, villages for a street, grids
    for a village or community."""
    kinds = {r.kind for r in tree_roots(user)}
    if not kinds or Unit.Kind.DISTRICT in kinds:
        return "street"
    if Unit.Kind.STREET in kinds:
        return "village"
    return "grid"


def _cells(user: Viewer, within: Unit | None, category: Category | None, model: Any, prefix: str) -> Any:
    """Rollup rows (MonthlyCell by its place, CallerCell by its unit) in the user's scope, under
    `within`, of `category`."""
    qs = model.objects.filter(scope_for(user).unit_q(f"{prefix}__"))
    if within is not None:
        qs = qs.filter(subtree_q(f"{prefix}__path", within.path))
    if category is not None:
        qs = qs.filter(category=category)
    return qs.order_by()


@dataclass(slots=True)
class _Pair:
    """One place × category of the month, before it is a Candidate: the figures that need no history
    (`rate` and `floor` computed once: they rank up to 150 k pairs at city scale)."""

    place: int
    category: int
    count: int
    previous: int
    last_year: int
    households: int
    callers: int
    rate: float = 0.0
    floor: float = 0.0  # the score without its seasonal term (which adds at most ½ · count)

    def __post_init__(self) -> None:
        self.rate = 1000 * self.count / self.households if self.households else 0.0
        self.floor = (
            self.count
            + 0.5 * max(0, self.count - self.previous)
            + 0.5 * max(0, self.count - self.last_year)
            + 2 * self.callers
        )


@contextmanager
def _tuned() -> Iterator[None]:
    """On PostgreSQL, for the analysis' transaction only: no JIT (compiling costs more than these short
    aggregations take) and room to group a city's cells in memory."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        yield


def analyse(
    user: Viewer,
    *,
    month: Period,
    level: str,
    within: Unit | None = None,
    category: Category | None = None,
    order: str = "score",
    limit: int = LIMIT,
) -> Analysis:
    """The candidates of `month` at `level` (place × category with at least INSIGHTS_MIN_COUNT appeals),
    with their evidence, ordered by `order` (score, count, or count per 1,000 households); see `_analyse`."""
    with _tuned():
        return _analyse(
            user, month=month, level=level, within=within, category=category, order=order, limit=limit
        )


def _analyse(
    user: Viewer,
    *,
    month: Period,
    level: str,
    within: Unit | None = None,
    category: Category | None = None,
    order: str = "score",
    limit: int = LIMIT,
) -> Analysis:
    """Candidates first, history for few: one grouped query over this level's cells of three months (this
    one, the one before, the same one a year before) gives every candidate's count, comparisons and
    households, and one grouped query counts their repeat callers. That ranks every candidate but for the
    seasonal term, which adds at most ½ · count to a score: only the candidates whose score could still
    reach the `limit`-th one's are read 36 months back (one query on the cells' unique index); the others
    cannot be shown. So the cost grows with the cells of three months, not with the history or the appeals.
    """
    m = month.start
    col = PLACE_COLUMN[level]
    floor = min_count()
    prev, last = add_months(m, -1), add_months(m, -12)
    rows = (
        _cells(user, within, category, MonthlyCell, "place")
        .filter(level=level, month__in=[m, prev, last])
        .values("place_id", "category_id")
        .annotate(
            cur=Sum("appeals", filter=Q(month=m)),
            prev=Sum("appeals", filter=Q(month=prev)),
            last=Sum("appeals", filter=Q(month=last)),
            hh=Max("place__insights_size__households"),
        )
        .filter(cur__gte=floor)
        .values_list("place_id", "category_id", "cur", "prev", "last", "hh")
    )
    repeat = {
        (p, k): n
        for p, k, n in _cells(user, within, category, CallerCell, "unit")
        .filter(month=m, calls__gte=repeat_min(), **{f"{col}__isnull": False})
        .values(col, "category_id")
        .annotate(n=Count("id"))
        .values_list(col, "category_id", "n")
    }
    pairs = [
        _Pair(p, k, int(c), int(pv or 0), int(ly or 0), int(hh or 0), int(repeat.get((p, k), 0)))
        for p, k, c, pv, ly, hh in rows
    ]

    # Hot spots: the highest by count and by count per 1,000 households, among all candidates.
    hot = {
        (x.place, x.category)
        for top in (
            heapq.nsmallest(HOT_TOP, pairs, key=lambda x: (-x.count, x.place, x.category)),
            heapq.nsmallest(HOT_TOP, pairs, key=lambda x: (-x.rate, x.place, x.category)),
        )
        for x in top
    }

    # The pairs that could be shown: everything whose key, with the most the seasonal term could add,
    # still reaches the limit-th highest key without it.
    keys: dict[str, tuple[Callable[[_Pair], float], Callable[[_Pair], float]]] = {
        "score": (lambda x: x.floor, lambda x: x.floor + 0.5 * x.count),
        "count": (lambda x: float(x.count), lambda x: float(x.count)),
        "rate": (lambda x: x.rate, lambda x: x.rate),
    }
    primary, bound = keys[order]
    short = pairs
    if len(pairs) > limit:
        threshold = primary(heapq.nlargest(limit, pairs, key=primary)[-1])
        short = [x for x in pairs if bound(x) >= threshold]
    seasonal = _seasonal(level, m, short)
    units = {u.pk: u for u in Unit.objects.filter(pk__in={x.place for x in short})}
    categories = {c.pk: c for c in Category.objects.filter(pk__in={x.category for x in short})}
    candidates = [
        Candidate(
            place=units[x.place],
            category=categories[x.category],
            count=x.count,
            previous=x.previous,
            last_year=x.last_year,
            seasonal_years=seasonal.get((x.place, x.category), 0),
            households=x.households,
            callers=x.callers,
            hot=(x.place, x.category) in hot,
        )
        for x in short
        if x.place in units and x.category in categories
    ]
    order_key: dict[str, Callable[[Candidate], tuple[Any, ...]]] = {
        "score": lambda c: (-c.score, -c.count, c.place.code, c.category.code),
        "count": lambda c: (-c.count, -c.score, c.place.code, c.category.code),
        "rate": lambda c: (-(c.per_thousand or 0), -c.count, c.place.code, c.category.code),
    }
    candidates.sort(key=order_key[order])
    shown = candidates[:limit]
    _add_callers(user, shown, m, col)
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
        total=len(pairs),
        callers=_top_callers(user, within, category, m, col),
        refreshed_at=refreshed,
    )


SEASONAL_BATCH = 5000  # pairs per history query (bounds the statement's parameters on both databases)


def _seasonal(level: str, m: date, pairs: list[_Pair]) -> dict[tuple[int, int], int]:
    """For each pair, in how many of the last SEASON_YEARS years it was high in the same month: one query
    (per SEASONAL_BATCH pairs) over the cells of exactly these pairs — `(place, category) IN (VALUES …)`,
    which both databases answer from the cells' index — in the 12 · SEASON_YEARS months up to a year before
    `m`, summed per pair in the database."""
    if not pairs:
        return {}
    floor = min_count()
    ops = connection.ops
    sums: list[str] = []
    sum_params: list[Any] = []
    for y in range(1, SEASON_YEARS + 1):
        same = add_months(m, -12 * y)
        sums.append("SUM(CASE WHEN month = %s THEN appeals ELSE 0 END)")
        sums.append("SUM(CASE WHEN month > %s AND month <= %s THEN appeals ELSE 0 END)")
        sum_params += [ops.adapt_datefield_value(d) for d in (same, add_months(same, -12), same)]
    months = [ops.adapt_datefield_value(add_months(m, -12 - i)) for i in range(12 * SEASON_YEARS)]
    table = ops.quote_name(MonthlyCell._meta.db_table)
    out: dict[tuple[int, int], int] = {}
    for start in range(0, len(pairs), SEASONAL_BATCH):
        chunk = pairs[start : start + SEASONAL_BATCH]
        # Only constant names and placeholders are spliced in; every value is a parameter.
        sql = (
            f"SELECT place_id, category_id, {', '.join(sums)} FROM {table} "  # noqa: S608
            f"WHERE level = %s AND month IN ({', '.join(['%s'] * len(months))}) "
            f"AND (place_id, category_id) IN (VALUES {', '.join(['(%s, %s)'] * len(chunk))}) "
            "GROUP BY place_id, category_id"
        )
        params = [*sum_params, level, *months, *(v for x in chunk for v in (x.place, x.category))]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        for place, category, *figures in rows:
            n = 0
            for y in range(SEASON_YEARS):
                c, w = int(figures[2 * y] or 0), int(figures[2 * y + 1] or 0)
                if c >= floor and c >= SEASON_FACTOR * w / 12:
                    n += 1
            out[(place, category)] = n
    return out


def _caller(cell: CallerCell) -> Caller:
    """A repeat caller as the screens show it: the masked phone, or the household's door number."""
    label = cell.phone_masked or (
        _("household %(number)s") % {"number": cell.household.number} if cell.household else "—"
    )
    return Caller(label=label, calls=cell.calls)


def _add_callers(user: Viewer, candidates: list[Candidate], m: date, col: str) -> None:
    """The repeat callers of the candidates shown, masked (one query)."""
    if not candidates:
        return
    by_pair = {(c.place.pk, c.category.pk): c for c in candidates}
    qs = (
        CallerCell.objects.filter(
            scope_for(user).unit_q("unit__"),
            month=m,
            calls__gte=repeat_min(),
            **{f"{col}__in": {p for p, _k in by_pair}, "category__in": {k for _p, k in by_pair}},
        )
        .select_related("household")
        .order_by("-calls", "id")
    )
    for cell in qs:
        cand = by_pair.get((getattr(cell, col), cell.category_id))
        if cand is not None:
            cand.repeat_callers.append(_caller(cell))


def _top_callers(
    user: Viewer, within: Unit | None, category: Category | None, m: date, col: str
) -> list[tuple[Unit, Category, Caller]]:
    """The CALLERS repeat callers of the month with the most calls, masked, with their place at the
    level (one query)."""
    place = col.removesuffix("_id")
    qs = (
        _cells(user, within, category, CallerCell, "unit")
        .filter(month=m, calls__gte=repeat_min(), **{f"{col}__isnull": False})
        .select_related("household", "category", place)
        .order_by("-calls", "id")[:CALLERS]
    )
    return [(getattr(cell, place), cell.category, _caller(cell)) for cell in qs]


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
    user: Viewer, *, month: Period, level: str, unit: Unit, category: Category
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
