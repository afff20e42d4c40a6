from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_persona
from minhu.appeals.models import Appeal
from minhu.grid.services import post_create, unit_create
from minhu.grid.tests.conftest import START
from minhu.insights.models import CallerCell, MonthlyCell, RollupMonth
from minhu.insights.selectors import ORDERS, analyse, default_level
from minhu.insights.services import phone_hash, rollup_refresh, rollup_refresh_due
from minhu.insights.tests.world import MARCH, SH, World, appeals


def test_candidates_ranked_by_score_with_each_signal(world: World, alice_street: Any) -> None:
    a = analyse(alice_street, month=MARCH, level="village")
    got = [(c.place.name, c.category.code, c.score) for c in a.candidates]
    assert got == [("马耳山村", "K1", 24.0), ("互助村", "K3", 11.2), ("互助村", "K2", 6.0)]
    hot, seasonal, steady = a.candidates
    assert (hot.count, hot.previous, hot.last_year, hot.households) == (12, 4, 0, 2)
    assert hot.per_thousand == 6000.0
    assert hot.rising_previous
    assert hot.rising_year
    assert not hot.seasonal
    assert [(r.label, r.calls) for r in hot.repeat_callers] == [("139****1111", 4)]
    assert (seasonal.count, seasonal.previous, seasonal.last_year, seasonal.seasonal_years) == (5, 0, 5, 2)
    assert seasonal.rising_previous
    assert not seasonal.rising_year
    assert [(r.label, r.calls) for r in seasonal.repeat_callers] == [("household 1号", 3)]
    assert (steady.count, steady.previous, steady.last_year, steady.seasonal_years) == (6, 6, 6, 0)
    assert not (steady.rising_previous)
    assert not (steady.rising_year)
    assert not (steady.seasonal)
    assert not (steady.repeat_callers)
    assert steady.per_thousand == 1200.0


def test_under_the_minimum_count_is_no_candidate(world: World, alice_street: Any) -> None:
    a = analyse(alice_street, month=MARCH, level="village", category=world.k2)
    assert [(c.place.name, c.count) for c in a.candidates] == [("互助村", 6)]  # village A's 2 are too few


def test_order_by_count_and_by_households(world: World, alice_street: Any) -> None:
    by_rate = analyse(alice_street, month=MARCH, level="village", order="rate")
    assert [(c.category.code, c.per_thousand) for c in by_rate.candidates] == [
        ("K1", 6000.0),
        ("K2", 1200.0),
        ("K3", 1000.0),
    ]
    by_count = analyse(alice_street, month=MARCH, level="village", order="count")
    assert [c.count for c in by_count.candidates] == [12, 6, 5]


def test_grid_level_places_are_the_appeals_own_units(world: World, alice_street: Any) -> None:
    a = analyse(alice_street, month=MARCH, level="grid", category=world.k1)
    (c,) = a.candidates
    assert c.place == world.tree.block_a
    assert c.area == "永乐街道 / 马耳山村 / 一片 / 一块"


def test_samples_are_the_latest_appeals_with_callers_masked(world: World, alice_street: Any) -> None:
    a = analyse(alice_street, month=MARCH, level="village", category=world.k1)
    samples = a.candidates[0].samples
    assert len(samples) == 3
    assert [s.submitted_at.day for s in samples] == sorted(
        (s.submitted_at.day for s in samples), reverse=True
    )
    assert all(s.caller == "刘*" and "****" in s.phone for s in samples)


def test_scope_a_village_cadre_sees_only_their_village(world: World) -> None:
    bob = make_persona("bob")
    post_create(user=bob, unit=world.tree.village_a, title="村两委", start=START, actor=None)
    assert default_level(bob) == "grid"
    a = analyse(bob, month=MARCH, level="village")
    assert [(c.place.name, c.category.code) for c in a.candidates] == [("马耳山村", "K1")]
    # at street level the street is outside bob's scope: not offered, not even partly counted
    assert analyse(bob, month=MARCH, level="street").candidates == []
    assert [(u.name, k.code) for u, k, _c in a.callers] == [("马耳山村", "K1")]


def test_a_resident_sees_nothing(world: World) -> None:
    dave = make_persona("dave")
    assert analyse(dave, month=MARCH, level="village").candidates == []


def test_rollup_refresh_is_idempotent_and_keeps_no_phone(world: World) -> None:
    before = sorted(MonthlyCell.objects.values_list("month", "level", "place_id", "category_id", "appeals"))
    rollup_refresh(month=date(2026, 3, 1))
    rollup_refresh(month=date(2026, 3, 1))
    assert (
        sorted(MonthlyCell.objects.values_list("month", "level", "place_id", "category_id", "appeals"))
        == before
    )
    cell = CallerCell.objects.get(month=date(2026, 3, 1), phone_masked="139****1111")
    assert cell.calls == 4
    assert cell.phone_hash == phone_hash("13900001111")
    assert "13900001111" not in str(list(CallerCell.objects.values()))


def test_merged_repeats_are_not_counted(world: World) -> None:
    first = Appeal.objects.filter(category=world.k3, submitted_at__gte=MARCH.since).first()
    (extra,) = appeals(
        1,
        world.k3,
        world.tree.village_b,
        street=world.tree.street,
        village=world.tree.village_b,
        year=2026,
        month=3,
    )
    extra.state, extra.repeat_of, extra.closed_at = "merged", first, extra.submitted_at
    extra.save()
    rollup_refresh(month=date(2026, 3, 1))
    assert (
        sum(
            MonthlyCell.objects.filter(month=date(2026, 3, 1), category=world.k3, level="grid").values_list(
                "appeals", flat=True
            )
        )
        == 5
    )


def test_periodic_job_fills_missing_months_then_only_the_stale_current_one(world: World) -> None:
    RollupMonth.objects.all().delete()
    now = datetime(2026, 3, 20, 12, tzinfo=SH)
    first = rollup_refresh_due(now=now)
    assert len(first.months) == 48
    assert first.months[-1] == "2026-03"
    assert rollup_refresh_due(now=now).months == []
    later = datetime(2026, 3, 20, 14, tzinfo=SH)
    assert rollup_refresh_due(now=later).months == ["2026-03"]
    april = datetime(2026, 4, 1, 9, tzinfo=SH)
    assert rollup_refresh_due(now=april).months == ["2026-03", "2026-04"]  # March once more after it ended


def grow(world: World) -> None:
    """Six more villages, each with three categories over the minimum count and one repeat caller each."""
    t = world.tree
    rows = []
    for n in range(6):
        v = unit_create(
            kind="village", name=f"新村{n}", code=f"210111001{n + 10:03d}", parent=t.street, actor=None
        )
        area = unit_create(kind="area", name="一片", code=f"210111001{n + 10:03d}A", parent=v, actor=None)
        for i, k in enumerate((world.k1, world.k2, world.k3)):
            rows += appeals(7 + n + 2 * i, k, area, street=t.street, village=v, year=2026, month=3)
            rows += appeals(3, k, area, street=t.street, village=v, year=2026, month=3, phone="13500005555")
            rows += appeals(n + i, k, area, street=t.street, village=v, year=2026, month=2)
            rows += appeals(2 * n, k, area, street=t.street, village=v, year=2025, month=3)
    Appeal.objects.bulk_create(rows)
    for month in (date(2025, 3, 1), date(2026, 2, 1), date(2026, 3, 1)):
        rollup_refresh(month=month)


def test_a_short_list_is_the_head_of_the_long_one(world: World, alice_street: Any) -> None:
    """Only candidates whose score could reach the limit-th are read back 36 months: whatever the limit
    and the order, the list shown is the head of the full ranking."""
    grow(world)
    for order in ORDERS:
        full = analyse(alice_street, month=MARCH, level="village", order=order, limit=500)
        assert full.total == len(full.candidates) == 3 + 18
        for limit in (1, 2, 5, 12):
            short = analyse(alice_street, month=MARCH, level="village", order=order, limit=limit)
            assert short.total == full.total
            assert [(c.place.pk, c.category.pk, c.score, c.hot) for c in short.candidates] == [
                (c.place.pk, c.category.pk, c.score, c.hot) for c in full.candidates[:limit]
            ]


def test_query_count_does_not_grow_with_appeals_or_units(world: World, alice_street: Any) -> None:
    def queries() -> int:
        alice_street.__dict__.pop("_grid_scope", None)
        with CaptureQueriesContext(connection) as ctx:
            a = analyse(alice_street, month=MARCH, level="village")
        assert a.candidates
        return len(ctx.captured_queries)

    small = queries()
    grow(world)
    large = queries()
    assert analyse(alice_street, month=MARCH, level="village").total == 3 + 18
    assert large == small


def test_refresh_writes_only_the_differences(world: World) -> None:
    """A cell whose count changed is updated, one whose appeals are gone is deleted, a new one inserted."""
    march = date(2026, 3, 1)
    a, k2 = world.tree.village_a, world.k2
    Appeal.objects.filter(category=k2, village=a, submitted_at__gte=MARCH.since).delete()
    Appeal.objects.bulk_create(
        appeals(2, world.k3, a, street=world.tree.street, village=a, year=2026, month=3)
        + appeals(1, world.k1, world.tree.block_a, street=world.tree.street, village=a, year=2026, month=3)
    )
    rollup_refresh(month=march)
    cells = {(c.level, c.place_id, c.category_id): c.appeals for c in MonthlyCell.objects.filter(month=march)}
    assert ("village", a.pk, k2.pk) not in cells
    assert cells[("village", a.pk, world.k3.pk)] == 2
    assert cells[("village", a.pk, world.k1.pk)] == 13
    assert cells[("grid", world.tree.block_a.pk, world.k1.pk)] == 13
