"""The problem list's back door is shut: administration shows problems and their links, and changes neither
(links go through problem_merge on the problem's page, with scope, clocks and callers told)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from conftest import login_with_second_factor
from minhu.accounts.models import User
from minhu.appeals.models import Category
from minhu.core.models import Event
from minhu.grid.tests.conftest import Tree
from minhu.problems.models import Problem, ProblemAppeal
from minhu.problems.services import problem_create
from minhu.problems.tests.conftest import raise_appeal


def test_problems_and_their_links_are_read_only_in_administration(
    client: Client, root: User, staffed: Tree, bob: User, ordinary: Category
) -> None:
    linked = raise_appeal(staffed.block_a, "楼下电动车充电难", ordinary)
    other = raise_appeal(staffed.block_a, "充电桩不够用", ordinary)
    problem = problem_create(actor=bob, unit=staffed.village_a, title="电动车充电难", appeals=[linked])
    login_with_second_factor(client, root)
    events = Event.objects.count()
    url = reverse("admin:problems_problem_change", args=[problem.pk])
    assert client.get(url).status_code == 200  # it can be read
    link = ProblemAppeal.objects.get(problem=problem)
    prefix = "problemappeal_set"
    tampered = {
        "title": "改掉的标题",
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-0-id": str(link.pk),
        f"{prefix}-0-problem": str(problem.pk),
        f"{prefix}-0-DELETE": "on",
        f"{prefix}-1-problem": str(problem.pk),
        f"{prefix}-1-appeal": str(other.pk),
    }
    assert client.post(url, tampered).status_code == 403
    assert client.post(reverse("admin:problems_problem_add"), tampered).status_code == 403
    delete = reverse("admin:problems_problem_delete", args=[problem.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    problem.refresh_from_db()
    assert problem.title == "电动车充电难"
    assert list(ProblemAppeal.objects.values_list("appeal_id", flat=True)) == [linked.pk]
    assert Problem.objects.count() == 1
    assert Event.objects.count() == events
