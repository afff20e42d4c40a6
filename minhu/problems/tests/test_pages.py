"""The problem list's pages: the scoped list and its export, the new-problem form (errors by field, retries),
a problem's page (merging, striking off), the panel on an appeal's page, and the public board — which must
show no name or phone number of anyone in the fixture."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook  # type: ignore[import-untyped]

from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, State
from minhu.grid.models import Person
from minhu.grid.tests.conftest import Tree
from minhu.problems.models import Problem
from minhu.problems.services import problem_create, problem_dismiss

pytestmark = pytest.mark.django_db

CHARGING = "电动车在楼道里充电，很危险"


def test_the_list_shows_the_users_communities_only(staffed: Tree, bob: User, root: User, client: Any) -> None:
    mine = problem_create(actor=bob, unit=staffed.village_a, title="电动车充电难")
    problem_create(actor=root, unit=staffed.village_b, title="村口垃圾")
    client.force_login(bob)
    page = client.get(reverse("problems:index")).content.decode()
    assert "电动车充电难" in page
    assert "村口垃圾" not in page
    assert reverse("problems:detail", args=[mine.pk]) in page
    assert (
        client.get(reverse("problems:detail", args=[Problem.objects.get(title="村口垃圾").pk])).status_code
        == 404
    )


def test_the_list_costs_the_same_queries_for_few_and_many_problems(
    staffed: Tree, bob: User, ordinary: Category, client: Any, raise_: Any
) -> None:
    client.force_login(bob)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("problems:index")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        problem_create(
            actor=bob,
            unit=staffed.village_a,
            title=f"问题{i}",
            appeals=[raise_(staffed.block_a, f"事项{i}", ordinary, address=f"a{i}")],
        )
    few = count()
    for i in range(2, 12):
        problem_create(
            actor=bob,
            unit=staffed.village_a,
            title=f"问题{i}",
            appeals=[raise_(staffed.block_a, f"事项{i}", ordinary, address=f"a{i}")],
        )
    assert count() == few


def test_the_export_is_the_filtered_list(
    staffed: Tree, bob: User, ordinary: Category, client: Any, raise_: Any
) -> None:
    problem_create(
        actor=bob,
        unit=staffed.village_a,
        title="电动车充电难",
        appeals=[raise_(staffed.block_a, CHARGING, ordinary)],
    )
    gone = problem_create(actor=bob, unit=staffed.village_a, title="重复的一条")
    problem_dismiss(problem=gone, actor=bob, reason="重复")
    client.force_login(bob)
    response = client.get(reverse("problems:index"), {"state": "open", "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Number", "Village or community", "Title")
    assert [r[2] for r in rows[1:]] == ["电动车充电难"]
    assert rows[1][5] == 1


def test_new_problem_form_names_the_field_and_a_retry_makes_one(
    staffed: Tree, bob: User, client: Any
) -> None:
    client.force_login(bob)
    url = reverse("problems:new")
    bad = client.post(url, {"unit": staffed.village_a.pk, "title": "", "idempotency_key": "x1"})
    assert bad.status_code == 400
    assert 'id="id_title_error"' in bad.content.decode()
    outside = client.post(url, {"unit": staffed.village_b.pk, "title": "别村", "idempotency_key": "x2"})
    assert outside.status_code == 400
    assert 'id="id_unit_error"' in outside.content.decode()
    data = {"unit": staffed.village_a.pk, "title": "路灯不亮", "idempotency_key": "x3"}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Problem.objects.filter(title="路灯不亮").count() == 1


def test_from_an_appeal_page_to_a_problem_with_the_similar_appeals(
    staffed: Tree, bob: User, ordinary: Category, client: Any, raise_: Any
) -> None:
    a1 = raise_(staffed.block_a, CHARGING, ordinary, channel="box", address="3号楼")
    a2 = raise_(
        staffed.area_a, "有人把电瓶车推进楼道充电，担心起火", ordinary, channel="hotline", address="5号楼"
    )
    client.force_login(bob)
    page = client.get(reverse("appeals:detail", args=[a1.pk])).content.decode()
    assert "data-problem-panel" in page
    assert f'data-similar-appeal="{a2.pk}"' in page

    form = client.get(reverse("problems:new"), {"appeal": [a1.pk, a2.pk]}).content.decode()
    assert a1.tracking_code in form
    assert a2.tracking_code in form
    response = client.post(
        reverse("problems:new"),
        {
            "unit": staffed.village_a.pk,
            "title": "电动车充电难",
            "appeals": f"{a1.pk} {a2.pk}",
            "idempotency_key": "y",
        },
    )
    problem = Problem.objects.get()
    assert response["Location"] == reverse("problems:detail", args=[problem.pk])
    assert problem.appeal_count == 2
    assert problem.source == Problem.Source.APPEAL
    page = client.get(reverse("appeals:detail", args=[a2.pk])).content.decode()
    assert "data-part-of" in page


def test_merge_and_strike_off_from_the_problem_page(
    staffed: Tree, bob: User, ordinary: Category, client: Any, raise_: Any
) -> None:
    a1 = raise_(staffed.block_a, CHARGING, ordinary, phone="13500001111", name="孙小明", address="3号楼")
    a2 = raise_(staffed.area_a, "楼道里电动车充电太危险", ordinary, address="5号楼")
    problem = problem_create(
        actor=bob, unit=staffed.village_a, title="电动车充电难", description=CHARGING, appeals=[a1]
    )
    client.force_login(bob)
    url = reverse("problems:detail", args=[problem.pk])
    page = client.get(url).content.decode()
    assert "135****1111" in page
    assert "13500001111" not in page
    assert "孙小明" not in page
    assert f'data-similar-appeal="{a2.pk}"' in page
    client.post(reverse("problems:act", args=[problem.pk, "merge"]), {"appeal": [a2.pk]})
    problem.refresh_from_db()
    assert problem.appeal_count == 2

    empty = client.post(reverse("problems:act", args=[problem.pk, "close"]), {"resolution": ""})
    assert empty.status_code == 400
    assert 'id="id_resolution_error"' in empty.content.decode()
    done = client.post(reverse("problems:act", args=[problem.pk, "close"]), {"resolution": "安装了充电桩"})
    assert done.status_code == 302
    assert set(Appeal.objects.filter(problem_link__problem=problem).values_list("state", flat=True)) == {
        State.RESOLVED
    }


def test_someone_without_the_community_cannot_act(staffed: Tree, bob: User, carol: User, client: Any) -> None:
    problem = problem_create(actor=bob, unit=staffed.village_a, title="电动车充电难")
    client.force_login(carol)  # a grid member: sees appeals, keeps no problem list
    response = client.post(reverse("problems:act", args=[problem.pk, "close"]), {"resolution": "x"})
    assert response.status_code == 404
    problem.refresh_from_db()
    assert problem.state == Problem.State.OPEN


def test_the_public_board_shows_problems_and_no_personal_data(
    staffed: Tree, bob: User, dave: User, ordinary: Category, client: Any, raise_: Any
) -> None:
    a = raise_(
        staffed.block_a,
        "刘大家楼下电动车充电难，电话13812348000",
        ordinary,
        phone="13812348000",
        name="刘大",
        caller=dave,
    )
    problem_create(
        actor=bob,
        unit=staffed.village_a,
        title="电动车充电难（联系13812348000）",
        description="刘大反映，楼道充电",
        appeals=[a],
    )
    gone = problem_create(actor=bob, unit=staffed.village_a, title="撤下的一条")
    problem_dismiss(problem=gone, actor=bob, reason="重复")
    response = client.get(reverse("problems:board", args=[staffed.village_a.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "电动车充电难" in page
    assert "撤下的一条" not in page
    assert "<svg" in page  # the QR code to the board itself
    people = list(Person.objects.values_list("name", "phone", "id_number"))
    people += [(u.display_name, "", "") for u in User.objects.all()]
    people += [(a.caller_name, a.caller_phone, "")]
    leaks = [v for row in people for v in row if v and v in page]
    assert leaks == []
    assert client.get(reverse("problems:board", args=[staffed.block_a.code])).status_code == 404


def test_the_record_form_hints_at_the_same_matter_while_staff_type(
    staffed: Tree, bob: User, dave: User, ordinary: Category, client: Any, raise_: Any
) -> None:
    a = raise_(staffed.block_a, CHARGING, ordinary, address="3号楼")
    problem = problem_create(
        actor=bob, unit=staffed.village_a, title="电动车充电难", description="楼道充电危险"
    )
    url = reverse("appeals:record_hints")
    client.force_login(bob)
    page = client.get(
        url, {"description": "楼道里电动车充电太危险", "unit_code": staffed.block_a.code}
    ).content
    text = page.decode()
    assert f'data-hint-appeal="{a.pk}"' in text
    assert f'data-hint-problem="{problem.pk}"' in text
    assert (
        client.get(url, {"description": "孩子入学要什么材料", "unit_code": staffed.block_a.code}).content
        == b""
    )
    assert client.get(url, {"description": CHARGING, "unit_code": staffed.block_b.code}).content == b""
    client.force_login(dave)  # a resident records nothing
    assert client.get(url, {"description": CHARGING, "unit_code": staffed.block_a.code}).status_code == 404
