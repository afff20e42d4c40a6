"""The only functions that write insights' data: the rollup refresh and the adoption of a candidate."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, Category, State
from minhu.appeals.stats import Period, add_months
from minhu.core.masking import mask_phone
from minhu.core.services import event_record
from minhu.core.types import Login
from minhu.grid.models import Household, Unit, path_ids
from minhu.insights.models import Adoption, CallerCell, Level, MonthlyCell, PlaceSize, RollupMonth

# How far back the periodic job fills months it has never computed (the seasonal measure looks 3 years
# back); the current month is recomputed at most every REFRESH_MINUTES.
HISTORY_MONTHS = 48
# PostgreSQL's memory for the refresh's grouping (SET LOCAL: this transaction only).
WORK_MEM = "256MB"


def phone_hash(phone: str) -> str:
    """A keyed hash of the phone's digits: the same caller gives the same value, the value gives no phone."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:32]


# The rollup column of the appeal that names the place at each level.
PLACE_COLUMN: dict[str, str] = {Level.STREET: "street_id", Level.VILLAGE: "village_id", Level.GRID: "unit_id"}


@transaction.atomic
def rollup_refresh(*, month: date, now: datetime | None = None, households: bool = True) -> int:
    """Rewrite the rollup of the local month starting `month` from the appeals, in one transaction:
    delete its cells, then one `WITH … INSERT … SELECT` groups the month's appeals (read by range on the
    `appeals_submitted_time` index) by unit × street × village × category once and inserts the counts of
    all three levels from that grouping — set-based in the database, no row passes through Python. The
    callers with two calls or more are grouped likewise (their phone is hashed and masked here, so only
    those few rows come back). With `households`, the households under each unit are recounted too.
    Idempotent. Returns the number of appeals counted."""
    period = Period.month_of(month)
    first = period.start
    qs = Appeal.objects.filter(
        submitted_at__gte=period.since, submitted_at__lt=period.until, unit__isnull=False
    ).order_by()
    # Two refreshes of one month at once (several workers) take turns on the month's bookkeeping row, so
    # the second rewrites after the first has committed instead of colliding with its rows.
    marker, _created = RollupMonth.objects.get_or_create(
        month=first, defaults={"refreshed_at": now or timezone.now()}
    )
    RollupMonth.objects.select_for_update().filter(pk=marker.pk).first()
    if connection.vendor == "postgresql":
        # The month's groups (≈0.5 M at city scale) fit in memory instead of spilling to disk; for this
        # transaction only.
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    CallerCell.objects.filter(month=first).delete()
    _cells_write(qs, first)
    keys = ("unit_id", "street_id", "village_id", "category_id")
    callers: list[CallerCell] = []
    by_phone = (
        qs.exclude(caller_phone="").values("caller_phone", *keys).annotate(n=Count("id")).filter(n__gte=2)
    )
    for row in by_phone:
        callers.append(
            CallerCell(
                month=first,
                calls=row["n"],
                phone_hash=phone_hash(row["caller_phone"]),
                phone_masked=mask_phone(row["caller_phone"]),
                **{k: row[k] for k in keys},
            )
        )
    by_household = (
        qs.filter(caller_phone="", household__isnull=False)
        .values("household_id", *keys)
        .annotate(n=Count("id"))
        .filter(n__gte=2)
    )
    for row in by_household:
        callers.append(
            CallerCell(
                month=first, calls=row["n"], household_id=row["household_id"], **{k: row[k] for k in keys}
            )
        )
    CallerCell.objects.bulk_create(callers, batch_size=2000)
    total = MonthlyCell.objects.filter(month=first, level=Level.GRID).aggregate(n=Sum("appeals"))["n"] or 0
    RollupMonth.objects.update_or_create(
        month=first, defaults={"refreshed_at": now or timezone.now(), "appeals": total}
    )
    if households:
        households_refresh()
    return int(total)


TEMP = "insights_refresh_cells"  # the temporary table of one refresh (dropped at its end)


def _cells_write(qs: Any, first: date) -> None:
    """Bring the month's cells to the counts of `qs` (the month's appeals), writing only the differences:
    one `WITH … INSERT … SELECT` groups the appeals by unit × street × village × category once and puts the
    counts of all three levels into a temporary table; then one statement each updates the cells whose
    count changed, deletes those no longer there and inserts the new ones. A month computed before and
    refreshed hourly thus rewrites only the few cells that moved (no dead rows for PostgreSQL to vacuum);
    the first computation is one insert. Only constant names are spliced into the SQL; values are
    parameters."""
    keys = ("unit_id", "street_id", "village_id", "category_id")
    grouped_sql, grouped_params = (
        qs.exclude(state=State.MERGED).values(*keys).annotate(n=Count("id")).query.sql_with_params()
    )
    table = connection.ops.quote_name(MonthlyCell._meta.db_table)
    month_value = connection.ops.adapt_datefield_value(first)
    selects = []
    params: list[Any] = list(grouped_params)
    for level, column in PLACE_COLUMN.items():
        selects.append(
            f"SELECT %s, {column}, category_id, SUM(n) FROM g WHERE {column} IS NOT NULL "  # noqa: S608
            f"GROUP BY {column}, category_id"
        )
        params.append(level)
    same = "t.level = c.level AND t.place_id = c.place_id AND t.category_id = c.category_id"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {TEMP} (level varchar(7) NOT NULL, place_id bigint NOT NULL, "
            "category_id bigint NOT NULL, appeals integer NOT NULL)"
        )
        cursor.execute(
            f"WITH g (unit_id, street_id, village_id, category_id, n) AS ({grouped_sql}) "
            f"INSERT INTO {TEMP} (level, place_id, category_id, appeals) " + " UNION ALL ".join(selects),
            params,
        )
        cursor.execute(f"CREATE INDEX {TEMP}_key ON {TEMP} (level, place_id, category_id)")
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TEMP}")  # a temporary table has no statistics until analysed
        cursor.execute(
            f"UPDATE {table} AS c SET appeals = (SELECT t.appeals FROM {TEMP} t WHERE {same}) "  # noqa: S608
            f"WHERE c.month = %s AND EXISTS (SELECT 1 FROM {TEMP} t WHERE {same} AND t.appeals <> c.appeals)",
            [month_value],
        )
        cursor.execute(
            f"DELETE FROM {table} AS c WHERE c.month = %s "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {TEMP} t WHERE {same})",
            [month_value],
        )
        cursor.execute(
            f"INSERT INTO {table} (month, level, place_id, category_id, appeals) "  # noqa: S608
            f"SELECT %s, t.level, t.place_id, t.category_id, t.appeals FROM {TEMP} t WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} c WHERE c.month = %s AND {same})",
            [month_value, month_value],
        )
        cursor.execute(f"DROP TABLE {TEMP}")


@transaction.atomic
def households_refresh() -> int:
    """Rewrite `PlaceSize`: the households under every unit that has any below it (one grouped query by
    the household's unit, then each count added to the unit's ancestors read off its path). Idempotent.
    Returns the number of units written."""
    under: dict[int, int] = defaultdict(int)
    rows = Household.objects.order_by().values("unit_id", "unit__path").annotate(n=Count("id"))
    for row in rows:
        for pk in path_ids(row["unit__path"]):
            under[pk] += int(row["n"])
    PlaceSize.objects.all().delete()
    PlaceSize.objects.bulk_create(
        [PlaceSize(unit_id=pk, households=n) for pk, n in under.items()], batch_size=5000
    )
    return len(under)


@dataclass(frozen=True)
class RefreshReport:
    months: list[str]


def rollup_refresh_due(*, now: datetime | None = None) -> RefreshReport:
    """The periodic job: compute every month of the last HISTORY_MONTHS never computed (or computed before
    it ended), and the current month when its rollup is older than INSIGHTS_REFRESH_MINUTES. Each month is
    its own transaction; running it twice at once only repeats work (the delete + insert is idempotent)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    current = today.replace(day=1)
    done = dict(RollupMonth.objects.values_list("month", "refreshed_at"))
    stale = timedelta(minutes=settings.INSIGHTS_REFRESH_MINUTES)
    refreshed: list[str] = []
    for i in range(HISTORY_MONTHS - 1, -1, -1):
        month = add_months(current, -i)
        at = done.get(month)
        ended = Period.month_of(month).until
        due = at is None or at < now - stale if month == current else at is None or at < ended
        if due:
            rollup_refresh(month=month, now=now, households=False)
            refreshed.append(f"{month:%Y-%m}")
    if refreshed:
        households_refresh()
    return RefreshReport(months=refreshed)


# --- adoption -------------------------------------------------------------------------------------


class AdoptionUnavailable(ImproperlyConfigured):
    """The problem list (minhu.problems) is not installed, so a candidate cannot become a problem."""


def problems_installed() -> bool:
    return apps.is_installed("minhu.problems")


def candidate_adopt(
    *,
    actor: Login,
    month: date,
    unit: Unit,
    category: Category,
    title: str,
    description: str = "",
    appeals: list[Appeal] | tuple[Appeal, ...] = (),
    score: float = 0.0,
    evidence: dict[str, Any] | None = None,
) -> Adoption:
    """Turn a candidate (place × category × month) into a problem on the problem list, once.

    In one transaction: lock out a concurrent adoption of the same candidate (the unique index), create the
    problem with `minhu.problems.services.problem_create`, record the adoption and write
    `insights.candidate_adopt`. A retry returns the first adoption and creates nothing. Raises
    AdoptionUnavailable when minhu.problems is not installed."""
    if not problems_installed():
        raise AdoptionUnavailable(_("The problem list (minhu.problems) is not installed."))
    first = month.replace(day=1)
    existing = Adoption.objects.filter(month=first, unit=unit, category=category).first()
    if existing is not None:
        return existing
    from minhu.problems.services import problem_create  # type: ignore[import-not-found,unused-ignore]

    try:
        return _adopt(
            problem_create,
            actor=actor,
            first=first,
            unit=unit,
            category=category,
            title=title,
            description=description,
            appeals=appeals,
            score=score,
            evidence=evidence,
        )
    except IntegrityError:
        # Two adoptions of the same candidate at once: the unique index let one win, and the loser's
        # problem was rolled back with it. Answer with the winner's.
        return Adoption.objects.get(month=first, unit=unit, category=category)


def _adopt(
    problem_create: Any,
    *,
    actor: Login,
    first: date,
    unit: Unit,
    category: Category,
    title: str,
    description: str,
    appeals: Any,
    score: float,
    evidence: dict[str, Any] | None,
) -> Adoption:
    with transaction.atomic():
        problem = problem_create(
            actor=actor,
            unit=unit,
            title=title,
            description=description,
            category=category,
            appeals=appeals,
            source="insight",
        )
        adoption = Adoption.objects.create(
            month=first,
            unit=unit,
            category=category,
            problem_id=problem.pk,
            score=score,
            evidence=evidence or {},
            adopted_by=actor,
        )
        event_record(
            actor=actor,
            verb="insights.candidate_adopt",
            target=adoption,
            after={
                "month": f"{first:%Y-%m}",
                "unit": unit.code,
                "category": category.code,
                "problem": problem.pk,
                "score": score,
            },
        )
    return adoption
