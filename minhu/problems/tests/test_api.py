"""The problem list in the JSON API: scoped lists and details with merged appeals (never their callers), and
the public board without a token and without personal data."""

from __future__ import annotations

from typing import Any

import pytest

from minhu.accounts.models import Scope, User
from minhu.appeals.models import Category
from minhu.appeals.tests.test_api import bearer
from minhu.grid.tests.conftest import Tree
from minhu.problems.services import problem_create

pytestmark = pytest.mark.django_db


def test_problems_are_scoped_and_show_no_callers(
    client: Any, staffed: Tree, bob: User, root: User, ordinary: Category, raise_: Any
) -> None:
    a = raise_(staffed.block_a, "楼道电动车充电", ordinary, phone="13500001111", name="孙小明")
    mine = problem_create(actor=bob, unit=staffed.village_a, title="电动车充电难", appeals=[a])
    other = problem_create(actor=root, unit=staffed.village_b, title="村口垃圾")
    auth = bearer(bob, [Scope.APPEALS_READ])
    listed = client.get("/api/v1/problems", **auth).json()
    assert [p["title"] for p in listed["items"]] == ["电动车充电难"]
    assert listed["items"][0]["appeal_count"] == 1
    one = client.get(f"/api/v1/problems/{mine.pk}", **auth)
    assert one.status_code == 200
    assert one.json()["appeals"][0]["tracking_code"] == a.tracking_code
    assert "13500001111" not in one.content.decode()
    assert "孙小明" not in one.content.decode()
    missing = client.get(f"/api/v1/problems/{other.pk}", **auth)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "problem_id"
    assert client.get("/api/v1/problems", **bearer(bob, [Scope.GRID_READ])).status_code == 403


def test_the_public_board_needs_no_token(client: Any, staffed: Tree, bob: User) -> None:
    problem_create(actor=bob, unit=staffed.village_a, title="路灯不亮（电话13812348000）")
    board = client.get(f"/api/v1/boards/{staffed.village_a.code}")
    assert board.status_code == 200
    assert board.json()["problems"][0]["title"] == "路灯不亮（电话＊＊＊）"
    unknown = client.get(f"/api/v1/boards/{staffed.block_a.code}")
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "unit_code"


def test_the_schema_literals_are_the_models_choices() -> None:
    from typing import get_args

    from minhu.problems.api import ProblemSource, ProblemState
    from minhu.problems.models import Problem

    assert set(get_args(ProblemState)) == set(Problem.State.values)
    assert set(get_args(ProblemSource)) == set(Problem.Source.values)
