"""The only functions that write insights' data: the rollup refresh and the adoption of a candidate."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, Category, State
from minhu.appeals.stats import Period, add_months
from minhu.core.masking import mask_phone
from minhu.core.services import event_record
from minhu.grid.models import Unit
from minhu.insights.models import Adoption, CallerCell, MonthlyCell, RollupMonth

# How far back the periodic job fills months it has never computed (the seasonal measure looks 3 years
# back); the current month is recomputed at most every REFRESH_MINUTES.
HISTORY_MONTHS = 48


def phone_hash(phone: str) -> str:
    """A keyed hash of the phone's digits: the same caller gives the same value, the value gives no phone."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:32]


@transaction.atomic
def rollup_refresh(*, month: date, now: datetime | None = None) -> int:
    """Rewrite the rollup of the local month starting `month` from the appeals: delete its cells and insert
    the grouped counts (two grouped queries over the month, which the `appeals_submitted_time` index
    serves). Idempotent. Returns the number of appeals counted."""
    period = Period.month_of(month)
    first = period.start
    qs = Appeal.objects.filter(
        submitted_at__gte=period.since, submitted_at__lt=period.until, unit__isnull=False
    ).order_by()
    MonthlyCell.objects.filter(month=first).delete()
    CallerCell.objects.filter(month=first).delete()
    keys = ("unit_id", "street_id", "village_id", "category_id")
    cells = [
        MonthlyCell(month=first, appeals=row["n"], **{k: row[k] for k in keys})
        for row in qs.exclude(state=State.MERGED).values(*keys).annotate(n=Count("id")).filter(n__gt=0)
    ]
    MonthlyCell.objects.bulk_create(cells, batch_size=2000)
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
    total = sum(c.appeals for c in cells)
    RollupMonth.objects.update_or_create(
        month=first, defaults={"refreshed_at": now or timezone.now(), "appeals": total}
    )
    return total


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
            rollup_refresh(month=month, now=now)
            refreshed.append(f"{month:%Y-%m}")
    return RefreshReport(months=refreshed)


# --- adoption -------------------------------------------------------------------------------------


class AdoptionUnavailable(ImproperlyConfigured):
    """The problem list (minhu.problems) is not installed, so a candidate cannot become a problem."""


def problems_installed() -> bool:
    return apps.is_installed("minhu.problems")


def candidate_adopt(
    *,
    by: Any,
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
            by=by,
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
    by: Any,
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
            by=by, unit=unit, title=title, description=description, category=category, appeals=appeals
        )
        adoption = Adoption.objects.create(
            month=first,
            unit=unit,
            category=category,
            problem_id=problem.pk,
            score=score,
            evidence=evidence or {},
            adopted_by=by,
        )
        event_record(
            actor=by,
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
