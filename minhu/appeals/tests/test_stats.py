"""Unit statistics on the hand-computed world of statsworld.py: totals, counts, branches, categories, the
twelve-month trend, scope, the page's charts and exports, and its query count."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook  # type: ignore[import-untyped]

from minhu.appeals.stats import Period, unit_stats
from minhu.appeals.tests.statsworld import SH, World, build_world, make_appeal

MARCH = Period.month(2026, 3)
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=SH)


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _english(client: Client, settings: Any) -> Iterator[None]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@time_machine.travel(NOW, tick=False)
def test_street_figures_match_the_hand_computed_world(world: World) -> None:
    s = unit_stats(world.alice, unit=world.tree.street, period=MARCH)
    t = s.totals
    assert (t.appeals, t.response_rate, t.resolution_rate, t.satisfaction_rate, t.composite) == (
        4,
        Decimal("75.0"),
        Decimal("66.7"),
        Decimal("66.7"),
        Decimal("69.2"),
    )
    assert (t.reopens, t.returns, t.transfers, t.median_hours_to_close) == (1, 1, 0, 36.0)
    assert s.overdue == 1  # #3: dispatched, not contacted in time
    assert {x.value: x.count for x in s.by_state if x.count} == {
        "closed": 2,
        "responded": 1,
        "dispatched": 1,
        "merged": 1,
    }
    assert {x.value: x.count for x in s.by_kind if x.count} == {"complaint": 4}  # the repeat is left out
    assert {x.value: x.count for x in s.by_channel if x.count} == {"hotline": 4}
    assert len(s.by_state) == 8
    assert len(s.by_kind) == 5
    assert [(r.label, r.rates.appeals) for r in s.by_category] == [("Z91 楼道杂物", 3), ("Z92 路灯损坏", 1)]
    assert [(r.label, r.rates.appeals, r.rates.composite) for r in s.by_branch] == [
        ("马耳山村", 2, Decimal("65.0")),
        ("互助村", 2, Decimal("85.0")),
    ]


def test_trend_covers_twelve_months_ending_with_the_period(world: World) -> None:
    s = unit_stats(world.erin, unit=world.tree.district, period=MARCH)
    assert next(r.label for r in s.trend) == "2025-04"
    assert [r.label for r in s.trend][-1] == "2026-03"
    counts = {r.label: r.rates.appeals for r in s.trend if r.rates.appeals}
    assert counts == {"2026-02": 1, "2026-03": 8}  # April's #11 is after the period
    march = s.trend[-1].rates
    assert (march.response_rate, march.resolution_rate) == (Decimal("71.4"), Decimal("83.3"))
    assert s.trend[0].rates.composite is None  # an empty month has no rate, not 0


def test_months_are_counted_in_local_time(world: World) -> None:
    edge = world.t02
    v = world.tree.village_b
    for n, at in (
        (31, datetime(2026, 3, 31, 23, 30, tzinfo=SH)),
        (32, datetime(2026, 4, 1, 0, 10, tzinfo=SH)),
    ):
        make_appeal(edge, n, v, street=world.tree.street, village=v, submitted_at=at, state="submitted")
    s = unit_stats(world.alice, unit=None, period=Period.month(2026, 4), category=edge)
    counts = {r.label: r.rates.appeals for r in s.trend if r.rates.appeals}
    assert counts == {"2026-03": 2, "2026-04": 1}  # #4 and #31 in March (Shanghai), #32 in April
    assert s.totals.appeals == 1


def test_drilling_down_shows_the_units_under_it_and_the_unit_itself(world: World) -> None:
    s = unit_stats(world.alice, unit=world.tree.village_a, period=MARCH)
    assert [(r.label, r.rates.appeals) for r in s.by_branch] == [("马耳山村 itself", 1), ("一片", 1)]


def test_district_staff_see_every_street_even_without_appeals(world: World) -> None:
    s = unit_stats(world.erin, unit=world.tree.district, period=MARCH)
    assert [(r.label, r.rates.appeals) for r in s.by_branch] == [
        ("永乐街道", 4),
        ("二街道", 3),
        ("三街道", 0),
        ("四街道", 1),
    ]
    assert s.by_branch[2].rates.composite is None


def test_a_range_of_dates_selects_those_days(world: World, client: Client) -> None:
    client.force_login(world.alice)
    response = client.get(reverse("appeals:stats"), {"from": "2026-02-27", "to": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["s"].period == Period(
        datetime(2026, 2, 27, tzinfo=SH).date(), datetime(2026, 3, 1, tzinfo=SH).date()
    )
    assert response.context["s"].totals.appeals == 1  # #10 only


def test_village_cadre_sees_only_their_village(world: World, client: Client) -> None:
    client.force_login(world.bob)
    response = client.get(reverse("appeals:stats"), {"period": "2026-03"})
    s = response.context["s"]
    assert s.unit == world.tree.village_a  # the top of bob's scope
    assert s.totals.appeals == 2
    html = response.content.decode()
    assert "互助村" not in html
    assert "二街道" not in html
    other = client.get(reverse("appeals:stats"), {"period": "2026-03", "unit": str(world.tree.village_b.pk)})
    assert other.status_code == 400  # a unit outside the scope is not a choice
    assert other.context["s"] is None
    assert unit_stats(world.bob, unit=None, period=MARCH).totals.appeals == 2


def test_page_draws_charts_inline_without_scripts_or_style_attributes(world: World, client: Client) -> None:
    client.force_login(world.alice)
    response = client.get(reverse("appeals:stats"), {"period": "2026-03"})
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert html.count("<svg") == 6  # trend counts, trend rates, categories, state, kind, channel
    assert "style=" not in html
    assert "<style" not in html
    assert all(tag.startswith('<script src="/static/') for tag in re.findall(r"<script[^>]*>", html))
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    figures = dict(re.findall(r'data-figure="(\w+)">(?:<a [^>]*>)?([^<]*)<', html))
    assert figures["composite"] == "69.2%"
    assert figures["median"] == "36.0"


def test_stats_tables_export_as_xlsx(world: World, client: Client) -> None:
    client.force_login(world.erin)
    url = reverse("appeals:stats")
    response = client.get(url, {"period": "2026-03", "format": "xlsx"})
    assert response.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)  # type: ignore[attr-defined]
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[0][:3] == ("Unit", "Appeals", "Response rate (%)")
    assert [(r[0], r[1], r[5]) for r in rows[1:]] == [
        ("永乐街道", 4, 69.2),
        ("二街道", 3, 90),
        ("三街道", 0, None),
        ("四街道", 1, None),
    ]
    categories = client.get(url, {"period": "2026-03", "format": "xlsx", "table": "categories"})
    rows = list(
        load_workbook(io.BytesIO(b"".join(categories.streaming_content)), read_only=True)  # type: ignore[attr-defined]
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert [r[:2] for r in rows] == [("Category", "Appeals"), ("Z91 楼道杂物", 7), ("Z92 路灯损坏", 1)]


def _queries(client: Client, url: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx)


def test_stats_page_queries_do_not_grow_with_appeals_units_or_categories(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(world.erin)
    url, params = reverse("appeals:stats"), {"period": "2026-03"}
    with django_assert_max_num_queries(30):
        client.get(url, params)
    before = _queries(client, url, params)
    from minhu.appeals.models import Category
    from minhu.grid.services import unit_create

    for i in range(6):
        village = unit_create(
            kind="village", name=f"新村{i}", code=f"21011100300{i}", parent=world.street3, actor=None
        )
        category = Category.objects.create(code=f"Y{i:02d}", name=f"类别{i}")
        for j in range(5):
            make_appeal(
                category,
                100 + i * 10 + j,
                village,
                street=world.street3,
                village=village,
                state="closed",
                closed_at=datetime(2026, 3, 20, tzinfo=SH),
                submitted_at=datetime(2026, 3, 1 + j, tzinfo=SH),
            )
    assert _queries(client, url, params) == before
