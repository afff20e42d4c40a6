from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse

from minhu.core.models import Event
from minhu.insights.models import Adoption
from minhu.insights.services import AdoptionUnavailable, candidate_adopt
from minhu.insights.tests.world import MARCH, World

URL = "/insights/"
MARCH_Q = {"month": "2026-03", "level": "village"}


def test_page_lists_candidates_with_masked_callers(client: Any, alice_street: Any) -> None:
    client.force_login(alice_street)
    r = client.get(URL, MARCH_Q)
    assert r.status_code == 200
    body = r.content.decode()
    assert "马耳山村" in body
    assert "139****1111" in body
    assert "13900001111" not in body
    assert body.index("楼道杂物") < body.index("排水不畅")
    assert "Make it a problem" in body  # village staff and above adopt candidates into the problem list


def test_page_and_export_queries_do_not_grow_with_the_candidates(
    client: Any, world: World, alice_street: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from minhu.insights.tests.test_analysis import grow

    client.force_login(alice_street)

    def queries(params: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(URL, params)
            if params.get("format"):
                b"".join(r.streaming_content)
        assert r.status_code == 200
        return len(ctx.captured_queries)

    small = queries(MARCH_Q), queries({**MARCH_Q, "format": "xlsx"})
    grow(world)
    assert (queries(MARCH_Q), queries({**MARCH_Q, "format": "xlsx"})) == small


@pytest.mark.parametrize(
    ("params", "field"),
    [({"month": "2026-13"}, "month"), ({"level": "planet"}, "level"), ({"order": "x"}, "order")],
)
def test_bad_filters_are_named(client: Any, alice_street: Any, params: dict[str, str], field: str) -> None:
    client.force_login(alice_street)
    r = client.get(URL, params)
    assert r.status_code == 400
    assert field in r.context["form"].errors


def test_a_unit_outside_the_scope_is_an_invalid_filter(client: Any, world: World) -> None:
    from conftest import make_persona
    from minhu.grid.services import post_create
    from minhu.grid.tests.conftest import START

    bob = make_persona("bob")
    post_create(user=bob, unit=world.tree.village_a, title="村两委", start=START, actor=None)
    client.force_login(bob)
    r = client.get(URL, {**MARCH_Q, "unit": world.tree.village_b.pk})
    assert r.status_code == 400
    assert "unit" in r.context["form"].errors


def test_a_resident_is_refused(client: Any, world: World) -> None:
    from conftest import make_persona

    client.force_login(make_persona("dave"))
    assert client.get(URL).status_code == 403


def test_export_is_xlsx_of_the_candidates(client: Any, alice_street: Any) -> None:
    import io

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    client.force_login(alice_street)
    r = client.get(URL, {**MARCH_Q, "format": "xlsx"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][1:5] == ("永乐街道 / 马耳山村", "K1 楼道杂物", 24, 12)
    assert len(rows) == 4
    assert "13900001111" not in str(rows)


def test_adoption_is_refused_clearly_without_the_problem_list(
    world: World, alice_street: Any, monkeypatch: Any
) -> None:
    real = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "minhu.problems" and real(name))
    with pytest.raises(AdoptionUnavailable):
        candidate_adopt(
            actor=alice_street, month=MARCH.start, unit=world.tree.village_a, category=world.k1, title="x"
        )
    assert not Adoption.objects.exists()


def test_adopt_makes_one_problem_and_is_idempotent(client: Any, world: World, alice_street: Any) -> None:
    from minhu.problems.models import Problem

    client.force_login(alice_street)
    assert "Make it a problem" in client.get(URL, MARCH_Q).content.decode()
    post = {**MARCH_Q, "unit": world.tree.village_a.pk, "category": world.k1.pk}
    r = client.post(reverse("insights:adopt"), post)
    assert r.status_code == 302
    assert client.post(reverse("insights:adopt"), post).status_code == 302  # a retry
    problem = Problem.objects.get()
    assert problem.unit == world.tree.village_a
    assert problem.category == world.k1
    assert problem.created_by == alice_street
    assert problem.source == Problem.Source.INSIGHT
    assert problem.appeal_count == 12
    assert problem.title == "2026-03 马耳山村 · 楼道杂物"
    adoption = Adoption.objects.get()
    assert adoption.problem_id == problem.pk
    assert adoption.evidence["count"] == 12
    assert Event.objects.filter(verb="insights.candidate_adopt").count() == 1
    assert Event.objects.filter(verb="problem.create").count() == 1
    body = client.get(URL, MARCH_Q).content.decode()
    assert f"problem #{problem.pk}" in body


def test_adopt_refuses_what_is_not_a_candidate(client: Any, world: World, alice_street: Any) -> None:
    from minhu.problems.models import Problem

    client.force_login(alice_street)
    r = client.post(
        reverse("insights:adopt"), {**MARCH_Q, "unit": world.tree.village_a.pk, "category": world.k2.pk}
    )
    assert r.status_code == 400
    assert not Problem.objects.exists()
    assert not Adoption.objects.exists()


def test_page_in_chinese(client: Any, alice_street: Any, settings: Any) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(alice_street)
    body = client.get(URL, MARCH_Q).content.decode()
    assert "每月一题：候选问题" in body
    assert "热点" in body
    assert "住户 1号" in body
