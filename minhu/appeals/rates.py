"""The three rates (三率) and what is kept visible beside them. Definitions: docs/appeals.md.

- response rate     = appeals first contacted by their response deadline (or answered on the spot)
                      ÷ appeals that had to be responded to (dispatched or answered on the spot; repeats
                      linked to an open matter are not counted);
- resolution rate   = rated appeals the caller says were resolved ÷ rated appeals;
- satisfaction rate = rated appeals rated satisfied or basically satisfied ÷ rated appeals;
- composite score   = weighted sum of the three (weights in settings.APPEAL_RATE_WEIGHTS, default
                      30 / 35 / 35 %).
Beside them: reopens, returns, transfers, and the median hours from submission to close.
A rate with no denominator is None (shown as "—"), never 0 or 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum

from minhu.appeals.models import Appeal, Satisfaction, State

_COUNTED = ~Q(state=State.MERGED)


def _pct(num: int, den: int) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rates:
    appeals: int
    response_base: int
    responded_on_time: int
    rated: int
    resolved_ok: int
    satisfied: int
    reopens: int
    returns: int
    transfers: int
    median_hours_to_close: float | None

    @property
    def response_rate(self) -> Decimal | None:
        return _pct(self.responded_on_time, self.response_base)

    @property
    def resolution_rate(self) -> Decimal | None:
        return _pct(self.resolved_ok, self.rated)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return _pct(self.satisfied, self.rated)

    @property
    def composite(self) -> Decimal | None:
        parts = (self.response_rate, self.resolution_rate, self.satisfaction_rate)
        if any(p is None for p in parts):
            return None
        weights = [Decimal(str(w)) for w in settings.APPEAL_RATE_WEIGHTS]
        total = sum((w * p for w, p in zip(weights, parts, strict=True) if p is not None), Decimal(0))
        return (total / sum(weights)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


_AGGREGATES: dict[str, Any] = {
    "appeals": Count("id", filter=_COUNTED),
    "response_base": Count(
        "id", filter=_COUNTED & (Q(dispatched_at__isnull=False) | Q(state=State.CLOSED, handler__isnull=True))
    ),
    "responded_on_time": Count(
        "id",
        filter=_COUNTED
        & (
            Q(
                responded_at__isnull=False,
                response_due_at__isnull=False,
                responded_at__lte=F("response_due_at"),
            )
            | Q(state=State.CLOSED, dispatched_at__isnull=True, responded_at__isnull=False)
        ),
    ),
    "rated": Count("id", filter=_COUNTED & Q(resolved_ok__isnull=False)),
    "resolved_ok": Count("id", filter=_COUNTED & Q(resolved_ok=True)),
    "satisfied": Count(
        "id", filter=_COUNTED & Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
    ),
    "reopens": Sum("reopen_count"),
    "returns": Sum("return_count"),
    "transfers": Sum("transfer_count"),
}


def _median_hours(qs: QuerySet[Appeal]) -> float | None:
    spans = [
        (closed - submitted).total_seconds() / 3600
        for submitted, closed in qs.filter(closed_at__isnull=False)
        .exclude(state=State.MERGED)
        .values_list("submitted_at", "closed_at")
        if closed is not None
    ]
    return round(median(spans), 1) if spans else None


def rates_for(qs: QuerySet[Appeal]) -> Rates:
    row = qs.aggregate(**_AGGREGATES)
    return Rates(**{k: int(row[k] or 0) for k in _AGGREGATES}, median_hours_to_close=_median_hours(qs))


def rates_by(qs: QuerySet[Appeal], key: str, *, medians: bool = True) -> dict[Any, Rates]:
    """Rates grouped by one field or annotation (e.g. "street", "village", "category", a month), in one
    query, plus one for the medians. `medians=False` skips that one and leaves them None: over long spans
    (a twelve-month trend) reading every closed appeal's times costs more than the figure is worth."""
    rows = qs.values(key).annotate(**_AGGREGATES).order_by(key)
    spans: dict[Any, list[float]] = {}
    closed_rows = (
        qs.filter(closed_at__isnull=False)
        .exclude(state=State.MERGED)
        .values_list(key, "submitted_at", "closed_at")
    )
    for k, submitted, closed in closed_rows if medians else ():
        spans.setdefault(k, []).append((closed - submitted).total_seconds() / 3600)
    return {
        row[key]: Rates(
            **{k: int(row[k] or 0) for k in _AGGREGATES},
            median_hours_to_close=round(median(spans[row[key]]), 1) if spans.get(row[key]) else None,
        )
        for row in rows
    }
