"""The monthly ranking on the hand-computed world of statsworld.py: order, rank numbers, rates, and who
ranks what."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook  # type: ignore[import-untyped]

from minhu.appeals.rates import Rates
from minhu.appeals.stats import NO_APPEALS, Period, RateRow, default_level, rank_rows, ranking
from minhu.appeals.tests.statsworld import SH, World, build_world

MARCH = Period.month(2026, 3)


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _english(client: Client, settings: Any) -> Iterator[None]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def summary(rows: list[RateRow]) -> list[tuple[str, int | None, Decimal | None]]:
    return [(r.label, r.rank, r.rates.composite) for r in rows]


def test_streets_ranked_by_composite_with_the_hand_computed_rates(world: World) -> None:
    r = ranking(world.erin, level="street", month=MARCH)
    assert summary(r.rows) == [
        ("二街道", 1, Decimal("90.0")),
        ("永乐街道", 2, Decimal("69.2")),
        ("四街道", None, None),  # an appeal, but nothing to respond to or rate yet
        ("三街道", None, None),  # no appeals
    ]
    s2, s, s4, s3 = (row.rates for row in r.rows)
    assert (s2.appeals, s2.response_rate, s2.resolution_rate, s2.satisfaction_rate) == (
        3,
        Decimal("66.7"),
        Decimal("100.0"),
        Decimal("100.0"),
    )
    assert (s2.transfers, s2.median_hours_to_close) == (2, 36.0)
    assert (s.appeals, s.response_rate, s.resolution_rate, s.satisfaction_rate) == (
        4,
        Decimal("75.0"),
        Decimal("66.7"),
        Decimal("66.7"),
    )
    assert (s.reopens, s.returns, s.transfers, s.median_hours_to_close) == (1, 1, 0, 36.0)
    assert (s4.appeals, s4.response_rate, s4.resolution_rate, s4.satisfaction_rate) == (1, None, None, None)
    assert s3 == NO_APPEALS
    assert (s3.response_rate, s3.composite) == (None, None)  # no denominator: None, never 0


def test_street_staff_rank_the_villages_of_their_street_only(world: World) -> None:
    assert default_level(world.alice) == "village"
    r = ranking(world.alice, level="village", month=MARCH)
    assert summary(r.rows) == [("互助村", 1, Decimal("85.0")), ("马耳山村", 2, Decimal("65.0"))]
    assert [row.rates.appeals for row in r.rows] == [2, 2]  # the repeat (#5) is not counted


def test_district_staff_rank_streets_by_default(world: World) -> None:
    assert default_level(world.erin) == "street"
    assert summary(ranking(world.erin, level="village", month=MARCH).rows) == [
        ("三村", 1, Decimal("90.0")),
        ("互助村", 2, Decimal("85.0")),
        ("马耳山村", 3, Decimal("65.0")),
        ("四村", None, None),
    ]


def test_village_cadre_sees_no_street_and_only_their_village(world: World) -> None:
    assert ranking(world.bob, level="street", month=MARCH).rows == []
    assert summary(ranking(world.bob, level="village", month=MARCH).rows) == [
        ("马耳山村", 1, Decimal("65.0"))
    ]


def test_another_month_ranks_other_appeals(world: World) -> None:
    r = ranking(world.erin, level="street", month=Period.month(2026, 4))
    assert summary(r.rows)[0] == ("二街道", 1, Decimal("100.0"))  # #11 alone
    assert [row.rates.appeals for row in r.rows] == [1, 0, 0, 0]


def _rates(composite_parts: tuple[int, int, int]) -> Rates:
    on_time, resolved, satisfied = composite_parts
    return Rates(
        appeals=10,
        response_base=10,
        responded_on_time=on_time,
        rated=10,
        resolved_ok=resolved,
        satisfied=satisfied,
        reopens=0,
        returns=0,
        transfers=0,
        median_hours_to_close=None,
    )


def test_equal_composites_share_a_rank_and_the_next_rank_is_skipped() -> None:
    rows = [
        RateRow(key=1, label="c", rates=_rates((5, 5, 5))),
        RateRow(key=2, label="a", rates=_rates((9, 9, 9))),
        RateRow(key=3, label="b", rates=_rates((9, 9, 9))),
        RateRow(key=4, label="d", rates=NO_APPEALS),
    ]
    assert [(r.label, r.rank) for r in rank_rows(rows)] == [("a", 1), ("b", 1), ("c", 3), ("d", None)]


def test_ranking_page_shows_dashes_for_units_without_appeals(world: World, client: Client) -> None:
    client.force_login(world.erin)
    response = client.get(reverse("appeals:ranking"), {"month": "2026-03"})
    assert response.status_code == 200
    page = response.content.decode()
    html = page[page.index('id="ranking-table"') :]
    assert html.index("二街道") < html.index("永乐街道") < html.index("四街道") < html.index("三街道")
    assert "90.0%" in html
    assert "69.2%" in html
    last_row = html[html.index("三街道") :].split("</tr>")[0]
    assert "—" in last_row
    assert "0.0%" not in last_row


@time_machine.travel(datetime(2026, 4, 10, 12, 0, tzinfo=SH), tick=False)
def test_ranking_defaults_to_the_month_just_finished(world: World, client: Client) -> None:
    client.force_login(world.erin)
    response = client.get(reverse("appeals:ranking"))
    assert response.context["r"].month == MARCH
    assert response.context["r"].level == "street"


def test_ranking_export_has_the_same_rows(world: World, client: Client) -> None:
    client.force_login(world.erin)
    response = client.get(
        reverse("appeals:ranking"), {"month": "2026-03", "level": "street", "format": "xlsx"}
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)  # type: ignore[attr-defined]
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("Rank", "Street", "Appeals")
    assert [(r[0], r[1], r[2], r[6]) for r in rows[1:]] == [
        (1, "二街道", 3, 90),
        (2, "永乐街道", 4, 69.2),
        (None, "四街道", 1, None),
        (None, "三街道", 0, None),  # an empty cell, not 0
    ]


def test_bad_month_is_refused_with_a_message(world: World, client: Client) -> None:
    client.force_login(world.erin)
    response = client.get(reverse("appeals:ranking"), {"month": "2026-13"})
    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()


def test_ranking_page_in_constant_queries(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(world.erin)
    with django_assert_max_num_queries(17):
        assert (
            client.get(reverse("appeals:ranking"), {"month": "2026-03", "level": "village"}).status_code
            == 200
        )
