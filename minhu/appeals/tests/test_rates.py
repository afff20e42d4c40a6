"""The three rates on a hand-computed fixture.

Ten appeals in one street, March 2026 (times in Shanghai):
  #  state      responded on time?  rated: resolved / satisfaction   reopens returns
  1  closed     yes                 yes / satisfied                  0       0
  2  closed     yes                 yes / basic                      1       0
  3  closed     no (late)           yes / satisfied                  0       1
  4  dispatched no (not yet, due)   —                                0       0
  5  resolved   yes                 —                                0       0
  6  closed     yes                 no  / not satisfied              0       0   (rated, then closed by staff)
  7  closed     answered on spot    —                                0       0
  8  merged     (repeat of #4)      —                                0       0   not counted
  9  dispatched no (overdue)        —                                0       2
 10  submitted  (not dispatched)    —                                0       0
Response base: 1,2,3,4,5,6,7,9 = 8; on time: 1,2,5,6,7 = 5 → 62.5 %.
Rated: 1,2,3,6 = 4; resolved yes: 1,2,3 = 3 → 75.0 %; satisfied or basic: 1,2,3 = 3 → 75.0 %.
Composite (30/35/35): 0.30·62.5 + 0.35·75 + 0.35·75 = 71.25 → 71.3 (rounded half up).
Reopens 1, returns 3. Closed: 1 (24 h), 2 (48 h), 3 (72 h), 6 (12 h), 7 (0 h) → median 24 h.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from minhu.appeals.models import Appeal, Category
from minhu.appeals.rates import rates_by, rates_for

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
H = timedelta(hours=1)


def make(category: Category, n: int, **fields: Any) -> Appeal:
    base: dict[str, Any] = {
        "kind": "complaint",
        "channel": "web",
        "category": category,
        "description": f"#{n}",
        "address": "x",
        "submitted_at": T0,
        "tracking_code": f"RATE{n:04d}",
    }
    base.update(fields)
    return Appeal.objects.create(**base)


def fixture(c: Category) -> None:
    due = {"dispatched_at": T0, "response_due_at": T0 + 24 * H}
    make(
        c,
        1,
        state="closed",
        **due,
        responded_at=T0 + 2 * H,
        resolved_ok=True,
        satisfaction="satisfied",
        confirmed_at=T0 + 24 * H,
        closed_at=T0 + 24 * H,
    )
    make(
        c,
        2,
        state="closed",
        **due,
        responded_at=T0 + 3 * H,
        resolved_ok=True,
        satisfaction="basic",
        confirmed_at=T0 + 48 * H,
        closed_at=T0 + 48 * H,
        reopen_count=1,
    )
    make(
        c,
        3,
        state="closed",
        **due,
        responded_at=T0 + 30 * H,
        resolved_ok=True,
        satisfaction="satisfied",
        confirmed_at=T0 + 72 * H,
        closed_at=T0 + 72 * H,
        return_count=1,
    )
    four = make(c, 4, state="dispatched", **due)
    make(c, 5, state="resolved", **due, responded_at=T0 + H)
    make(
        c,
        6,
        state="closed",
        **due,
        responded_at=T0 + H,
        resolved_ok=False,
        satisfaction="not",
        confirmed_at=T0 + 12 * H,
        closed_at=T0 + 12 * H,
    )
    make(c, 7, state="closed", responded_at=T0, closed_at=T0)
    make(c, 8, state="merged", repeat_of=four, closed_at=T0)
    make(c, 9, state="dispatched", **due, return_count=2)
    make(c, 10, state="submitted")


def test_rates_match_the_hand_computed_fixture(ordinary: Category) -> None:
    fixture(ordinary)
    r = rates_for(Appeal.objects.all())
    assert (r.appeals, r.response_base, r.responded_on_time) == (9, 8, 5)
    assert (r.rated, r.resolved_ok, r.satisfied) == (4, 3, 3)
    assert (r.response_rate, r.resolution_rate, r.satisfaction_rate) == (
        Decimal("62.5"),
        Decimal("75.0"),
        Decimal("75.0"),
    )
    assert r.composite == Decimal("71.3")
    assert (r.reopens, r.returns, r.transfers) == (1, 3, 0)
    assert r.median_hours_to_close == 24.0


def test_rates_grouped_by_category_in_one_query_each(
    ordinary: Category, django_assert_num_queries: Any
) -> None:
    fixture(ordinary)
    with django_assert_num_queries(2):
        by = rates_by(Appeal.objects.all(), "category")
    assert list(by) == [ordinary.pk]
    assert by[ordinary.pk].response_rate == Decimal("62.5")


def test_no_rated_appeals_gives_no_rate_rather_than_zero(ordinary: Category) -> None:
    make(ordinary, 1, state="submitted")
    r = rates_for(Appeal.objects.all())
    assert (r.resolution_rate, r.satisfaction_rate, r.composite) == (None, None, None)
